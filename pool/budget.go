package pool

import (
	"sync"
	"time"
)

// Budget is a counting semaphore over bytes (or any other unit). It bounds
// memory that outlives a call: Acquire before the memory is committed,
// Release when it is freed. Waiters are served in FIFO order so that a large
// request is not starved by a stream of small ones. A Budget is safe for
// concurrent use.
type Budget struct {
	mu      sync.Mutex
	limit   int64
	used    int64
	waiters []*budgetWaiter
}

type budgetWaiter struct {
	n     int64
	ready chan struct{}
}

// NewBudget returns a Budget of limit units. limit must be positive.
func NewBudget(limit int64) *Budget {
	if limit <= 0 {
		panic("pool: budget limit must be positive")
	}
	return &Budget{limit: limit}
}

// Used returns the units currently acquired.
func (b *Budget) Used() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// clamp lets a single request larger than the whole budget through on its own
// instead of failing forever; callers bound request sizes separately.
func (b *Budget) clamp(n int64) int64 {
	if n > b.limit {
		return b.limit
	}
	return n
}

// TryAcquire takes n units if they are free now and nobody is waiting.
func (b *Budget) TryAcquire(n int64) bool {
	return b.Acquire(n, 0)
}

// Acquire takes n units, waiting at most wait for them to become free. It
// reports whether the units were taken; if so, the caller must Release the
// same n.
func (b *Budget) Acquire(n int64, wait time.Duration) bool {
	n = b.clamp(n)
	b.mu.Lock()
	if len(b.waiters) == 0 && b.used+n <= b.limit {
		b.used += n
		b.mu.Unlock()
		return true
	}
	if wait <= 0 {
		b.mu.Unlock()
		return false
	}
	w := &budgetWaiter{n: n, ready: make(chan struct{})}
	b.waiters = append(b.waiters, w)
	b.mu.Unlock()

	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-w.ready:
		return true
	case <-t.C:
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-w.ready: // granted while we were timing out
		return true
	default:
	}
	for i, o := range b.waiters {
		if o == w {
			b.waiters = append(b.waiters[:i], b.waiters[i+1:]...)
			break
		}
	}
	b.grantLocked() // our departure may unblock the next waiter
	return false
}

// Release returns n units taken by a successful Acquire of the same n, or
// by several successful Acquires of one holder that sum to n (a charge
// grown in steps): only the first of them can have asked more than the
// whole budget, which it then took all of, so that no later one succeeds,
// and the clamp of their sum is what they took.
func (b *Budget) Release(n int64) {
	n = b.clamp(n)
	b.mu.Lock()
	b.used -= n
	if b.used < 0 {
		b.mu.Unlock()
		panic("pool: budget released more than acquired")
	}
	b.grantLocked()
	b.mu.Unlock()
}

func (b *Budget) grantLocked() {
	for len(b.waiters) > 0 {
		w := b.waiters[0]
		if b.used+w.n > b.limit {
			return
		}
		b.used += w.n
		b.waiters[0] = nil
		b.waiters = b.waiters[1:]
		close(w.ready)
	}
}
