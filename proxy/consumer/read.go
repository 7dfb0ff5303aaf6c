package consumer

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/krest-dev/krest/proxy/kafkaerr"
)

// ReadLimits are the bounds of one records read.
type ReadLimits struct {
	// Wait is how long a read waits while there are no records (or fewer
	// than MinBytes of them).
	Wait time.Duration
	// MaxBytes bounds the keys and values a read returns; a single larger
	// record is returned on its own rather than never.
	MaxBytes int64
	// MinBytes is how much a read waits for. <= 0: any record ends the wait.
	MinBytes int64
	// Topic, when set, restricts the read to one topic (the v1 read of a
	// topic by path).
	Topic string
}

// Read returns delivered records, appended to dst: it answers as soon as
// records are there (or lim.MinBytes of them, if set), and waits up to
// lim.Wait only while there are none. A record larger than lim.MaxBytes is
// returned on its own rather than never. Records returned count as delivered
// for commits. It fails with ErrNotConsuming when the instance is neither
// subscribed nor assigned.
func (c *Instance) Read(lim ReadLimits, dst []*kgo.Record) ([]*kgo.Record, error) {
	dst, err := c.ReadPending(lim, dst)
	if err == nil {
		c.markDelivered(dst)
		if len(dst) > 0 {
			c.startPrefetch() // while the caller renders and the client asks again
		}
	}
	return dst, err
}

// ReadPending is Read for a stream: the records do not count as delivered
// until the caller has written them and calls MarkDelivered, or hands
// them back with Unread when it could not.
func (c *Instance) ReadPending(lim ReadLimits, dst []*kgo.Record) ([]*kgo.Record, error) {
	if c.cl == nil {
		return dst, ErrNotConsuming
	}
	c.maybeAutoCommitManual()
	c.focus(lim.Topic)
	deadline := time.Now().Add(lim.Wait)
	var bytes int64
	full := false
	for {
		dst, bytes, full = c.take(dst, bytes, lim)
		if full || (len(dst) > 0 && (lim.MinBytes <= 0 || bytes >= lim.MinBytes)) {
			break
		}
		left := time.Until(deadline)
		if left <= 0 || c.bufferFull() {
			// Out of time, or the buffer holds records this read does not
			// take (other topics of a v1 topic read): polling more would
			// grow it past the instance's bound.
			break
		}
		ctx, cancel := context.WithTimeout(context.Background(), left)
		fs := c.cl.PollRecords(ctx, c.m.cfg.BufferRecords-c.Buffered())
		cancel()
		if refused := c.keep(ctx, fs); refused != nil && len(dst) == 0 && fs.NumRecords() == 0 {
			// Kafka refuses this instance (credentials or ACLs): say so
			// rather than answer empty reads forever.
			return dst, refused
		}
	}
	if len(dst) == 0 {
		if err := c.auth.Err(); err != nil {
			// franz-go retries a refused connection (the group's
			// coordinator, a leader) without telling polls: an empty read
			// would hide wrong credentials forever.
			return dst, err
		}
	}
	return dst, nil
}

// keep adds polled records of partitions the instance holds to its buffer
// and notes fetch failures; it returns Kafka's refusal of the instance
// (credentials or ACLs), if the poll met one.
func (c *Instance) keep(ctx context.Context, fs kgo.Fetches) (refused error) {
	var recreated []string
	fs.EachError(func(t string, p int32, err error) {
		if kafkaerr.IsAuthentication(err) || kafkaerr.IsAuthorization(err) {
			refused = err
		}
		if errors.Is(err, kerr.UnknownTopicID) && !slices.Contains(recreated, t) {
			recreated = append(recreated, t)
			return
		}
		if ctx.Err() == nil && !isContextErr(err) {
			c.m.log.Warn("fetch error", "group", c.group, "instance", c.s.Name, "topic", t, "partition", p, "error", err)
			c.failing(err, false)
		}
	})
	if fs.NumRecords() > 0 {
		c.failing(nil, false)
	}
	for _, t := range recreated {
		c.readAnew(t)
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

// readAnew starts reading topic again from scratch: it was deleted and
// created again, and franz-go keeps failing it (UNKNOWN_TOPIC_ID) until
// it is purged from the client and added back. The new topic is read from
// the instance's auto.offset.reset position: the old topic's offsets and
// commits are gone with it.
func (c *Instance) readAnew(topic string) {
	c.m.log.Info("consumer instance: the topic was deleted and created again; reading the new one", "group", c.group, "instance", c.s.Name, "topic", topic)
	c.cl.PurgeTopicsFromClient(topic)
	c.mu.Lock()
	delete(c.delivered, topic)
	delete(c.committed, topic)
	c.mu.Unlock()
	switch {
	case c.mode == modeAssigned:
		parts := map[int32]kgo.Offset{}
		for _, p := range c.manual[topic] {
			parts[p] = c.s.Reset
		}
		c.cl.AddConsumePartitions(map[string]map[int32]kgo.Offset{topic: parts})
	case c.mode == modeSubscribed && c.pattern == "":
		c.cl.AddConsumeTopics(topic)
	}
	// A pattern subscription finds the topic again by itself.
}

// MarkDelivered records that recs, from ReadPending, reached the client:
// commits (and auto-commit) now cover them.
func (c *Instance) MarkDelivered(recs []*kgo.Record) { c.markDelivered(recs) }

// Unread hands back records from ReadPending that the client did not get:
// the next read returns them first. Records of partitions the instance no
// longer holds are dropped (their new owner reads them from the last
// commit).
func (c *Instance) Unread(recs []*kgo.Record) {
	c.mu.Lock()
	defer c.mu.Unlock()
	back := make([]*kgo.Record, 0, len(recs)+len(c.buf))
	for _, r := range recs {
		if c.mode == modeAssigned || c.assigned[r.Topic][r.Partition] {
			back = append(back, r)
		}
	}
	c.buf = append(back, c.buf...)
}

// StartStream claims the instance for a streamed read; false when one is
// open already (one stream per instance).
func (c *Instance) StartStream() bool { return c.streaming.CompareAndSwap(false, true) }

// EndStream ends the streamed read StartStream claimed.
func (c *Instance) EndStream() { c.streaming.Store(false) }

// focus makes a v1 topic read fetch only its topic: the instance's other
// topics are paused (franz-go drops what it buffered for them and fetches it
// again on resume) until a read asks for them. A read of everything resumes
// all.
func (c *Instance) focus(topic string) {
	if c.mode != modeSubscribed || c.pattern != "" {
		return
	}
	if topic == "" {
		if paused := c.cl.PauseFetchTopics(); len(paused) > 0 {
			c.cl.ResumeFetchTopics(paused...)
		}
		return
	}
	var others []string
	for _, t := range c.topics {
		if t != topic {
			others = append(others, t)
		}
	}
	if len(others) > 0 {
		c.cl.PauseFetchTopics(others...)
	}
	c.cl.ResumeFetchTopics(topic)
}

// bufferFull reports whether the records fetched but not delivered reach a
// quarter of the instance's byte bound or its record bound. A read finds the
// buffer drained unless it holds records the read does not take (other
// topics of a v1 topic read); it must then not poll for more.
func (c *Instance) bufferFull() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.buf) >= c.m.cfg.BufferRecords {
		return true
	}
	var n int64
	for _, r := range c.buf {
		n += int64(len(r.Key) + len(r.Value))
	}
	return n >= c.m.cfg.BufferBytes/4
}

