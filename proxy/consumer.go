package proxy

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/krest-dev/krest/codec"
	"github.com/krest-dev/krest/pool"
	"github.com/krest-dev/krest/proxy/config"
)

// consumerManager owns the v1/v2 consumer instances of this krest process.
// Instances live in memory here; requests for them must reach this process
// (base_uri names it). It is safe for concurrent use.
type consumerManager struct {
	cfg    config.Consumers
	id     string // the proxy's "id", part of generated names
	opts   []kgo.Opt
	admin  *kadm.Client
	budget *pool.Budget // consumer.memory.max.bytes
	log    *slog.Logger

	mu        sync.Mutex
	instances map[instanceKey]*consumerInstance

	stop chan struct{}
	done chan struct{}
}

type instanceKey struct{ group, name string }

func newConsumerManager(cfg *config.Config, admin *kadm.Client, log *slog.Logger) *consumerManager {
	m := &consumerManager{
		cfg:       cfg.Consumers,
		id:        cfg.ID,
		opts:      cfg.ConsumerOpts(),
		admin:     admin,
		budget:    pool.NewBudget(cfg.Consumers.MemoryBytes),
		log:       log,
		instances: map[instanceKey]*consumerInstance{},
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
	}
	go m.expireLoop()
	return m
}

// instanceSettings are the per-instance choices of a create request.
type instanceSettings struct {
	name           string
	format         codec.Format
	reset          kgo.Offset
	autoCommit     bool
	fetchMinBytes  int64         // -1: answer as soon as any record is there
	requestTimeout time.Duration // upper bound of a read's wait
}

var (
	errInstanceNotFound = newError(404, 40403, "Consumer instance not found.")
	errInstanceExists   = newError(409, 40902, "Consumer with specified consumer ID already exists in the specified consumer group.")
	errTooManyInstances = newError(429, 429, "Too many consumer instances: consumer.instances.max is reached; delete unused instances or raise it")
	errConsumerMemory   = newError(429, 429, "Consumer memory budget exhausted: consumer.memory.max.bytes cannot hold another instance's consumer.buffer.max.bytes; delete idle instances or raise it")
	errMixedConsuming   = illegalState("Subscription to topics, partitions and pattern are mutually exclusive")
	errNotConsuming     = illegalState("Consumer is not subscribed to any topics or assigned any partitions")
)

// illegalState is Confluent's 409/40903 for Kafka's IllegalStateException.
func illegalState(format string, args ...any) *Error {
	return newError(409, 40903, "Illegal state: "+format, args...)
}

// create registers a new instance. An empty name gets a generated one.
func (m *consumerManager) create(group string, s instanceSettings) (*consumerInstance, error) {
	if s.name == "" {
		s.name = m.generateName()
	}
	inst := &consumerInstance{m: m, group: group, instanceSettings: s, assigned: map[string]map[int32]bool{}}
	inst.touch()
	m.mu.Lock()
	defer m.mu.Unlock()
	key := instanceKey{group, s.name}
	if _, dup := m.instances[key]; dup {
		return nil, errInstanceExists
	}
	if len(m.instances) >= m.cfg.MaxInstances {
		return nil, errTooManyInstances
	}
	m.instances[key] = inst
	return inst, nil
}

func (m *consumerManager) generateName() string {
	var b [16]byte
	rand.Read(b[:])
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80 // UUID version 4, variant 10
	h := hex.EncodeToString(b[:])
	uuid := h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
	if m.id != "" {
		return "rest-consumer-" + m.id + "-" + uuid
	}
	return "rest-consumer-" + uuid
}

// use looks up an instance and locks it for one operation; the caller must
// call inst.release(). Every use refreshes the idle deadline.
func (m *consumerManager) use(group, name string) (*consumerInstance, error) {
	m.mu.Lock()
	inst := m.instances[instanceKey{group, name}]
	m.mu.Unlock()
	if inst == nil {
		return nil, errInstanceNotFound
	}
	inst.op.Lock()
	if inst.closed {
		inst.op.Unlock()
		return nil, errInstanceNotFound
	}
	inst.touch()
	return inst, nil
}

// remove deletes an instance: it leaves its group at once (committing
// delivered offsets when auto-commit is on) and frees its memory.
func (m *consumerManager) remove(group, name string) error {
	inst, err := m.use(group, name)
	if err != nil {
		return err
	}
	defer inst.op.Unlock()
	m.drop(inst)
	return nil
}

