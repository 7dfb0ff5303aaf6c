package consumer

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/krest-dev/krest/proxy/kafkaerr"
)

// commitTimeout bounds the commits and the group leave an instance makes on
// its own rather than for a caller's request: the final auto-commit when its
// client closes and the auto-commit of a manual assignment. It is the bound
// package proxy puts on a request's admin calls.
const commitTimeout = 15 * time.Second

// Instance is one consumer of the REST API: a franz-go client (created on
// subscribe or assign) plus the records fetched but not yet delivered. Name
// and Settings may be called at any time; the other methods only between
// Manager.Use and Release, which serialize them.
//
// op serializes the API operations on the instance; mu guards the state that
// franz-go's rebalance callbacks also touch.
type Instance struct {
	m     *Manager
	group string
	s     Settings

	op        sync.Mutex
	closed    bool
	lastNano  atomic.Int64
	streaming atomic.Bool // a streamed read is open (StartStream)

	cl       *kgo.Client     // nil until subscribe or assign
	auth     *kafkaerr.Watch // cl's connection refusals
	reserved int64           // bytes held in the manager's budget while cl exists
	mode     consumeMode
	topics   []string // subscription
	pattern  string   // subscription by regex
	manual   map[string][]int32
	lastAuto time.Time // last auto-commit in manual-assignment mode
	pf       prefetch  // the poll running between reads, if any

	mu         sync.Mutex
	buf        []*kgo.Record              // fetched, not yet delivered
	assigned   map[string]map[int32]bool  // current partitions
	delivered  map[string]map[int32]int64 // next offset after the last delivered record
	committed  map[string]map[int32]int64 // what delivered was at the last commit
	pendingAC  bool                       // delivered records not auto-committed yet
	failSince  time.Time                  // when fetches started failing (Failing)
	failErr    error                      // the latest failure, nil while fetches work
	failByPing bool                       // failErr came from Ping only
}

type consumeMode int

const (
	modeNone consumeMode = iota
	modeSubscribed
	modeAssigned
)

func (c *Instance) touch()              { c.lastNano.Store(time.Now().UnixNano()) }
func (c *Instance) lastUsed() time.Time { return time.Unix(0, c.lastNano.Load()) }

// Release ends an operation begun by Manager.Use.
func (c *Instance) Release() {
	c.touch()
	c.op.Unlock()
}

// Name returns the instance's name within its group (its instance_id).
func (c *Instance) Name() string { return c.s.Name }

// Settings returns the instance's settings, Name filled in.
func (c *Instance) Settings() Settings { return c.s }

// Consuming reports whether the instance has a Kafka client to read and
// seek with: it is subscribed or assigned partitions.
func (c *Instance) Consuming() bool { return c.cl != nil }

// Subscribe replaces the subscription with topics, or with the topics
// matching pattern when topics is empty. Both empty is a no-op, as in
// Confluent's proxy. It fails with ErrMixedConsuming on a manually assigned
// instance or when switching between topics and a pattern without
// Unsubscribe (as the Java consumer does), *PatternError for a bad pattern
// and ErrMemory when the memory budget cannot hold the instance's buffer.
func (c *Instance) Subscribe(topics []string, pattern string) error {
	if len(topics) == 0 && pattern == "" {
		return nil
	}
	if c.mode == modeAssigned {
		return ErrMixedConsuming
	}
	if r := c.m.reserved(); r != "" && slices.Contains(topics, r) {
		return ErrReservedTopic
	}
	if len(topics) == 0 {
		if _, err := regexp.Compile(pattern); err != nil {
			return &PatternError{Pattern: pattern, Err: err}
		}
	} else {
		pattern = "" // topics win, as in Confluent's KafkaConsumerState
	}
	if c.mode == modeSubscribed && (c.pattern != "") != (pattern != "") {
		// The Java consumer refuses to switch between topics and a
		// pattern without an unsubscribe in between.
		return ErrMixedConsuming
	}
	c.closeClient()
	opts := []kgo.Opt{
		kgo.ConsumerGroup(c.group),
		kgo.OnPartitionsAssigned(c.onAssigned),
		kgo.OnPartitionsRevoked(c.onRevoked),
		kgo.OnPartitionsLost(c.onLost),
	}
	if pattern != "" {
		opts = append(opts, kgo.ConsumeRegex(), kgo.ConsumeTopics(pattern))
		if r := c.m.reserved(); r != "" {
			opts = append(opts, kgo.ConsumeExcludeTopics("^"+regexp.QuoteMeta(r)+"$"))
		}
	} else {
		opts = append(opts, kgo.ConsumeTopics(topics...))
	}
	if c.s.AutoCommit {
		// Only records Read hands out are marked, so auto-commit
		// never covers records still buffered here.
		opts = append(opts, kgo.AutoCommitMarks())
	} else {
		opts = append(opts, kgo.DisableAutoCommit())
	}
	if err := c.startClient(opts); err != nil {
		return err
	}
	c.mode, c.topics, c.pattern = modeSubscribed, slices.Clone(topics), pattern
	return nil
}

