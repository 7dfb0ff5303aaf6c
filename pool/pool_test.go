package pool

import (
	"sync"
	"testing"
	"time"
)

func TestBufferReuseAndDropOversize(t *testing.T) {
	b := GetBuffer()
	b.B = append(b.B, "hello"...)
	PutBuffer(b)
	if got := GetBuffer(); len(got.B) != 0 {
		t.Fatalf("pooled buffer not reset: %q", got.B)
	}
	big := &Buffer{B: make([]byte, 0, maxPooledCap+1)}
	PutBuffer(big) // must not panic, must not be kept
	for range 10 {
		if got := GetBuffer(); cap(got.B) > maxPooledCap {
			t.Fatal("oversize buffer came back from the pool")
		}
	}
}

func TestBufferGrowKeepsContent(t *testing.T) {
	b := &Buffer{B: make([]byte, 0, 2)}
	b.B = append(b.B, 'a', 'b')
	b.Grow(10)
	if cap(b.B)-len(b.B) < 10 || string(b.B) != "ab" {
		t.Fatalf("Grow: len %d cap %d %q", len(b.B), cap(b.B), b.B)
	}
}

func TestBudget(t *testing.T) {
	b := NewBudget(10)
	if !b.TryAcquire(6) {
		t.Fatal("first acquire failed")
	}
	if b.TryAcquire(5) {
		t.Fatal("acquire over the limit succeeded")
	}
	start := time.Now()
	if b.Acquire(5, 30*time.Millisecond) {
		t.Fatal("acquire over the limit succeeded after waiting")
	}
	if time.Since(start) < 25*time.Millisecond {
		t.Fatal("acquire did not wait")
	}
	done := make(chan bool)
	go func() { done <- b.Acquire(5, 5*time.Second) }()
	for b.waiting() == 0 {
		time.Sleep(time.Millisecond)
	}
	b.Release(6)
	if !<-done {
		t.Fatal("waiter not granted after release")
	}
	if got := b.Used(); got != 5 {
		t.Fatalf("used = %d, want 5", got)
	}
	// a request larger than the whole budget gets the whole budget alone
	b.Release(5)
	if !b.TryAcquire(100) || b.Used() != 10 {
		t.Fatalf("oversize acquire: used %d", b.Used())
	}
	b.Release(100)
	if b.Used() != 0 {
		t.Fatalf("used after release = %d", b.Used())
	}
}

// TestBudgetSteps: a holder that grew its charge in steps gives it all
// back with one Release of their sum, clamped or not.
func TestBudgetSteps(t *testing.T) {
	b := NewBudget(100)
	if !b.TryAcquire(30) || !b.TryAcquire(50) || b.TryAcquire(40) {
		t.Fatal("steps within the budget: wrong grants")
	}
	b.Release(80)
	if b.Used() != 0 {
		t.Fatalf("used after releasing the steps' sum = %d", b.Used())
	}
	if !b.TryAcquire(500) || b.TryAcquire(1) {
		t.Fatal("an oversize first step must take the whole budget, and nothing more may follow")
	}
	b.Release(500)
	if b.Used() != 0 {
		t.Fatalf("used after releasing an oversize step = %d", b.Used())
	}
}

func TestBudgetConcurrent(t *testing.T) {
	b := NewBudget(100)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			n := int64(i%7 + 1)
			if b.Acquire(n, 10*time.Second) {
				if u := b.Used(); u > 100 {
					t.Errorf("used %d over limit", u)
				}
				b.Release(n)
			} else {
				t.Error("acquire timed out")
			}
		})
	}
	wg.Wait()
	if b.Used() != 0 {
		t.Fatalf("leaked %d", b.Used())
	}
}

func (b *Budget) waiting() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.waiters)
}
