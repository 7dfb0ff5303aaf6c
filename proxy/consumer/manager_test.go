package consumer

import (
	"errors"
	"log/slog"
	"regexp"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/krest-dev/krest/proxy/config"
)

// newTestManager returns a Manager on a fresh in-process kfake cluster,
// closed with the test.
func newTestManager(t *testing.T, props map[string]string) (*Manager, *kfake.Cluster) {
	t.Helper()
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	all := map[string]string{"bootstrap.servers": cluster.ListenAddrs()[0]}
	for k, v := range props {
		all[k] = v
	}
	cfg, err := config.Parse(all)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(cfg.AdminOpts()...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	m := NewManager(cfg, kadm.NewClient(cl), slog.New(slog.DiscardHandler))
	t.Cleanup(m.Close) // runs before the client and the cluster close
	return m, cluster
}

// TestManagerInstances: names are unique per group, consumer.instances.max
// bounds the count, and a removed instance is gone.
func TestManagerInstances(t *testing.T) {
	t.Parallel()
	m, _ := newTestManager(t, map[string]string{"consumer.instances.max": "3"})
	for _, tc := range []struct {
		group, name string
		want        error
	}{
		{"g", "a", nil},
		{"g", "a", ErrInstanceExists},
		{"other", "a", nil}, // names are per group
		{"g", "", nil},      // generated
		{"g", "b", ErrTooManyInstances},
	} {
		inst, err := m.Create(tc.group, Settings{Name: tc.name})
		if !errors.Is(err, tc.want) {
			t.Fatalf("Create(%q, %q): %v, want %v", tc.group, tc.name, err, tc.want)
		}
		if err == nil && tc.name != "" && inst.Name() != tc.name {
			t.Errorf("Create(%q, %q) named the instance %q", tc.group, tc.name, inst.Name())
		}
	}
	inst, err := m.Use("g", "a", "")
	if err != nil {
		t.Fatalf("Use: %v", err)
	}
	inst.Release()
	if _, err := m.Use("g", "nope", ""); !errors.Is(err, ErrInstanceNotFound) {
		t.Errorf("Use of an unknown instance: %v", err)
	}
	if err := m.Remove("g", "a", ""); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	for _, f := range []func() error{
		func() error { _, err := m.Use("g", "a", ""); return err },
		func() error { return m.Remove("g", "a", "") },
	} {
		if err := f(); !errors.Is(err, ErrInstanceNotFound) {
			t.Errorf("removed instance: %v, want ErrInstanceNotFound", err)
		}
	}
	if _, err := m.Create("g", Settings{Name: "a"}); err != nil {
		t.Errorf("Create after Remove freed a slot: %v", err)
	}
}

// TestGeneratedNames: a generated name is rest-consumer-[id-]UUIDv4.
func TestGeneratedNames(t *testing.T) {
	t.Parallel()
	const uuid = `[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}`
	for _, tc := range []struct{ id, pattern string }{
		{"", `^rest-consumer-` + uuid + `$`},
		{"krest-7", `^rest-consumer-krest-7-` + uuid + `$`},
	} {
		m := &Manager{id: tc.id}
		if name := m.generateName(); !regexp.MustCompile(tc.pattern).MatchString(name) {
			t.Errorf("id %q: generated %q, want %s", tc.id, name, tc.pattern)
		}
	}
}

func TestExpiryCheckInterval(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ timeout, want time.Duration }{
		{0, 10 * time.Millisecond},
		{20 * time.Millisecond, 10 * time.Millisecond},
		{1500 * time.Millisecond, 375 * time.Millisecond},
		{5 * time.Minute, time.Second},
	} {
		if got := expiryCheckInterval(tc.timeout); got != tc.want {
			t.Errorf("expiryCheckInterval(%v) = %v, want %v", tc.timeout, got, tc.want)
		}
	}
}

// TestExpireIdle: an instance idle past consumer.instance.timeout.ms is
// removed, unless an operation holds it right now.
func TestExpireIdle(t *testing.T) {
	t.Parallel()
	m, _ := newTestManager(t, map[string]string{"consumer.instance.timeout.ms": "60000"})
	for _, name := range []string{"idle", "busy"} {
		if _, err := m.Create("g", Settings{Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	busy, err := m.Use("g", "busy", "")
	if err != nil {
		t.Fatal(err)
	}
	m.expireIdle(time.Now().Add(30 * time.Second))
	idle, err := m.Use("g", "idle", "")
	if err != nil {
		t.Fatalf("instance expired before its timeout: %v", err)
	}
	idle.Release()
	m.expireIdle(time.Now().Add(2 * time.Minute))
	busy.Release()
	for name, want := range map[string]error{"idle": ErrInstanceNotFound, "busy": nil} {
		inst, err := m.Use("g", name, "")
		if !errors.Is(err, want) {
			t.Errorf("%s after expiry: %v, want %v", name, err, want)
		}
		if err == nil {
			inst.Release()
		}
	}
}

// TestMemoryBudget: each subscribed or assigned instance holds
// consumer.buffer.max.bytes of consumer.memory.max.bytes until it stops
// consuming; one that does not fit gets ErrMemory.
func TestMemoryBudget(t *testing.T) {
	t.Parallel()
	m, _ := newTestManager(t, map[string]string{
		"consumer.buffer.max.bytes": "1048576",
		"consumer.memory.max.bytes": "1572864",
	})
	a, err := m.Create("g", Settings{Name: "a", Reset: kgo.NewOffset().AtStart()})
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.Create("g", Settings{Name: "b", Reset: kgo.NewOffset().AtStart()})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Subscribe([]string{"t"}, ""); err != nil {
		t.Fatal(err)
	}
	if got := m.MemoryUsed(); got != 1<<20 {
		t.Errorf("MemoryUsed = %d with one subscribed instance, want %d", got, 1<<20)
	}
	if err := b.Subscribe([]string{"t"}, ""); !errors.Is(err, ErrMemory) {
		t.Errorf("subscription beyond the budget: %v, want ErrMemory", err)
	}
	if b.Consuming() {
		t.Error("refused instance has a client")
	}
	a.Unsubscribe()
	if got := m.MemoryUsed(); got != 0 {
		t.Errorf("MemoryUsed = %d after Unsubscribe, want 0", got)
	}
	if err := b.Subscribe([]string{"t"}, ""); err != nil {
		t.Errorf("subscription after memory was freed: %v", err)
	}
	if err := m.Remove("g", "b", ""); err != nil || m.MemoryUsed() != 0 {
		t.Errorf("Remove: %v, MemoryUsed %d", err, m.MemoryUsed())
	}
}