// Buffered returns how many records the instance holds fetched but not yet
// delivered (at most consumer.buffer.max.records between reads).
func (c *Instance) Buffered() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.buf)
}

// take moves buffered records (of lim.Topic only, when set) to dst while
// they fit in MaxBytes; the first record is taken even if it alone is
// larger. full reports that MaxBytes stopped it.
func (c *Instance) take(dst []*kgo.Record, bytes int64, lim ReadLimits) ([]*kgo.Record, int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	full := false
	kept := c.buf[:0]
	for i, r := range c.buf {
		if full || (lim.Topic != "" && r.Topic != lim.Topic) {
			kept = append(kept, r)
			continue
		}
		size := int64(len(r.Key) + len(r.Value))
		if len(dst) > 0 && bytes+size > lim.MaxBytes {
			full = true
			kept = append(kept, r)
			continue
		}
		dst = append(dst, r)
		bytes += size
		c.buf[i] = nil
	}
	clear(c.buf[len(kept):])
	c.buf = kept
	return dst, bytes, full
}

// markDelivered records what the caller of Read now has, for commits.
func (c *Instance) markDelivered(recs []*kgo.Record) {
	if len(recs) == 0 {
		return
	}
	// Records come in runs of one partition, offsets rising: the last of
	// each run is all that commits need (per record, the maps cost 5% of a
	// read's CPU).
	lasts := make([]*kgo.Record, 0, 8) // one per partition run
	c.mu.Lock()
	if c.delivered == nil {
		c.delivered = map[string]map[int32]int64{}
	}
	for i, r := range recs {
		if i+1 < len(recs) && recs[i+1].Partition == r.Partition && recs[i+1].Topic == r.Topic {
			continue
		}
		parts := c.delivered[r.Topic]
		if parts == nil {
			parts = map[int32]int64{}
			c.delivered[r.Topic] = parts
		}
		parts[r.Partition] = r.Offset + 1
		lasts = append(lasts, r)
	}
	c.pendingAC = true
	c.mu.Unlock()
	if c.s.AutoCommit && c.mode == modeSubscribed {
		c.cl.MarkCommitRecords(lasts...)
	}
}

func isContextErr(err error) bool {
	return err == context.DeadlineExceeded || err == context.Canceled
}

// failing notes a fetch failure (err), or records arriving (nil); a
// failure of Ping (byPing) is cleared by the next successful Ping too.
func (c *Instance) failing(err error, byPing bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case err == nil:
		if !byPing || c.failByPing {
			c.failSince, c.failErr = time.Time{}, nil
		}
	case c.failErr == nil:
		c.failSince, c.failErr, c.failByPing = time.Now(), err, byPing
	default:
		c.failErr, c.failByPing = err, c.failByPing && byPing
	}
}

// Failing returns the fetch failure that has lasted at least d with no
// record arriving meanwhile, or nil. Polls go on through transient
// failures; a stream ends on a lasting one rather than stay silent.
func (c *Instance) Failing(d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failErr != nil && time.Since(c.failSince) >= d {
		return c.failErr
	}
	return nil
}

// Ping asks Kafka whether the instance's client reaches a broker, and
// counts a failure as a fetch failure (see Failing): franz-go retries
// fetches from a broker that went away without telling its reader.
func (c *Instance) Ping(ctx context.Context) {
	if c.cl == nil {
		return
	}
	c.failing(c.cl.Ping(ctx), true)
}
