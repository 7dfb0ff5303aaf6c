package produce

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func newCluster(t *testing.T) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "t"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// fill builds a batch of values for topic t, each to partition p.
func fill(b *Batch, p int32, values ...string) {
	b.Grow(len(values))
	for i, v := range values {
		off := len(b.Arena.B)
		b.Arena.B = append(b.Arena.B, v...)
		b.Set(i, "t", p, time.Time{}, Null, Span{off, len(b.Arena.B)})
	}
	b.Seal()
}

func TestBatch(t *testing.T) {
	t.Parallel()
	b := GetBatch()
	defer PutBatch(b)
	b.Grow(2)
	b.Arena.B = append(b.Arena.B, "keyvalhv"...)
	b.Set(0, "t", 3, time.UnixMilli(5), Span{0, 3}, Span{3, 6})
	b.AddHeader(0, "h", Span{6, 8})
	b.AddHeader(0, "n", Null)
	b.Set(1, "u", AutoPartition, time.Time{}, Null, Span{3, 3})
	b.Seal()
	r := b.Records[0]
	if r.Topic != "t" || r.Partition != 3 || string(r.Key) != "key" || string(r.Value) != "val" || r.Timestamp.UnixMilli() != 5 ||
		len(r.Headers) != 2 || string(r.Headers[0].Value) != "hv" || r.Headers[1].Value != nil {
		t.Errorf("record 0 = %+v", r)
	}
	if r := b.Records[1]; r.Key != nil || r.Value == nil || len(r.Value) != 0 || r.Headers != nil {
		t.Errorf("record 1 = %+v (an empty value must stay non-null)", r)
	}
	// A reused batch keeps nothing of the previous records.
	b.Reset()
	fill(b, 0, "x")
	if len(b.Records) != 1 || b.Records[0].Headers != nil || string(b.Records[0].Value) != "x" {
		t.Errorf("reused batch: %+v", b.Records)
	}
}

func TestProduce(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	p, err := New([]kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...)}, Options{BufferBytes: 1 << 20, MaxBlock: 100 * time.Millisecond, DeliveryTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()

	b := GetBatch()
	fill(b, 1, "a", "b")
	if err := p.Produce(ctx, b); err != nil {
		t.Fatal(err)
	}
	for i, r := range b.Records {
		if b.Errs[i] != nil || r.Partition != 1 || r.Offset != int64(i) {
			t.Errorf("record %d: partition %d offset %d err %v", i, r.Partition, r.Offset, b.Errs[i])
		}
	}
	PutBatch(b)

	b = GetBatch()
	fill(b, 7, "c") // t has partitions 0 and 1
	if err := p.Produce(ctx, b); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(b.Errs[0], ErrPartitionNotFound) {
		t.Errorf("record to partition 7: %v, want ErrPartitionNotFound", b.Errs[0])
	}
	PutBatch(b)
	if used := p.BudgetUsed(); used != 0 {
		t.Errorf("budget holds %d bytes after every record was reported", used)
	}
}

// TestProduceOverloaded: while a batch the broker holds fills the budget,
// the next batch waits MaxBlock and gets ErrOverloaded, sending nothing;
// the first completes once the broker answers.
func TestProduceOverloaded(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	release := make(chan struct{})
	c.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		<-release
		return nil, nil, false
	})
	p, err := New([]kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...)}, Options{BufferBytes: 200, MaxBlock: 50 * time.Millisecond, DeliveryTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()
	first := GetBatch()
	fill(first, 0, "a")
	done := make(chan error, 1)
	go func() { done <- p.Produce(ctx, first) }()
	for p.BudgetUsed() == 0 {
		time.Sleep(time.Millisecond)
	}
	second := GetBatch()
	defer PutBatch(second)
	fill(second, 0, string(make([]byte, 150)))
	if err := p.Produce(ctx, second); !errors.Is(err, ErrOverloaded) {
		t.Errorf("batch over the free budget: %v, want ErrOverloaded", err)
	}
	close(release)
	if err := <-done; err != nil || first.Errs[0] != nil || first.Records[0].Offset != 0 {
		t.Errorf("held batch: %v, %v, offset %d", err, first.Errs[0], first.Records[0].Offset)
	}
	PutBatch(first)
}