// drop closes inst, whose op lock the caller holds, and forgets it.
func (m *consumerManager) drop(inst *consumerInstance) {
	m.mu.Lock()
	delete(m.instances, instanceKey{inst.group, inst.name})
	m.mu.Unlock()
	inst.closeClient()
	inst.closed = true
}

// expireLoop removes instances idle for longer than
// consumer.instance.timeout.ms, checking every second.
func (m *consumerManager) expireLoop() {
	defer close(m.done)
	t := time.NewTicker(expiryCheckInterval(m.cfg.InstanceTimeout))
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
			m.expireIdle(time.Now())
		}
	}
}

func expiryCheckInterval(timeout time.Duration) time.Duration {
	return min(max(timeout/4, 10*time.Millisecond), time.Second)
}

func (m *consumerManager) expireIdle(now time.Time) {
	m.mu.Lock()
	var idle []*consumerInstance
	for _, inst := range m.instances {
		if now.Sub(inst.lastUsed()) > m.cfg.InstanceTimeout {
			idle = append(idle, inst)
		}
	}
	m.mu.Unlock()
	for _, inst := range idle {
		if !inst.op.TryLock() {
			continue // in use right now, so not idle
		}
		if !inst.closed && now.Sub(inst.lastUsed()) > m.cfg.InstanceTimeout {
			m.log.Info("consumer instance expired", "group", inst.group, "instance", inst.name)
			m.drop(inst)
		}
		inst.op.Unlock()
	}
}

// close removes every instance, leaving their groups.
func (m *consumerManager) close() {
	close(m.stop)
	<-m.done
	m.mu.Lock()
	all := make([]*consumerInstance, 0, len(m.instances))
	for _, inst := range m.instances {
		all = append(all, inst)
	}
	m.mu.Unlock()
	for _, inst := range all {
		inst.op.Lock()
		if !inst.closed {
			m.drop(inst)
		}
		inst.op.Unlock()
	}
}

// consumerInstance is one HTTP consumer: a franz-go client (created on
// subscribe or assign) plus the records fetched but not yet delivered.
//
// op serializes the API operations on the instance; mu guards the state that
// franz-go's rebalance callbacks also touch.
type consumerInstance struct {
	m     *consumerManager
	group string
	instanceSettings

	op       sync.Mutex
	closed   bool
	lastNano atomic.Int64

	cl       *kgo.Client // nil until subscribe or assign
	reserved int64       // bytes held in the manager's budget while cl exists
	mode     consumeMode
	topics   []string // subscription
	pattern  string   // subscription by regex
	manual   map[string][]int32
	lastAuto time.Time // last auto-commit in manual-assignment mode

	mu        sync.Mutex
	buf       []*kgo.Record              // fetched, not yet delivered
	assigned  map[string]map[int32]bool  // current partitions
	delivered map[string]map[int32]int64 // next offset after the last delivered record
	committed map[string]map[int32]int64 // what delivered was at the last commit
	pendingAC bool                       // delivered records not auto-committed yet
}

type consumeMode int

const (
	modeNone consumeMode = iota
	modeSubscribed
	modeAssigned
)

func (c *consumerInstance) touch()              { c.lastNano.Store(time.Now().UnixNano()) }
func (c *consumerInstance) lastUsed() time.Time { return time.Unix(0, c.lastNano.Load()) }

// release ends an operation begun by consumerManager.use.
func (c *consumerInstance) release() {
	c.touch()
	c.op.Unlock()
}

