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

// produce sends j.recs and waits for all of them. j.errs[i] receives record
// i's failure (nil on success; j.recs[i].Partition and Offset are then set).
// When the budget has no room within maxBlock it returns errProduceOverloaded
// and sends nothing.
func (p *producer) produce(j *produceJob) error {
	recs := j.recs
	var cost int64
	for i := range recs {
		cost += recordCost(&recs[i])
	}
	if !p.budget.Acquire(cost, p.maxBlock) {
		return errProduceOverloaded
	}
	defer p.budget.Release(cost)

	// The deadline bounds the wait below. It is a context, not kgo's
	// RecordDeliveryTimeout, because kgo measures that from each record's
	// Timestamp, and clients may send timestamps from the past. kgo lets the
	// first record of a batch decide for the batch; batches fill in arrival
	// order, so a record never fails before its own request's deadline by
	// more than the few milliseconds between requests.
	ctx, cancel := context.WithTimeout(context.Background(), p.timeout)
	defer cancel()
	// ProduceSync, unlike Produce, ends the linger of the partitions it
	// wrote to once every record is buffered: the request's records still
	// form full batches, and the client, who waits for them, does not wait
	// out producer.linger.ms on top (a 1-record request answered in 8 ms
	// took under 1). Records of concurrent requests batch together as
	// before.
	for i := range recs {
		j.ptrs = append(j.ptrs, &recs[i])
	}
	for _, res := range p.cl.ProduceSync(ctx, j.ptrs...) {
		if res.Err == nil {
			continue
		}
		i := recordIndex(recs, res.Record)
		if i < 0 {
			return fmt.Errorf("proxy: the producer reported a record it was not given: %w", res.Err)
		}
		j.errs[i] = res.Err
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
