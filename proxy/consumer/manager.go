package consumer

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/krest-dev/krest/codec"
	"github.com/krest-dev/krest/pool"
	"github.com/krest-dev/krest/proxy/config"
)

// Manager owns the v1/v2 consumer instances of this krest process.
// Instances live in memory here; requests for them must reach this process
// (base_uri names it). It is safe for concurrent use.
type Manager struct {
	cfg    config.Consumers
	id     string // the proxy's "id", part of generated names
	opts   []kgo.Opt
	admin  *kadm.Client
	budget *pool.Budget // consumer.memory.max.bytes
	log    *slog.Logger

	mu        sync.Mutex
	instances map[instanceKey]*Instance
	expired   atomic.Int64

	stop chan struct{}
	done chan struct{}

	// OnDrop, when set before use, hears of every instance removed
	// (deleted, expired, closed), so that the consumer directory forgets
	// it.
	OnDrop func(group, name string)
}

type instanceKey struct{ group, name string }

// NewManager returns a Manager for the consumer settings of cfg. Instances
// consume with cfg's consumer client options and look up and commit group
// offsets through admin; log must not be nil. It starts the expiry of idle
// instances, which runs until Close.
// reserved is the topic no instance may consume: the consumer directory,
// when forwarding is on ("" otherwise).
func (m *Manager) reserved() string {
	if m == nil || m.cfg.Forwarding == "off" {
		return ""
	}
	return m.cfg.DirectoryTopic
}

func NewManager(cfg *config.Config, admin *kadm.Client, log *slog.Logger) *Manager {
	m := &Manager{
		cfg:       cfg.Consumers,
		id:        cfg.ID,
		opts:      cfg.ConsumerOpts(),
		admin:     admin,
		budget:    pool.NewBudget(cfg.Consumers.MemoryBytes),
		log:       log,
		instances: map[instanceKey]*Instance{},
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
	}
	go m.expireLoop()
	return m
}

// Settings are the per-instance choices of a create request.
type Settings struct {
	// Name names the instance within its group; Create generates one when
	// it is empty.
	Name string
	// Format is the embedded format of the instance's records. The Manager
	// only keeps it for the caller, who renders the records.
	Format codec.Format
	// Reset is where to start a partition without a committed offset
	// (auto.offset.reset).
	Reset kgo.Offset
	// AutoCommit commits delivered records in the background and on
	// leaving the group (auto.commit.enable).
	AutoCommit bool
	// FetchMinBytes is the instance's fetch.min.bytes, kept for the
	// caller's ReadLimits. -1: answer as soon as any record is there.
	FetchMinBytes int64
	// RequestTimeout is the upper bound of a read's wait, kept for the
	// caller's ReadLimits.
	RequestTimeout time.Duration
	// Owner is the principal that created the instance: only it may use
	// the instance ("" for any caller of an open door).
	Owner string
	// ClientOpts, when set, replace the shared consumer options: the
	// caller's own (config.ConsumerOptsAs) when krest acts in Kafka as
	// each caller.
	ClientOpts []kgo.Opt
}

// Create registers a new instance of group. An empty s.Name gets a
// generated one. It fails with ErrInstanceExists or ErrTooManyInstances.
func (m *Manager) Create(group string, s Settings) (*Instance, error) {
	if s.Name == "" {
		s.Name = m.generateName()
	}
	inst := &Instance{m: m, group: group, s: s, assigned: map[string]map[int32]bool{}}
	inst.touch()
	m.mu.Lock()
	defer m.mu.Unlock()
	key := instanceKey{group, s.Name}
	if _, dup := m.instances[key]; dup {
		return nil, ErrInstanceExists
	}
	if len(m.instances) >= m.cfg.MaxInstances {
		return nil, ErrTooManyInstances
	}
	m.instances[key] = inst
	return inst, nil
}

func (m *Manager) generateName() string {
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

// Use looks up an instance for owner and locks it for one operation; the
// caller must call inst.Release(). Every use refreshes the idle deadline.
// It fails with ErrInstanceNotFound, also for an instance another principal
// owns, whose existence is not revealed.
func (m *Manager) Use(group, name, owner string) (*Instance, error) {
	m.mu.Lock()
	inst := m.instances[instanceKey{group, name}]
	m.mu.Unlock()
	if inst == nil || inst.s.Owner != owner {
		return nil, ErrInstanceNotFound
	}
	inst.op.Lock()
	if inst.closed {
		inst.op.Unlock()
		return nil, ErrInstanceNotFound
	}
	inst.stopPrefetch()
	inst.touch()
	return inst, nil
}

// Has reports whether this krest holds the instance.
func (m *Manager) Has(group, name string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.instances[instanceKey{group, name}]
	return ok
}

// Each calls fn for every live instance, outside the Manager's lock.
func (m *Manager) Each(fn func(group, name string)) {
	m.mu.Lock()
	keys := make([]instanceKey, 0, len(m.instances))
	for k := range m.instances {
		keys = append(keys, k)
	}
	m.mu.Unlock()
	for _, k := range keys {
		fn(k.group, k.name)
	}
}

// Remove deletes an instance: it leaves its group at once (committing
// delivered offsets when auto-commit is on) and frees its memory. It fails
// with ErrInstanceNotFound.
func (m *Manager) Remove(group, name, owner string) error {
	inst, err := m.Use(group, name, owner)
	if err != nil {
		return err
	}
	defer inst.op.Unlock()
	m.drop(inst)
	return nil
}

// drop closes inst, whose op lock the caller holds, and forgets it.
func (m *Manager) drop(inst *Instance) {
	m.mu.Lock()
	delete(m.instances, instanceKey{inst.group, inst.s.Name})
	m.mu.Unlock()
	if m.OnDrop != nil {
		m.OnDrop(inst.group, inst.s.Name)
	}
	inst.closeClient()
	inst.closed = true
}

// expireLoop removes instances idle for longer than
// consumer.instance.timeout.ms, checking every second.
func (m *Manager) expireLoop() {
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

func (m *Manager) expireIdle(now time.Time) {
	m.mu.Lock()
	var idle []*Instance
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
			m.log.Info("consumer instance expired", "group", inst.group, "instance", inst.s.Name)
			m.drop(inst)
			m.expired.Add(1)
		}
		inst.op.Unlock()
	}
}

// Close removes every instance, leaving their groups, and stops the expiry.
// The Manager must not be used afterwards.
func (m *Manager) Close() {
	close(m.stop)
	<-m.done
	m.mu.Lock()
	all := make([]*Instance, 0, len(m.instances))
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

// MemoryUsed returns the bytes of consumer.memory.max.bytes that instances
// hold: consumer.buffer.max.bytes for each one subscribed or assigned.
func (m *Manager) MemoryUsed() int64 { return m.budget.Used() }

// Instances returns the number of live instances.
func (m *Manager) Instances() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.instances)
}

// Expired returns how many instances expired idle so far.
func (m *Manager) Expired() int64 { return m.expired.Load() }

// AddClientOpts adds options to every instance's client from now on
// (metrics hooks); call it before the first instance starts.
func (m *Manager) AddClientOpts(opts ...kgo.Opt) { m.opts = append(m.opts, opts...) }