// AddTopic prepares the v1 read of a topic by path, which subscribes to the
// topic on first use: unless the subscription names topic already, it
// subscribes to the current topics plus topic. It fails as Subscribe does,
// with ErrMixedConsuming on a manually assigned instance.
func (c *Instance) AddTopic(topic string) error {
	if c.mode == modeAssigned {
		return ErrMixedConsuming
	}
	if !slices.Contains(c.topics, topic) {
		return c.Subscribe(append(c.Subscription(), topic), "")
	}
	return nil
}

// Unsubscribe drops the subscription (or assignment) and leaves the group.
func (c *Instance) Unsubscribe() {
	c.closeClient()
	c.mode, c.topics, c.pattern, c.manual = modeNone, nil, "", nil
}

// Assign consumes exactly the given partitions, without group management,
// starting from the group's committed offsets where there are some. No
// partitions drops the assignment. It fails with ErrMixedConsuming on a
// subscribed instance and ErrMemory when the memory budget cannot hold the
// instance's buffer.
func (c *Instance) Assign(ctx context.Context, parts map[string][]int32) error {
	if c.mode == modeSubscribed {
		return ErrMixedConsuming
	}
	if _, ok := parts[c.m.reserved()]; ok && c.m.reserved() != "" {
		return ErrReservedTopic
	}
	c.closeClient()
	if len(parts) == 0 {
		c.mode, c.manual = modeNone, nil
		return nil
	}
	committed, err := fetchGroupOffsets(ctx, c.m.admin, c.group)
	if err != nil {
		return err
	}
	start := map[string]map[int32]kgo.Offset{}
	assigned := map[string]map[int32]bool{}
	for t, ps := range parts {
		start[t], assigned[t] = map[int32]kgo.Offset{}, map[int32]bool{}
		for _, p := range ps {
			off := c.s.Reset
			if o, ok := committed.Lookup(t, p); ok && o.Err == nil && o.At >= 0 {
				off = kgo.NewOffset().At(o.At)
			}
			start[t][p], assigned[t][p] = off, true
		}
	}
	if err := c.startClient([]kgo.Opt{kgo.ConsumePartitions(start)}); err != nil {
		return err
	}
	c.mu.Lock()
	c.assigned = assigned
	c.mu.Unlock()
	c.mode, c.manual = modeAssigned, parts
	return nil
}

// startClient reserves the instance's buffer in the memory budget and starts
// a franz-go consumer with the shared options plus opts.
func (c *Instance) startClient(opts []kgo.Opt) error {
	bufBytes := c.m.cfg.BufferBytes
	if !c.m.budget.TryAcquire(bufBytes) {
		return ErrMemory
	}
	fetchBytes := int32(min(max(bufBytes/4, 1024), 1<<30))
	auth := kafkaerr.NewWatch()
	base := c.m.opts
	if c.s.ClientOpts != nil {
		base = c.s.ClientOpts // the caller's own client options
	}
	all := append(slices.Clone(base),
		kgo.WithHooks(auth),
		kgo.ConsumeResetOffset(c.s.Reset),
		// At most two fetches of bufBytes/4 are in flight or buffered in
		// franz-go, and reads keep at most one poll of leftovers: the
		// instance stays within its reservation (a single record batch
		// larger than that is still returned whole, as Kafka does).
		kgo.FetchMaxBytes(fetchBytes),
		kgo.FetchMaxPartitionBytes(fetchBytes),
		kgo.MaxConcurrentFetches(2),
	)
	cl, err := kgo.NewClient(append(all, opts...)...)
	if err != nil {
		c.m.budget.Release(bufBytes)
		return fmt.Errorf("consumer client: %w", err)
	}
	c.cl, c.auth, c.reserved = cl, auth, bufBytes
	return nil
}

