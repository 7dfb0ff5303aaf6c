package directory

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/krest-dev/krest/proxy/testenv"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

func seeds(t *testing.T) []kgo.Opt {
	t.Helper()
	return []kgo.Opt{kgo.SeedBrokers(testenv.Broker(t)...)}
}

// TestDirectory: a claim is seen by another krest; a krest that dies
// without releasing its instances and starts again drops them, so they
// do not come back; a release is seen by the others.
func TestDirectory(t *testing.T) {
	opts := seeds(t)
	topic := "_krest_directory_test_" + time.Now().Format("150405.000000")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	log := slog.New(slog.DiscardHandler)
	a, err := Open(ctx, opts, topic, Owner{ID: "a", URL: "http://a:1", Incarnation: "1"}, testSecret, log)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(ctx, opts, topic, Owner{ID: "b", URL: "http://b:1", Incarnation: "1"}, testSecret, log)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := a.Claim(ctx, "g", "i"); err != nil {
		t.Fatal(err)
	}
	if err := a.Claim(ctx, "g", "j"); err != nil {
		t.Fatal(err)
	}
	if o, ok := b.LookupFresh(ctx, "g", "i"); !ok || o.ID != "a" || o.URL != "http://a:1" {
		t.Fatalf("b sees %+v %v", o, ok)
	}
	b.Release(ctx, "g", "j", Owner{ID: "a", URL: "http://a:1", Incarnation: "1"}) // a is gone, says b
	a.Close()                                                                     // dies holding g/i
	a2, err := Open(ctx, opts, topic, Owner{ID: "a", URL: "http://a:1", Incarnation: "2"}, testSecret, log)
	if err != nil {
		t.Fatal(err)
	}
	defer a2.Close()
	for _, name := range []string{"i", "j"} {
		if o, ok := a2.LookupFresh(ctx, "g", name); ok {
			t.Errorf("the restarted krest still lists g/%s: %+v", name, o)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, ok := b.LookupFresh(ctx, "g", "i"); !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the other krest still lists the dead run's instance")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestDirectoryWithKafkaDown: a directory whose Kafka does not answer
// returns at once and acts as forwarding off (lookups miss at once, claims
// are skipped, nothing verifies), says why it is not ready, and closes
// promptly.
func TestDirectoryWithKafkaDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { // accepts and never answers
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	start := time.Now()
	d, err := New([]kgo.Opt{kgo.SeedBrokers(ln.Addr().String())}, "_krest_down", Owner{ID: "a"}, testSecret, slog.New(slog.DiscardHandler), func(*Directory) { t.Error("ready without Kafka") })
	if err != nil {
		t.Fatal(err)
	}
	if d.Ready() {
		t.Error("ready without Kafka")
	}
	if _, ok := d.LookupFresh(context.Background(), "g", "i"); ok {
		t.Error("found an instance without Kafka")
	}
	if err := d.Claim(context.Background(), "g", "i"); err != nil {
		t.Errorf("claim before ready: %v, want it skipped", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("took %v, want no wait for Kafka", time.Since(start))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := d.WaitReady(ctx); !errors.Is(err, ErrNotReady) {
		t.Errorf("WaitReady: %v, want ErrNotReady", err)
	}
	closed := make(chan struct{})
	go func() { d.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close waits for Kafka")
	}
}

// TestDirectoryForgedEntries: entries written to the topic by anything
// but a krest holding the deployment's secret (unsigned, signed with
// another secret, or an earlier version's secret record) are ignored,
// live or when read at start, so nobody can point an instance at a URL
// of their choosing; an entry a krest signed still replaces them.
func TestDirectoryForgedEntries(t *testing.T) {
	opts := seeds(t)
	topic := "_krest_directory_forged_" + time.Now().Format("150405.000000")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	log := slog.New(slog.DiscardHandler)
	a, err := Open(ctx, opts, topic, Owner{ID: "a", URL: "http://a:1", Incarnation: "1"}, testSecret, log)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	attacker := Owner{ID: "a", URL: "http://attacker:80", Incarnation: "1"}
	other := []byte("another-secret-another-secret-xx")
	forge := func(k string, value string) {
		t.Helper()
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Key: []byte(k), Value: []byte(value)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	forge("\x00secret", "c2VjcmV0LW9mLXRoZS1hdHRhY2tlci1zZWNyZXQtb2YtdGhl")
	forge(key("g", "unsigned"), `{"owner":"a","url":"http://attacker:80","incarnation":"1"}`)
	forge(key("g", "other"), `{"owner":"a","url":"http://attacker:80","incarnation":"1","sig":"`+sign(other, key("g", "other"), attacker)+`"}`)
	forge(key("g", "moved"), `{"owner":"a","url":"http://attacker:80","incarnation":"1","sig":"`+sign(testSecret, key("g", "elsewhere"), attacker)+`"}`)
	forge(key("g", "bad"), `not json`)
	if err := a.Claim(ctx, "g", "real"); err != nil {
		t.Fatal(err)
	}
	b, err := Open(ctx, opts, topic, Owner{ID: "b", URL: "http://b:1", Incarnation: "1"}, testSecret, log)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, d := range []*Directory{a, b} {
		for _, name := range []string{"unsigned", "other", "moved", "bad"} {
			if o, ok := d.LookupFresh(ctx, "g", name); ok {
				t.Errorf("%s took the forged entry g/%s: %+v", d.Self().ID, name, o)
			}
		}
		if o, ok := d.LookupFresh(ctx, "g", "real"); !ok || o.URL != "http://a:1" {
			t.Errorf("%s: the signed entry: %+v %v", d.Self().ID, o, ok)
		}
		if d.Forged() != 5 { // the four entries and the old-style secret record
			t.Errorf("%s counted %d forged entries, want 5", d.Self().ID, d.Forged())
		}
	}
	// A forged entry over a signed one leaves the signed one in place.
	forge(key("g", "real"), `{"owner":"a","url":"http://attacker:80","incarnation":"1"}`)
	if err := a.Claim(ctx, "g", "after"); err != nil { // b has read past the forgery once it sees this
		t.Fatal(err)
	}
	if _, ok := b.LookupFresh(ctx, "g", "after"); !ok {
		t.Fatal("b does not see the later claim")
	}
	if o, ok := b.Lookup("g", "real"); !ok || o.URL != "http://a:1" {
		t.Errorf("a forged entry replaced a signed one: %+v %v", o, ok)
	}
}
