package directory

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

func seeds(t *testing.T) []kgo.Opt {
	t.Helper()
	s := os.Getenv("KREST_TEST_BOOTSTRAP")
	if s == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("KREST_TEST_BOOTSTRAP is not set: CI must run the real-broker tests")
		}
		t.Skip("no real Kafka broker: set KREST_TEST_BOOTSTRAP (make test does)")
	}
	return []kgo.Opt{kgo.SeedBrokers(strings.Split(s, ",")...)}
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
	a, err := Open(ctx, opts, topic, Owner{ID: "a", URL: "http://a:1", Incarnation: "1"}, log)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(ctx, opts, topic, Owner{ID: "b", URL: "http://b:1", Incarnation: "1"}, log)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if len(a.Secrets()) == 0 || len(b.Secrets()) == 0 || string(a.Secrets()[len(a.Secrets())-1]) != string(b.Secrets()[len(b.Secrets())-1]) {
		t.Fatal("the two krests do not share a secret")
	}
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
	a2, err := Open(ctx, opts, topic, Owner{ID: "a", URL: "http://a:1", Incarnation: "2"}, log)
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
	d, err := New([]kgo.Opt{kgo.SeedBrokers(ln.Addr().String())}, "_krest_down", Owner{ID: "a"}, slog.New(slog.DiscardHandler), func(*Directory) { t.Error("ready without Kafka") })
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
	if d.Secrets() != nil {
		t.Error("secrets before ready")
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
