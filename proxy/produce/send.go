package produce

import (
	"context"
	"errors"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Promise receives the outcome of one record sent with Send.
type Promise interface {
	// Delivered runs once, on a kgo goroutine, with the record's failure
	// (nil once Kafka acknowledged it; its Partition, Offset and
	// Timestamp are then set). It must not block.
	Delivered(r *kgo.Record, err error)
}

// Send produces one record without waiting for Kafka, for callers that
// stream records: r is admitted to the produce budget (waiting up to
// producer.max.block.ms; ErrOverloaded when there is no room, and nothing
// is sent), then handed to kgo, and p.Delivered runs with its outcome once
// the budget is released. r, and the bytes it points to, must stay
// untouched until then. Callers that must answer by the delivery deadline
// (DeliveryTimeout) or on Abandoned report ErrNotAcknowledged themselves
// and leave r to the garbage collector.
func (p *Producer) Send(r *kgo.Record, pr Promise) error {
	cost := recordCost(r)
	if !p.budget.Acquire(cost, p.maxBlock) {
		return ErrOverloaded
	}
	want := r.Partition // kgo writes the partition it chose into r
	p.cl.Produce(context.Background(), r, func(r *kgo.Record, err error) {
		if err != nil && errors.Is(err, kerr.UnknownTopicID) {
			// The topic was deleted and created again behind kgo's back:
			// purge it and send the record once more, off kgo's
			// goroutine, which must not wait on the client.
			go p.sendAgain(r, want, cost, pr)
			return
		}
		p.delivered(r, err, cost, pr)
	})
	return nil
}

// sendAgain sends a record of Send again once its topic is purged; its
// outcome is final.
func (p *Producer) sendAgain(r *kgo.Record, partition int32, cost int64, pr Promise) {
	p.cl.PurgeTopicsFromClient(r.Topic)
	r.Partition = partition
	p.cl.Produce(context.Background(), r, func(r *kgo.Record, err error) { p.delivered(r, err, cost, pr) })
}

// delivered releases a Send record's budget and reports its outcome.
func (p *Producer) delivered(r *kgo.Record, err error, cost int64, pr Promise) {
	p.budget.Release(cost)
	if err != nil {
		err = recordError(err, p.auth.Err())
	}
	pr.Delivered(r, err)
}

// DeliveryTimeout is producer.delivery.timeout.ms.
func (p *Producer) DeliveryTimeout() time.Duration { return p.timeout }

// Abandoned is closed when Abandon is called.
func (p *Producer) Abandoned() <-chan struct{} { return p.abandon }
