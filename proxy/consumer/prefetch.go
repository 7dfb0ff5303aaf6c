package consumer

import (
	"context"
	"time"
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
	max := c.m.cfg.BufferRecords - c.Buffered() // > 0: the buffer is not full
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
