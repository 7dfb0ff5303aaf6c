package consumer

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/krest-dev/krest/proxy/kafkaerr"
)

// prefetchWait bounds how long a prefetch waits for records.
const prefetchWait = 5 * time.Second

// prefetch is a poll of the instance's client that runs between two reads.
// franz-go keeps one fetch buffered per broker and issues the next only
// once that one is taken: without it, every HTTP round trip between two
// polls delayed the next fetch by as much (bench row 3 waited most of each
// 18 ms poll). The prefetch takes the buffered fetch into the instance's
// buffer, within the same bounds as a read, so that Kafka is asked for the
// next one at once. It runs only while no operation holds the instance:
// Manager.Use and closeClient stop it first, so seeks, commits and
// rebalances never meet a poll in flight.
type prefetch struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// startPrefetch polls in the background until the next operation; the
// caller holds c.op.
func (c *Instance) startPrefetch() {
	if c.cl == nil || c.pf.done != nil || c.bufferFull() {
		return
	}
	max := c.m.cfg.BufferRecords - c.Buffered()
	if max <= 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), prefetchWait)
	done := make(chan struct{})
	c.pf = prefetch{cancel: cancel, done: done}
	cl := c.cl
	go func() {
		defer close(done)
		defer cancel()
		c.keep(ctx, cl.PollRecords(ctx, max)) // a refusal is met again by the next read
	}()
}

// stopPrefetch ends a running prefetch and waits for it; what it fetched is
// in the buffer. The caller holds c.op.
func (c *Instance) stopPrefetch() {
	if c.pf.done == nil {
		return
	}
	c.pf.cancel()
	<-c.pf.done
	c.pf = prefetch{}
}

// keep adds polled records of partitions the instance holds to its buffer
// and notes fetch failures; it returns Kafka's refusal of the instance
// (credentials or ACLs), if the poll met one.
func (c *Instance) keep(ctx context.Context, fs kgo.Fetches) (refused error) {
	fs.EachError(func(t string, p int32, err error) {
		if kafkaerr.IsAuthentication(err) || kafkaerr.IsAuthorization(err) {
			refused = err
		}
		if ctx.Err() == nil && !isContextErr(err) {
			c.m.log.Warn("fetch error", "group", c.group, "instance", c.s.Name, "topic", t, "partition", p, "error", err)
			c.failing(err, false)
		}
	})
	if fs.NumRecords() > 0 {
		c.failing(nil, false)
	}
	c.mu.Lock()
	var (
		topic string
		part  int32 = -1
		held  bool
	)
	fs.EachRecord(func(r *kgo.Record) {
		if r.Partition != part || r.Topic != topic { // records come in runs of one partition
			topic, part = r.Topic, r.Partition
			held = c.mode == modeAssigned || c.assigned[topic][part]
		}
		if held {
			c.buf = append(c.buf, r)
		}
	})
	c.mu.Unlock()
	return refused
}