// recordsIn returns how many records each batch of a produce request holds.
func recordsIn(t *testing.T, r kmsg.Request) []int {
	var n []int
	for _, tp := range r.(*kmsg.ProduceRequest).Topics {
		for _, pp := range tp.Partitions {
			var rb kmsg.RecordBatch
			if err := rb.ReadFrom(pp.Records); err != nil {
				t.Errorf("record batch: %v", err)
			}
			n = append(n, int(rb.NumRecords))
		}
	}
	return n
}

// waitFor polls cond until it holds, for at most 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10 s", what)
		}
	}
}

// lingeringProducer is a Producer on c with kgo's linger set to linger (the
// longest a call waits behind a group), closed with the test.
func lingeringProducer(tb testing.TB, c *kfake.Cluster, linger time.Duration) *Producer {
	tb.Helper()
	p, err := New([]kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...), kgo.ProducerLinger(linger)},
		Options{BufferBytes: 64 << 20, MaxBlock: time.Second, DeliveryTimeout: 10 * time.Second})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(p.Close)
	return p
}

// gatedProducer is a producer whose calls wait up to a minute behind the
// group in flight, so that a test sees them queued, while kgo lingers
// 200 ms: long enough for a group's records to fill one batch, short
// enough when kgo loses an end of its linger (it does when a produce
// request of the partition is still counted in flight: its last step
// starts the linger again).
func gatedProducer(tb testing.TB, c *kfake.Cluster) *Producer {
	tb.Helper()
	p := lingeringProducer(tb, c, 200*time.Millisecond)
	p.linger = time.Minute // before any call: read under p.mu from then on
	return p
}

// produceValue produces v to partition 0 of t through p and returns the
// call's or the record's failure.
func produceValue(p *Producer, v string) error {
	b := GetBatch()
	defer PutBatch(b)
	fill(b, 0, v)
	if err := p.Produce(context.Background(), b); err != nil {
		return err
	}
	return b.Errs[0]
}

// groups returns how many groups p has in flight and how many calls wait.
func groups(p *Producer) (open, queued int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.open, len(p.queue)
}

// TestProduceFlushSendsQueued: Flush (at shutdown) sends the calls queued
// behind a group at once instead of leaving them to the linger, and
// returns once they are acknowledged.
func TestProduceFlushSendsQueued(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	release := make(chan struct{})
	var requests atomic.Int32
	c.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if requests.Add(1) == 2 {
			c.SleepControl(func() { <-release })
		}
		return nil, nil, false
	})
	p := gatedProducer(t, c)
	if err := produceValue(p, "warm"); err != nil {
		t.Fatal(err)
	}
	held, queued := make(chan error, 1), make(chan error, 1)
	go func() { held <- produceValue(p, "held") }()
	waitFor(t, "the second produce request", func() bool { return requests.Load() == 2 })
	go func() { queued <- produceValue(p, "queued") }()
	waitFor(t, "the call queued behind the group", func() bool { _, q := groups(p); return q == 1 })
	flushed := make(chan error, 1)
	go func() { flushed <- p.Flush(context.Background()) }()
	waitFor(t, "Flush sending the queued call", func() bool { open, q := groups(p); return open == 2 && q == 0 })
	close(release)
	for _, ch := range []chan error{held, queued, flushed} {
		if err := <-ch; err != nil {
			t.Fatal(err)
		}
	}
}

