package identity

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestPool(t *testing.T) {
	var built, closed atomic.Int32
	p := NewPool(func(c Credentials) (string, error) {
		built.Add(1)
		return c.Principal, nil
	}, func(string) { closed.Add(1) }, 2, 100*time.Millisecond)
	defer p.Close()
	a, relA, err := p.Acquire(Credentials{"alice", "pw"})
	if err != nil || a != "alice" {
		t.Fatal(a, err)
	}
	_, relA2, _ := p.Acquire(Credentials{"alice", "pw"})
	if built.Load() != 1 {
		t.Fatalf("built %d clients for one caller", built.Load())
	}
	_, relB, _ := p.Acquire(Credentials{"bob", "pw"})
	if _, _, err := p.Acquire(Credentials{"carol", "pw"}); !errors.Is(err, ErrPoolFull) {
		t.Fatalf("a full pool of busy callers: %v", err)
	}
	relB()
	if _, relC, err := p.Acquire(Credentials{"carol", "pw"}); err != nil {
		t.Fatalf("bob is idle and can go: %v", err)
	} else {
		relC()
	}
	if p.Len() != 2 {
		t.Fatalf("%d callers, want 2", p.Len())
	}
	before := built.Load()
	if _, rel, err := p.Acquire(Credentials{"alice", "other-pw"}); err != nil || built.Load() != before+1 {
		t.Fatalf("a changed password reused the old clients: %v", err)
	} else {
		rel()
	}
	relA()
	relA2()
	deadline := time.Now().Add(5 * time.Second)
	for p.Len() > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if p.Len() != 0 {
		t.Fatalf("idle callers kept: %d", p.Len())
	}
	time.Sleep(50 * time.Millisecond) // closes run in the background
	if closed.Load() != built.Load() {
		t.Errorf("built %d, closed %d", built.Load(), closed.Load())
	}
	if s := (Credentials{"alice", "secret"}).String(); s != "alice" {
		t.Errorf("String() = %q", s)
	}
}
