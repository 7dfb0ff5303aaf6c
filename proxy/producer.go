package proxy

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/krest-dev/krest/pool"
)

// recordOverhead is what one record costs the produce budget beyond its
// key, value and header bytes (kgo's per-record bookkeeping).
const recordOverhead = 64

// producer sends the records of HTTP requests through the shared client. A
// request's records are admitted to the produce budget all together or not
// at all, produced concurrently, and the call returns once the broker has
// acknowledged or failed every one of them.
type producer struct {
	cl       *kgo.Client
	budget   *pool.Budget
	maxBlock time.Duration
	timeout  time.Duration // producer.delivery.timeout.ms
}

// errProduceOverloaded is returned when the produce budget stays full for
// producer.max.block.ms.
var errProduceOverloaded = newError(429, 429,
	"Too many records waiting for Kafka: krest's produce buffer (producer.buffer.memory) stayed full for producer.max.block.ms; retry later")

// errNotAcknowledged is the per-record error of records whose outcome kgo
// had not reported by producer.delivery.timeout.ms: Kafka may still write
// them (as with the Java producer's delivery timeout), but krest never
// acknowledged them.
var errNotAcknowledged = fmt.Errorf("no acknowledgement within producer.delivery.timeout.ms: %w", context.DeadlineExceeded)

// deliveryGrace is how long past the delivery deadline produce waits for kgo
// to report records it fails at the deadline itself, before it gives up on
// the rest.
const deliveryGrace = 50 * time.Millisecond

// produce sends j.recs and waits for all of them, for at most
// producer.delivery.timeout.ms. j.errs[i] receives record i's failure (nil
// on success; j.recs[i].Partition and Offset are then set). When the budget
// has no room within maxBlock it returns errProduceOverloaded and sends
// nothing.
//
// kgo cannot fail a record whose produce request is in flight (an
// idempotent producer must learn the outcome), so a broker that stops
// answering would hold the request forever. At the deadline, produce
// therefore stops waiting: every record gets errNotAcknowledged, and the job
// is marked abandoned, so it is not recycled while kgo still holds its
// records; the budget is released only when kgo lets go of them, so a dead
// broker turns new requests into 429s instead of growing memory.
func (p *producer) produce(j *produceJob) error {
	recs := j.recs
	var cost int64
	for i := range recs {
		cost += recordCost(&recs[i])
	}
	if !p.budget.Acquire(cost, p.maxBlock) {
		return errProduceOverloaded
	}

	// The deadline is a context, not kgo's RecordDeliveryTimeout, because
	// kgo measures that from each record's Timestamp, and clients may send
	// timestamps from the past. kgo lets the first record of a batch decide
	// for the batch; batches fill in arrival order, so a record never fails
	// before its own request's deadline by more than the few milliseconds
	// between requests.
	ctx, cancel := context.WithTimeout(context.Background(), p.timeout)
	// ProduceSync, unlike Produce, ends the linger of the partitions it
	// wrote to once every record is buffered: the request's records still
	// form full batches, and the client, who waits for them, does not wait
	// out producer.linger.ms on top (a 1-record request answered in 8 ms
	// took under 1). Records of concurrent requests batch together as
	// before.
	for i := range recs {
		j.ptrs = append(j.ptrs, &recs[i])
	}
	if j.results == nil {
		j.results = make(chan kgo.ProduceResults, 1)
	}
	results := j.results
	go func() {
		res := p.cl.ProduceSync(ctx, j.ptrs...)
		cancel()
		p.budget.Release(cost)
		results <- res
	}()
	timer := time.NewTimer(p.timeout + deliveryGrace)
	defer timer.Stop()
	select {
	case res := <-results:
		for _, r := range res {
			if r.Err == nil {
				continue
			}
			i := recordIndex(recs, r.Record)
			if i < 0 {
				return fmt.Errorf("proxy: the producer reported a record it was not given: %w", r.Err)
			}
			j.errs[i] = r.Err
		}
	case <-timer.C:
		j.abandoned = true
		for i := range j.errs {
			j.errs[i] = errNotAcknowledged
		}
	}
	return nil
}

// recordIndex returns the index of r in recs. ProduceSync reports results in
// completion order; failures are rare, so a scan beats bookkeeping on the
// hot path.
func recordIndex(recs []kgo.Record, r *kgo.Record) int {
	for i := range recs {
		if &recs[i] == r {
			return i
		}
	}
	return -1
}

func recordCost(r *kgo.Record) int64 {
	n := int64(len(r.Key) + len(r.Value) + recordOverhead)
	for _, h := range r.Headers {
		n += int64(len(h.Key) + len(h.Value))
	}
	return n
}