// closeClient commits what auto-commit owes, leaves the group, drops the
// buffer and returns the memory reservation.
func (c *Instance) closeClient() {
	if c.cl == nil {
		return
	}
	c.stopPrefetch()
	ctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
	defer cancel()
	if c.s.AutoCommit {
		if err := c.commitDelivered(ctx); err != nil {
			c.m.log.Warn("final auto-commit failed", "group", c.group, "instance", c.s.Name, "error", err)
		}
	}
	c.cl.Close() // leaves the group now, so partitions move at once
	c.cl, c.auth = nil, nil
	c.m.budget.Release(c.reserved)
	c.reserved = 0
	c.mu.Lock()
	clear(c.buf)
	c.buf = c.buf[:0]
	c.assigned = map[string]map[int32]bool{}
	c.delivered, c.committed = nil, nil
	c.mu.Unlock()
}

// Rebalance callbacks: keep the assignment current and drop buffered records
// of partitions that moved away (another member now owns them; they are
// re-read from the committed offset).
func (c *Instance) onAssigned(_ context.Context, _ *kgo.Client, added map[string][]int32) {
	c.m.log.Debug("partitions assigned", "group", c.group, "instance", c.s.Name, "partitions", added)
	c.mu.Lock()
	defer c.mu.Unlock()
	for t, ps := range added {
		if c.assigned[t] == nil {
			c.assigned[t] = map[int32]bool{}
		}
		for _, p := range ps {
			c.assigned[t][p] = true
		}
	}
}

func (c *Instance) onRevoked(ctx context.Context, cl *kgo.Client, lost map[string][]int32) {
	if c.s.AutoCommit {
		// Overriding OnPartitionsRevoked disables franz-go's own
		// commit-on-revoke; do it here, for delivered records only.
		if err := cl.CommitMarkedOffsets(ctx); err != nil {
			c.m.log.Warn("commit on revoke failed", "group", c.group, "instance", c.s.Name, "error", err)
		}
	}
	c.onLost(ctx, cl, lost)
}

func (c *Instance) onLost(_ context.Context, _ *kgo.Client, lost map[string][]int32) {
	c.m.log.Debug("partitions revoked", "group", c.group, "instance", c.s.Name, "partitions", lost)
	c.mu.Lock()
	defer c.mu.Unlock()
	for t, ps := range lost {
		for _, p := range ps {
			delete(c.assigned[t], p)
			delete(c.delivered[t], p)
			delete(c.committed[t], p)
		}
	}
	c.buf = slices.DeleteFunc(c.buf, func(r *kgo.Record) bool { return !c.assigned[r.Topic][r.Partition] })
}

// Assignment returns the current partitions, sorted; nil when there are
// none.
func (c *Instance) Assignment() []TopicPartition {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []TopicPartition
	for t, ps := range c.assigned {
		for p, ok := range ps {
			if ok {
				out = append(out, TopicPartition{Topic: t, Partition: p})
			}
		}
	}
	sortTopicPartitions(out)
	return out
}

// Subscription returns the subscribed topics; for a pattern, the topics it
// currently matches.
func (c *Instance) Subscription() []string {
	if c.mode != modeSubscribed {
		return []string{}
	}
	if c.pattern == "" {
		return slices.Clone(c.topics)
	}
	topics := c.cl.GetConsumeTopics()
	sort.Strings(topics)
	return topics
}

// TopicPartition names one partition of a topic.
type TopicPartition struct {
	Topic     string
	Partition int32
}

func sortTopicPartitions(tps []TopicPartition) {
	slices.SortFunc(tps, func(a, b TopicPartition) int { return compareTP(a.Topic, a.Partition, b.Topic, b.Partition) })
}

// compareTP orders by topic, then partition.
func compareTP(t1 string, p1 int32, t2 string, p2 int32) int {
	if c := strings.Compare(t1, t2); c != 0 {
		return c
	}
	return cmp.Compare(p1, p2)
}