// TestProduceGroups: calls that arrive while a produce request is in flight
// wait in krest and then share one request, where kgo would have sent each
// in a request of its own (it allows five in flight).
func TestProduceGroups(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	var (
		mu       sync.Mutex
		requests [][]int // records per batch of each produce request
	)
	release := make(chan struct{})
	c.ControlKey(int16(kmsg.Produce), func(r kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		mu.Lock()
		requests = append(requests, recordsIn(t, r))
		n := len(requests)
		mu.Unlock()
		if n == 2 {
			c.SleepControl(func() { <-release })
		}
		return nil, nil, false
	})
	p := gatedProducer(t, c)
	// The first request lets kgo send more than one at a time.
	if err := produceValue(p, "warm"); err != nil {
		t.Fatal(err)
	}
	held := make(chan error, 1)
	go func() { held <- produceValue(p, "held") }()
	waitFor(t, "the second produce request", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(requests) == 2
	})
	const calls = 10
	errs := make(chan error, calls)
	for i := range calls {
		go func() { errs <- produceValue(p, fmt.Sprint(i)) }()
	}
	waitFor(t, "the calls queued behind the group", func() bool { _, q := groups(p); return q == calls })
	close(release)
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	for range calls {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(requests) != "[[1] [1] [10]]" {
		t.Errorf("records per batch of each produce request: %v, want [[1] [1] [10]]", requests)
	}
}

// TestProduceNoHeadOfLine: a call whose records kgo cannot send yet (its
// topic's metadata does not come) holds back the calls after it by the
// linger at most, never until its own outcome.
func TestProduceNoHeadOfLine(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	release := make(chan struct{})
	var held atomic.Bool
	c.ControlKey(int16(kmsg.Metadata), func(r kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		for _, tp := range r.(*kmsg.MetadataRequest).Topics {
			if tp.Topic != nil && *tp.Topic == "late" {
				held.Store(true)
				c.SleepControl(func() { <-release })
				break
			}
		}
		return nil, nil, false
	})
	p := lingeringProducer(t, c, 20*time.Millisecond)
	ctx := context.Background()
	if err := produceValue(p, "warm"); err != nil {
		t.Fatal(err)
	}

	late := GetBatch()
	fill(late, 0, "late")
	late.Records[0].Topic = "late"
	lateDone := make(chan error, 1)
	go func() { lateDone <- p.Produce(ctx, late) }()
	waitFor(t, "the metadata request for the missing topic", held.Load)
	b := GetBatch()
	fill(b, 1, "next")
	if err := p.Produce(ctx, b); err != nil || b.Errs[0] != nil || b.Records[0].Offset != 0 {
		t.Errorf("call after the stuck one: %v, %v, offset %d", err, b.Errs[0], b.Records[0].Offset)
	}
	PutBatch(b)
	select {
	case err := <-lateDone:
		t.Fatalf("the stuck call returned (%v) before its metadata came", err)
	default:
	}
	close(release)
	if err := <-lateDone; err != nil {
		t.Fatal(err)
	}
	if late.Errs[0] == nil {
		t.Error("record to a topic kfake does not have was acknowledged")
	}
	PutBatch(late)
}

func TestRecordIndex(t *testing.T) {
	t.Parallel()
	recs := make([]kgo.Record, 3)
	other := make([]kgo.Record, 1)
	for _, tc := range []struct {
		recs []kgo.Record
		r    *kgo.Record
		want int
	}{
		{recs, &recs[0], 0},
		{recs, &recs[2], 2},
		{recs[1:], &recs[2], 1},
		{recs[1:], &recs[0], -1}, // before the slice
		{recs[:2], &recs[2], -1}, // past its end
		{recs, &other[0], -1},
		{nil, &other[0], -1},
	} {
		if got := recordIndex(tc.recs, tc.r); got != tc.want {
			t.Errorf("recordIndex(%d records, %p) = %d, want %d", len(tc.recs), tc.r, got, tc.want)
		}
	}
}

// TestStartKeepsOrder: calls started one after another without waiting
// (as a v3 stream starts one per read) land in their partition in the
// order they were started, while groups sent at the linger overlap the
// one in flight: the broker holds every produce request a while, so most
// groups go at the linger, on another sender than the one in flight.
func TestStartKeepsOrder(t *testing.T) {
	t.Parallel()
	for _, linger := range []bool{false, true} {
		t.Run(fmt.Sprintf("linger=%v", linger), func(t *testing.T) { testStartKeepsOrder(t, linger) })
	}
}

