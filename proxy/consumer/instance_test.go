package consumer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestInstanceStateErrors: operations that do not fit the instance's state
// fail with the package's errors, before anything reaches Kafka.
func TestInstanceStateErrors(t *testing.T) {
	t.Parallel()
	m, _ := newTestManager(t, nil)
	inst, err := m.Create("g", Settings{Name: "i"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	illegal := func(msg string) func(error) bool {
		return func(err error) bool {
			var ise *IllegalStateError
			return errors.As(err, &ise) && ise.Msg == msg
		}
	}
	for _, tc := range []struct {
		name string
		run  func() error
		ok   func(error) bool
	}{
		{"read", func() error { _, err := inst.Read(ReadLimits{}, nil); return err },
			func(err error) bool { return err == ErrNotConsuming }},
		{"explicit commit", func() error { _, err := inst.Commit(ctx, []Commit{{Topic: "t"}}); return err },
			illegal("This consumer is not subscribed to any topic or assigned any partition")},
		{"bad pattern", func() error { return inst.Subscribe(nil, "a(") },
			func(err error) bool {
				var pe *PatternError
				return errors.As(err, &pe) && pe.Pattern == "a(" && err.Error() == "invalid topic_pattern \"a(\": error parsing regexp: missing closing ): `a(`"
			}},
		{"empty subscription", func() error { return inst.Subscribe(nil, "") }, func(err error) bool { return err == nil }},
		{"empty assignment", func() error { return inst.Assign(ctx, nil) }, func(err error) bool { return err == nil }},
	} {
		if err := tc.run(); !tc.ok(err) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	if done, err := inst.Commit(ctx, nil); err != nil || done == nil || len(done) != 0 {
		t.Errorf("empty commit without a client: %v, %v; want an empty list", done, err)
	}
	if sub := inst.Subscription(); sub == nil || len(sub) != 0 {
		t.Errorf("Subscription = %#v, want empty", sub)
	}
	if inst.Consuming() {
		t.Error("Consuming without subscribe or assign")
	}
	if got := ErrMixedConsuming.Error(); got != "illegal state: Subscription to topics, partitions and pattern are mutually exclusive" {
		t.Errorf("ErrMixedConsuming = %q", got)
	}
}

// TestAssignReadCommit drives an assigned instance without HTTP: reads
// honour MaxBytes, commits cover delivered records only, a seek of an
// unassigned partition is an IllegalStateError and mixing a subscription in
// is ErrMixedConsuming.
func TestAssignReadCommit(t *testing.T) {
	t.Parallel()
	m, cluster := newTestManager(t, nil)
	produce(t, cluster.ListenAddrs(), "t", "r0", "r1", "r2", "r3", "r4")
	inst, err := m.Create("g", Settings{Name: "i", Reset: kgo.NewOffset().AtStart()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := inst.Assign(ctx, map[string][]int32{"t": {0}}); err != nil {
		t.Fatal(err)
	}
	if got, want := inst.Assignment(), []TopicPartition{{"t", 0}}; !slices.Equal(got, want) {
		t.Errorf("Assignment = %v, want %v", got, want)
	}
	var recs []*kgo.Record
	for len(recs) == 0 && ctx.Err() == nil {
		if recs, err = inst.Read(ReadLimits{Wait: time.Second, MaxBytes: 4}, recs); err != nil {
			t.Fatal(err)
		}
		inst.stopPrefetch() // as Manager.Use does before the next operation
	}
	if len(recs) != 2 || recs[0].Offset != 0 || recs[1].Offset != 1 {
		t.Fatalf("read with MaxBytes 4: %d records, want offsets 0 and 1", len(recs))
	}
	done, err := inst.Commit(ctx, nil)
	if want := []Commit{{Topic: "t", Partition: 0, Consumed: 1, Committed: 2}}; err != nil || !slices.Equal(done, want) {
		t.Errorf("commit of delivered records: %v %v, want %v", done, err, want)
	}
	committed, err := inst.CommittedOffsets(ctx, nil)
	if want := []CommittedOffset{{Topic: "t", Partition: 0, Offset: 2}}; err != nil || !slices.Equal(committed, want) {
		t.Errorf("CommittedOffsets = %v %v, want %v", committed, err, want)
	}

	err = inst.Seek(map[string]map[int32]int64{"t": {1: 0}})
	var ise *IllegalStateError
	if !errors.As(err, &ise) || ise.Msg != "No current assignment for partition t-1" {
		t.Errorf("seek of an unassigned partition: %v", err)
	}
	for name, err := range map[string]error{
		"Subscribe": inst.Subscribe([]string{"t"}, ""),
		"AddTopic":  inst.AddTopic("t"),
	} {
		if err != ErrMixedConsuming {
			t.Errorf("%s on an assigned instance: %v, want ErrMixedConsuming", name, err)
		}
	}

	if err := inst.SeekToBeginning(ctx, []TopicPartition{{"t", 0}}); err != nil {
		t.Fatal(err)
	}
	recs = recs[:0]
	for len(recs) == 0 && ctx.Err() == nil {
		if recs, err = inst.Read(ReadLimits{Wait: time.Second, MaxBytes: 100}, recs); err != nil {
			t.Fatal(err)
		}
		inst.stopPrefetch()
	}
	if len(recs) == 0 || recs[0].Offset != 0 {
		t.Errorf("read after SeekToBeginning starts at %v", recs)
	}
}

// produce writes one record per value to partition 0 of topic.
func produce(t *testing.T, seeds []string, topic string, values ...string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, v := range values {
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte(v)}).FirstErr(); err != nil {
			t.Fatal(fmt.Errorf("produce %s: %w", v, err))
		}
	}
}

// TestPrefetch: between two reads the instance takes the next fetch into
// its buffer (so franz-go asks Kafka for the one after at once), and an
// operation that follows a read (a seek here) finds the prefetch stopped
// and its records dropped where the operation says: every record is then
// read once, in order, from the seek.
func TestPrefetch(t *testing.T) {
	t.Parallel()
	m, cluster := newTestManager(t, map[string]string{"consumer.buffer.max.bytes": "16384"}) // 4 KiB fetches
	var values []string
	for i := range 40 {
		values = append(values, fmt.Sprintf("%04d%s", i, strings.Repeat("x", 1000)))
	}
	produce(t, cluster.ListenAddrs(), "t", values...)
	if _, err := m.Create("g", Settings{Name: "i", Reset: kgo.NewOffset().AtStart()}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	use := func() *Instance {
		t.Helper()
		inst, err := m.Use("g", "i", "")
		if err != nil {
			t.Fatal(err)
		}
		return inst
	}
	inst := use()
	if err := inst.Assign(ctx, map[string][]int32{"t": {0}}); err != nil {
		t.Fatal(err)
	}
	var recs []*kgo.Record
	var err error
	for len(recs) == 0 && ctx.Err() == nil {
		if recs, err = inst.Read(ReadLimits{Wait: time.Second, MaxBytes: 1 << 20}, recs[:0]); err != nil {
			t.Fatal(err)
		}
	}
	first := len(recs)
	inst.Release()
	if first >= len(values) {
		t.Fatalf("the first read took all %d records; the fetches are not small", first)
	}
	for inst.Buffered() == 0 { // no read runs: only a prefetch fills it
		if ctx.Err() != nil {
			t.Fatal("nothing was prefetched after a read")
		}
		time.Sleep(10 * time.Millisecond)
	}

	inst = use()
	if err := inst.Seek(map[string]map[int32]int64{"t": {0: 3}}); err != nil {
		t.Fatal(err)
	}
	inst.Release()
	next := int64(3)
	for next < int64(len(values)) && ctx.Err() == nil {
		inst = use()
		if recs, err = inst.Read(ReadLimits{Wait: time.Second, MaxBytes: 1 << 20}, recs[:0]); err != nil {
			t.Fatal(err)
		}
		inst.Release()
		for _, r := range recs {
			if r.Offset != next || string(r.Value) != values[next] {
				t.Fatalf("read offset %d (%.4s), want %d", r.Offset, r.Value, next)
			}
			next++
		}
	}
	if next != int64(len(values)) {
		t.Fatalf("read up to offset %d of %d", next, len(values))
	}
}