// subscribe replaces the subscription with topics, or with the topics
// matching pattern when topics is empty. Both empty is a no-op, as in
// Confluent's proxy.
func (c *consumerInstance) subscribe(topics []string, pattern string) error {
	if len(topics) == 0 && pattern == "" {
		return nil
	}
	if c.mode == modeAssigned {
		return errMixedConsuming
	}
	if len(topics) == 0 {
		if _, err := regexp.Compile(pattern); err != nil {
			return newError(422, 422, "Invalid topic_pattern %q: %v", pattern, err)
		}
	} else {
		pattern = ""
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
	} else {
		opts = append(opts, kgo.ConsumeTopics(topics...))
	}
	if c.autoCommit {
		// Only records handed to the HTTP client are marked, so
		// auto-commit never covers records still buffered here.
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

// unsubscribe drops the subscription (or assignment) and leaves the group.
func (c *consumerInstance) unsubscribe() {
	c.closeClient()
	c.mode, c.topics, c.pattern, c.manual = modeNone, nil, "", nil
}

// assign consumes exactly the given partitions, without group management,
// starting from the group's committed offsets where there are some.
func (c *consumerInstance) assign(ctx context.Context, parts map[string][]int32) error {
	if c.mode == modeSubscribed {
		return errMixedConsuming
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
			off := c.reset
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
func (c *consumerInstance) startClient(opts []kgo.Opt) error {
	bufBytes := c.m.cfg.BufferBytes
	if !c.m.budget.TryAcquire(bufBytes) {
		return errConsumerMemory
	}
	fetchBytes := int32(min(max(bufBytes/4, 1024), 1<<30))
	all := append(slices.Clone(c.m.opts),
		kgo.ConsumeResetOffset(c.reset),
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
	c.cl, c.reserved = cl, bufBytes
	return nil
}

// closeClient commits what auto-commit owes, leaves the group, drops the
// buffer and returns the memory reservation.
func (c *consumerInstance) closeClient() {
	if c.cl == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	if c.autoCommit {
		if err := c.commitDelivered(ctx); err != nil {
			c.m.log.Warn("final auto-commit failed", "group", c.group, "instance", c.name, "error", err)
		}
	}
	c.cl.Close() // leaves the group now, so partitions move at once
	c.cl = nil
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
func (c *consumerInstance) onAssigned(_ context.Context, _ *kgo.Client, added map[string][]int32) {
	c.m.log.Debug("partitions assigned", "group", c.group, "instance", c.name, "partitions", added)
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

func (c *consumerInstance) onRevoked(ctx context.Context, cl *kgo.Client, lost map[string][]int32) {
	if c.autoCommit {
		// Overriding OnPartitionsRevoked disables franz-go's own
		// commit-on-revoke; do it here, for delivered records only.
		if err := cl.CommitMarkedOffsets(ctx); err != nil {
			c.m.log.Warn("commit on revoke failed", "group", c.group, "instance", c.name, "error", err)
		}
	}
	c.onLost(ctx, cl, lost)
}

func (c *consumerInstance) onLost(_ context.Context, _ *kgo.Client, lost map[string][]int32) {
	c.m.log.Debug("partitions revoked", "group", c.group, "instance", c.name, "partitions", lost)
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

// assignment returns the current partitions, sorted.
func (c *consumerInstance) assignment() []topicPartition {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []topicPartition
	for t, ps := range c.assigned {
		for p, ok := range ps {
			if ok {
				out = append(out, topicPartition{Topic: t, Partition: p})
			}
		}
	}
	sortTopicPartitions(out)
	return out
}

// subscription returns the subscribed topics; for a pattern, the topics it
// currently matches.
func (c *consumerInstance) subscription() []string {
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

type topicPartition struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
}

func sortTopicPartitions(tps []topicPartition) {
	slices.SortFunc(tps, func(a, b topicPartition) int { return compareTP(a.Topic, a.Partition, b.Topic, b.Partition) })
}

// compareTP orders by topic, then partition.
func compareTP(t1 string, p1 int32, t2 string, p2 int32) int {
	if c := strings.Compare(t1, t2); c != 0 {
		return c
	}
	return cmp.Compare(p1, p2)
}

// checkAssigned returns 409/40903 for the first partition not currently
// assigned, as Kafka's seek does.
func (c *consumerInstance) checkAssigned(tps []topicPartition) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, tp := range tps {
		if !c.assigned[tp.Topic][tp.Partition] {
			return illegalState("No current assignment for partition %s-%d", tp.Topic, tp.Partition)
		}
	}
	return nil
}

// seek moves the given partitions to offsets; records buffered for them are
// dropped, so the next read starts exactly there.
func (c *consumerInstance) seek(offsets map[string]map[int32]int64) error {
	var tps []topicPartition
	for t, ps := range offsets {
		for p := range ps {
			tps = append(tps, topicPartition{t, p})
		}
	}
	if err := c.checkAssigned(tps); err != nil {
		return err
	}
	set := map[string]map[int32]kgo.EpochOffset{}
	for t, ps := range offsets {
		set[t] = map[int32]kgo.EpochOffset{}
		for p, o := range ps {
			set[t][p] = kgo.EpochOffset{Epoch: -1, Offset: o}
		}
	}
	c.mu.Lock()
	c.buf = slices.DeleteFunc(c.buf, func(r *kgo.Record) bool {
		_, moved := offsets[r.Topic][r.Partition]
		return moved
	})
	c.mu.Unlock()
	c.cl.SetOffsets(set)
	return nil
}

// seekTo moves partitions to their start (beginning) or end.
func (c *consumerInstance) seekTo(ctx context.Context, tps []topicPartition, beginning bool) error {
	if err := c.checkAssigned(tps); err != nil {
		return err
	}
	topics := map[string]bool{}
	for _, tp := range tps {
		topics[tp.Topic] = true
	}
	names := make([]string, 0, len(topics))
	for t := range topics {
		names = append(names, t)
	}
	var listed kadm.ListedOffsets
	var err error
	if beginning {
		listed, err = c.m.admin.ListStartOffsets(ctx, names...)
	} else {
		listed, err = c.m.admin.ListEndOffsets(ctx, names...)
	}
	if err != nil {
		return err
	}
	return c.seekListed(tps, func(topicPartition) kadm.ListedOffsets { return listed })
}

// seekToTimes moves each partition to the first offset at or after its
// timestamp; partitions with no such record move to their end.
func (c *consumerInstance) seekToTimes(ctx context.Context, times map[topicPartition]time.Time) error {
	tps := make([]topicPartition, 0, len(times))
	for tp := range times {
		tps = append(tps, tp)
	}
	if err := c.checkAssigned(tps); err != nil {
		return err
	}
	lookups := map[topicPartition]kadm.ListedOffsets{}
	for tp, ts := range times {
		listed, err := c.m.admin.ListOffsetsAfterMilli(ctx, ts.UnixMilli(), tp.Topic)
		if err != nil {
			return err
		}
		lookups[tp] = listed
	}
	return c.seekListed(tps, func(tp topicPartition) kadm.ListedOffsets { return lookups[tp] })
}

// seekListed seeks each partition to the offset listed for it.
func (c *consumerInstance) seekListed(tps []topicPartition, listed func(topicPartition) kadm.ListedOffsets) error {
	offsets := map[string]map[int32]int64{}
	for _, tp := range tps {
		o, ok := listed(tp).Lookup(tp.Topic, tp.Partition)
		if !ok {
			return errPartitionNotFound
		}
		if o.Err != nil {
			return o.Err
		}
		if offsets[tp.Topic] == nil {
			offsets[tp.Topic] = map[int32]int64{}
		}
		offsets[tp.Topic][tp.Partition] = o.Offset
	}
	return c.seek(offsets)
}

// committedOffset is one entry of a commit: the offset of the last record
// processed (Confluent's API) and what Kafka stores (that + 1).
type committedOffset struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Consumed  int64  `json:"consumed"`
	Committed int64  `json:"committed"`
	metadata  string
}

// commit commits the given offsets (each the last processed record, so
// offset+1 is stored), or, with none given, everything delivered to the
// HTTP client so far and nothing still buffered here.
func (c *consumerInstance) commit(ctx context.Context, explicit []committedOffset) ([]committedOffset, error) {
	if c.cl == nil {
		if len(explicit) == 0 {
			return []committedOffset{}, nil
		}
		return nil, illegalState("This consumer is not subscribed to any topic or assigned any partition")
	}
	if len(explicit) == 0 {
		return c.commitDeliveredList(ctx)
	}
	offs := make(map[string]map[int32]kgo.EpochOffset)
	var ko kadm.Offsets
	for i := range explicit {
		e := &explicit[i]
		e.Committed = e.Consumed + 1
		if offs[e.Topic] == nil {
			offs[e.Topic] = map[int32]kgo.EpochOffset{}
		}
		offs[e.Topic][e.Partition] = kgo.EpochOffset{Epoch: -1, Offset: e.Committed}
		ko.Add(kadm.Offset{Topic: e.Topic, Partition: e.Partition, At: e.Committed, LeaderEpoch: -1, Metadata: e.metadata})
	}
	if err := c.commitOffsets(ctx, offs, ko); err != nil {
		return nil, err
	}
	return explicit, nil
}

func (c *consumerInstance) commitDeliveredList(ctx context.Context) ([]committedOffset, error) {
	c.mu.Lock()
	var out []committedOffset
	for t, ps := range c.delivered {
		for p, next := range ps {
			out = append(out, committedOffset{Topic: t, Partition: p, Consumed: next - 1, Committed: next})
		}
	}
	c.mu.Unlock()
	if err := c.commitDelivered(ctx); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b committedOffset) int { return compareTP(a.Topic, a.Partition, b.Topic, b.Partition) })
	if out == nil {
		out = []committedOffset{}
	}
	return out, nil
}

// commitDelivered commits the offsets after the last delivered record of
// every partition that has moved since the last commit.
func (c *consumerInstance) commitDelivered(ctx context.Context) error {
	c.mu.Lock()
	offs := make(map[string]map[int32]kgo.EpochOffset)
	var ko kadm.Offsets
	for t, ps := range c.delivered {
		for p, next := range ps {
			if c.committed[t][p] == next {
				continue
			}
			if offs[t] == nil {
				offs[t] = map[int32]kgo.EpochOffset{}
			}
			offs[t][p] = kgo.EpochOffset{Epoch: -1, Offset: next}
			ko.Add(kadm.Offset{Topic: t, Partition: p, At: next, LeaderEpoch: -1})
		}
	}
	c.mu.Unlock()
	if len(offs) == 0 {
		return nil
	}
	return c.commitOffsets(ctx, offs, ko)
}

// commitOffsets commits through the group session when subscribed (so the
// commit carries the member's generation) and through the admin API for a
// manual assignment.
func (c *consumerInstance) commitOffsets(ctx context.Context, offs map[string]map[int32]kgo.EpochOffset, ko kadm.Offsets) error {
	var err error
	if c.mode == modeSubscribed {
		// franz-go stores its member id as commit metadata; store the
		// client's metadata (or none), as Kafka's Java consumer does.
		ctx = kgo.PreCommitFnContext(ctx, func(req *kmsg.OffsetCommitRequest) error {
			for i := range req.Topics {
				t := &req.Topics[i]
				for j := range t.Partitions {
					md := ko[t.Topic][t.Partitions[j].Partition].Metadata
					t.Partitions[j].Metadata = &md
				}
			}
			return nil
		})
		// CommitOffsetsSync calls its callback before returning.
		c.cl.CommitOffsetsSync(ctx, offs, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, cerr error) {
			err = cerr
			if err == nil && resp != nil {
				for _, t := range resp.Topics {
					for _, p := range t.Partitions {
						if perr := kerr.ErrorForCode(p.ErrorCode); perr != nil && err == nil {
							err = perr
						}
					}
				}
			}
		})
	} else {
		err = retryRetriable(ctx, func() error {
			resp, err := c.m.admin.CommitOffsets(ctx, c.group, ko)
			if err == nil {
				err = resp.Error()
			}
			return err
		})
	}
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.committed == nil {
		c.committed = map[string]map[int32]int64{}
	}
	for t, ps := range offs {
		if c.committed[t] == nil {
			c.committed[t] = map[int32]int64{}
		}
		for p, o := range ps {
			c.committed[t][p] = o.Offset
		}
	}
	return nil
}

// committedOffsets returns the group's committed offsets for tps (all
// currently assigned partitions when tps is empty); partitions without a
// commit are left out, as in Confluent's proxy.
func (c *consumerInstance) committedOffsets(ctx context.Context, tps []topicPartition) ([]partitionCommitted, error) {
	if len(tps) == 0 {
		tps = c.assignment()
	}
	fetched, err := fetchGroupOffsets(ctx, c.m.admin, c.group)
	if err != nil {
		return nil, err
	}
	out := []partitionCommitted{}
	for _, tp := range tps {
		o, ok := fetched.Lookup(tp.Topic, tp.Partition)
		if !ok || o.Err != nil || o.At < 0 {
			continue
		}
		out = append(out, partitionCommitted{Topic: tp.Topic, Partition: tp.Partition, Offset: o.At, Metadata: o.Metadata})
	}
	return out, nil
}

type partitionCommitted struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
	Metadata  string `json:"metadata"`
}

// readLimits are the bounds of one records read.
type readLimits struct {
	wait     time.Duration
	maxBytes int64
	minBytes int64 // <= 0: any record ends the wait
	topic    string
}

// read returns delivered records: it answers as soon as records are there
// (or fetch.min.bytes of them, if set), and waits up to lim.wait only while
// there are none. A record larger than maxBytes is returned on its own
// rather than never. Records returned count as delivered for commits.
func (c *consumerInstance) read(lim readLimits, dst []*kgo.Record) ([]*kgo.Record, error) {
	if c.cl == nil {
		return dst, errNotConsuming
	}
	c.maybeAutoCommitManual()
	c.focus(lim.topic)
	deadline := time.Now().Add(lim.wait)
	var bytes int64
	full := false
	for {
		dst, bytes, full = c.take(dst, bytes, lim)
		if full || (len(dst) > 0 && (lim.minBytes <= 0 || bytes >= lim.minBytes)) {
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
		fs := c.cl.PollRecords(ctx, c.m.cfg.BufferRecords-c.bufferedCount())
		cancel()
		fs.EachError(func(t string, p int32, err error) {
			if ctx.Err() == nil && !isContextErr(err) {
				c.m.log.Warn("fetch error", "group", c.group, "instance", c.name, "topic", t, "partition", p, "error", err)
			}
		})
		c.mu.Lock()
		fs.EachRecord(func(r *kgo.Record) {
			if c.assigned[r.Topic][r.Partition] || c.mode == modeAssigned {
				c.buf = append(c.buf, r)
			}
		})
		c.mu.Unlock()
	}
	c.markDelivered(dst)
	return dst, nil
}

// focus makes a v1 topic read fetch only its topic: the instance's other
// topics are paused (franz-go drops what it buffered for them and fetches it
// again on resume) until a read asks for them. A read of everything resumes
// all.
func (c *consumerInstance) focus(topic string) {
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
func (c *consumerInstance) bufferFull() bool {
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

func (c *consumerInstance) bufferedCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.buf)
}

// take moves buffered records (of lim.topic only, when set) to dst while
// they fit in maxBytes; the first record is taken even if it alone is
// larger. full reports that maxBytes stopped it.
func (c *consumerInstance) take(dst []*kgo.Record, bytes int64, lim readLimits) ([]*kgo.Record, int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	full := false
	kept := c.buf[:0]
	for i, r := range c.buf {
		if full || (lim.topic != "" && r.Topic != lim.topic) {
			kept = append(kept, r)
			continue
		}
		size := int64(len(r.Key) + len(r.Value))
		if len(dst) > 0 && bytes+size > lim.maxBytes {
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

// markDelivered records what the HTTP client now has, for commits.
func (c *consumerInstance) markDelivered(recs []*kgo.Record) {
	if len(recs) == 0 {
		return
	}
	c.mu.Lock()
	if c.delivered == nil {
		c.delivered = map[string]map[int32]int64{}
	}
	for _, r := range recs {
		if c.delivered[r.Topic] == nil {
			c.delivered[r.Topic] = map[int32]int64{}
		}
		c.delivered[r.Topic][r.Partition] = r.Offset + 1
	}
	c.pendingAC = true
	c.mu.Unlock()
	if c.autoCommit && c.mode == modeSubscribed {
		c.cl.MarkCommitRecords(recs...)
	}
}

// autoCommitInterval is Kafka's default auto.commit.interval.ms.
const autoCommitInterval = 5 * time.Second

// maybeAutoCommitManual auto-commits delivered offsets of a manually assigned
// instance (franz-go auto-commits only group members), at most every
// autoCommitInterval, at the start of a read as Kafka's consumer does in
// poll().
func (c *consumerInstance) maybeAutoCommitManual() {
	if !c.autoCommit || c.mode != modeAssigned || time.Since(c.lastAuto) < autoCommitInterval {
		return
	}
	c.mu.Lock()
	pending := c.pendingAC
	c.pendingAC = false
	c.mu.Unlock()
	if !pending {
		return
	}
	c.lastAuto = time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	if err := c.commitDelivered(ctx); err != nil {
		c.m.log.Warn("auto-commit failed", "group", c.group, "instance", c.name, "error", err)
	}
}

// fetchGroupOffsets returns a group's committed offsets; a group that does
// not exist yet has none.
func fetchGroupOffsets(ctx context.Context, adm *kadm.Client, group string) (kadm.OffsetResponses, error) {
	var out kadm.OffsetResponses
	err := retryRetriable(ctx, func() error {
		var err error
		out, err = adm.FetchOffsets(ctx, group)
		if errors.Is(err, kerr.GroupIDNotFound) {
			out, err = kadm.OffsetResponses{}, nil
		}
		return err
	})
	return out, err
}

// retryRetriable retries f while it fails with a retriable Kafka error (such
// as COORDINATOR_NOT_AVAILABLE while a fresh cluster creates its offsets
// topic), until ctx ends.
func retryRetriable(ctx context.Context, f func() error) error {
	for {
		err := f()
		if err == nil || !kerr.IsRetriable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func isContextErr(err error) bool {
	return err == context.DeadlineExceeded || err == context.Canceled
}