func testStartKeepsOrder(t *testing.T, linger bool) {
	c := newCluster(t)
	c.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		c.SleepControl(func() { time.Sleep(3 * time.Millisecond) })
		return nil, nil, false
	})
	p := lingeringProducer(t, c, time.Millisecond)
	const calls, per = 300, 7
	bs := make([]*Batch, calls)
	cs := make([]*Call, calls)
	for i := range bs {
		b := GetBatch()
		vals := make([]string, per)
		for k := range vals {
			vals[k] = strconv.Itoa(i*per + k)
		}
		fill(b, 0, vals...)
		b.Linger = linger
		call, err := p.Start(context.Background(), b)
		if err != nil {
			t.Fatal(err)
		}
		bs[i], cs[i] = b, call
	}
	for i, call := range cs {
		call.Wait()
		b := bs[i]
		for k, r := range b.Records {
			want := int64(i*per + k)
			if b.Errs[k] != nil || r.Offset != want {
				t.Fatalf("record %d: offset %d, %v; want offset %d", i*per+k, r.Offset, b.Errs[k], want)
			}
		}
		PutBatch(b)
	}
	if used := p.BudgetUsed(); used != 0 {
		t.Errorf("budget holds %d bytes after every record was reported", used)
	}
}

// TestProduceHolds: a group that returns to find at least holdBytes queued
// behind it (calls keep coming) holds the queue for more, until calls stop
// coming for half the linger (or the linger since it was sent); the queue
// goes at once when it is small (a few callers waiting on the group) or
// carries fullGroupBytes, and a call that finds no group in flight goes at
// once, however large.
func TestProduceHolds(t *testing.T) {
	t.Parallel()
	const linger = time.Second
	big := string(make([]byte, holdBytes))
	for _, tc := range []struct {
		name   string
		queued []string // one call's values, queued behind the group in flight
		held   bool
	}{
		{"small queue", []string{"b"}, false},
		{"large queue", []string{big}, true},
		{"full queue", slices.Repeat([]string{big}, fullGroupBytes/holdBytes+1), false},
		{"no group in flight", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newCluster(t)
			var (
				mu   sync.Mutex
				sent []time.Time
			)
			release := make(chan struct{})
			c.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
				c.KeepControl()
				mu.Lock()
				sent = append(sent, time.Now())
				n := len(sent)
				mu.Unlock()
				if n == 2 && tc.queued != nil {
					c.SleepControl(func() { <-release })
				}
				return nil, nil, false
			})
			p := lingeringProducer(t, c, linger)
			if err := produceValue(p, "warm"); err != nil { // metadata and the producer id
				t.Fatal(err)
			}
			first := make(chan error, 1)
			value := "a"
			if tc.queued == nil {
				value = big
			}
			go func() { first <- produceValue(p, value) }()
			var released time.Time
			second := make(chan error, 1)
			if tc.queued != nil {
				waitFor(t, "the first call's produce request", func() bool { mu.Lock(); defer mu.Unlock(); return len(sent) == 2 })
				go func() {
					b := GetBatch()
					defer PutBatch(b)
					fill(b, 0, tc.queued...)
					err := p.Produce(context.Background(), b)
					for _, rerr := range b.Errs {
						err = cmp.Or(err, rerr)
					}
					second <- err
				}()
				waitFor(t, "the call queued behind the group", func() bool { _, q := groups(p); return q == 1 })
				released = time.Now()
				close(release)
			} else {
				if err := <-first; err != nil {
					t.Fatal(err)
				}
				released = time.Now()
				first <- nil
				go func() { second <- produceValue(p, "b") }()
			}
			for _, ch := range []chan error{first, second} {
				if err := <-ch; err != nil {
					t.Fatal(err)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			gap := sent[len(sent)-1].Sub(released)
			if tc.held && gap < linger*45/100 {
				t.Errorf("queue sent %v after the group returned, want it held for half the linger (%v)", gap, linger/2)
			}
			if !tc.held && gap >= linger/4 {
				t.Errorf("queue sent %v after the group returned, want at once (linger %v)", gap, linger)
			}
		})
	}
}
