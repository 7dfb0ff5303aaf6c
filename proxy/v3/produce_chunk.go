package v3

import (
	"context"
	"errors"
	"sync"

	"github.com/krest-dev/krest/pool"
	"github.com/krest-dev/krest/proxy/produce"
	"github.com/krest-dev/krest/proxy/rest"
)

// chunk is the records of one read of a stream, or of one records:batch
// request: those built are sent to Kafka together as one produce call
// (produce.Producer.Start), and every input record, built or refused, has
// an entry answered in input order. Chunks are pooled.
type chunk struct {
	b       *produce.Batch // the records built
	call    *produce.Call  // nil when nothing was sent
	sendErr error          // Start's refusal (ErrOverloaded): every built record fails with it
	entries []entry
	charged int64        // bytes of request.memory.max.bytes held until the chunk is answered
	mem     *pool.Budget // where charged goes back
}

// entry is one input record of a chunk.
type entry struct {
	fail       error // refused before Kafka
	rec        int   // the record's index in the chunk's batch, when fail is nil
	key, value side
	id         []byte // a records:batch entry's id, as validated (no escapes)
}

// maxPooledEntries keeps chunks that served a huge batch out of the pool.
const maxPooledEntries = 4096

var chunks = sync.Pool{New: func() any { return new(chunk) }}

func getChunk() *chunk {
	c := chunks.Get().(*chunk)
	c.b = produce.GetBatch()
	return c
}

// putChunk hands c and its batch back (the batch is recycled once kgo has
// let go of its records too).
func putChunk(c *chunk) {
	if c.charged > 0 {
		c.mem.Release(c.charged)
	}
	produce.PutBatch(c.b)
	if cap(c.entries) > maxPooledEntries {
		return
	}
	clear(c.entries)
	*c = chunk{entries: c.entries[:0]}
	chunks.Put(c)
}

// refuse adds an entry refused before Kafka.
func (c *chunk) refuse(err error) { c.entries = append(c.entries, entry{fail: err}) }

// send seals the chunk's records and starts their produce call. A
// stream's records may linger in kgo to be batched with the stream's next
// ones; a batch's client waits for the whole batch, which does not.
func (c *chunk) send(a *API, p *produce.Producer, linger bool) {
	if len(c.b.Records) == 0 {
		return
	}
	c.b.Seal()
	c.b.Linger = linger
	call, err := p.Start(context.Background(), c.b)
	if err != nil {
		c.sendErr = err
		if a.Metrics != nil && errors.Is(err, produce.ErrOverloaded) {
			a.Metrics.Produce429.Inc()
		}
		return
	}
	c.call = call
}

// outcome is entry e's failure before or in Kafka (nil: produced), after
// the chunk's call has been waited for.
func (c *chunk) outcome(e *entry) (refused, failed error) {
	switch {
	case e.fail != nil:
		return e.fail, nil
	case c.sendErr != nil:
		return c.sendErr, nil
	}
	return nil, c.b.Errs[e.rec]
}

// failure is the error_code and message of entry e of c, refused or
// failed by Kafka; 0 when it was produced.
func (c *chunk) failure(e *entry) (int, string) {
	refused, failed := c.outcome(e)
	switch {
	case refused != nil:
		return failure(refused)
	case failed != nil:
		return deliveryFailure(failed)
	}
	return 0, ""
}

// appendResult appends the result line of entry e of c.
func appendResult(dst []byte, cluster string, c *chunk, e *entry) []byte {
	if code, msg := c.failure(e); code != 0 {
		return append(rest.AppendErrorBody(dst, code, msg), "\r\n"...)
	}
	dst = append(dst, `{"error_code":200,`...)
	dst = appendSuccess(dst, cluster, &c.b.Records[e.rec], &e.key, &e.value)
	return append(dst, "\r\n"...)
}
