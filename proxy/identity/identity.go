// Package identity keeps the Kafka clients of each caller when krest acts
// in Kafka as its HTTP callers (principal propagation): a bounded pool of
// per-caller clients, the least recently used closed first when it is
// full, and any idle for too long closed in the background, so that many
// distinct callers cannot exhaust memory or broker connections. It knows
// nothing of HTTP: the caller's credentials come in as values.
package identity

import (
	"container/list"
	"crypto/sha256"
	"errors"
	"sync"
	"time"
)

// Credentials are what a caller proves itself with, passed on to Kafka.
// Secret is the password (Basic) or the token (bearer); it is kept in
// memory only, for the caller's clients, and never printed.
type Credentials struct {
	Principal string
	Secret    string
}

// String never shows the secret.
func (c Credentials) String() string { return c.Principal }

// ErrPoolFull means every pooled client is in use and the pool is at its
// bound (authentication.propagate.clients.max).
var ErrPoolFull = errors.New("every Kafka client of the caller pool is in use (authentication.propagate.clients.max)")

// Pool holds the clients of up to max callers; T is the clients' type.
type Pool[T any] struct {
	build func(Credentials) (T, error)
	close func(T)
	max   int
	idle  time.Duration

	mu      sync.Mutex
	entries map[key]*list.Element // of *entry[T]
	lru     *list.List            // front: most recently used
	stop    chan struct{}
}

// key identifies a caller and its secret: a changed password gets new
// clients, and the map holds no secret in clear.
type key struct {
	principal string
	secret    [sha256.Size]byte
}

type entry[T any] struct {
	key      key
	clients  T
	refs     int
	lastUsed time.Time
}

// NewPool returns a pool that builds a caller's clients with build, closes
// them with close, keeps at most max callers and closes those idle for
// idle (checked every idle/4).
func NewPool[T any](build func(Credentials) (T, error), close func(T), max int, idle time.Duration) *Pool[T] {
	p := &Pool[T]{build: build, close: close, max: max, idle: idle, entries: map[key]*list.Element{}, lru: list.New(), stop: make(chan struct{})}
	go p.reap()
	return p
}

// Acquire returns the caller's clients, building them on first use; call
// release when done with them.
func (p *Pool[T]) Acquire(c Credentials) (clients T, release func(), err error) {
	k := key{principal: c.Principal, secret: sha256.Sum256([]byte(c.Secret))}
	p.mu.Lock()
	if el, ok := p.entries[k]; ok {
		e := el.Value.(*entry[T])
		e.refs++
		p.lru.MoveToFront(el)
		p.mu.Unlock()
		return e.clients, p.releaser(e), nil
	}
	if len(p.entries) >= p.max && !p.evictOne() {
		p.mu.Unlock()
		var zero T
		return zero, nil, ErrPoolFull
	}
	p.mu.Unlock()
	built, err := p.build(c) // outside the lock: it may take a while
	if err != nil {
		var zero T
		return zero, nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if el, ok := p.entries[k]; ok { // built concurrently: keep the first
		p.close(built)
		e := el.Value.(*entry[T])
		e.refs++
		return e.clients, p.releaser(e), nil
	}
	e := &entry[T]{key: k, clients: built, refs: 1, lastUsed: time.Now()}
	p.entries[k] = p.lru.PushFront(e)
	return built, p.releaser(e), nil
}

func (p *Pool[T]) releaser(e *entry[T]) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			p.mu.Lock()
			e.refs--
			e.lastUsed = time.Now()
			p.mu.Unlock()
		})
	}
}

// evictOne closes the least recently used caller not in use; the caller
// holds mu.
func (p *Pool[T]) evictOne() bool {
	for el := p.lru.Back(); el != nil; el = el.Prev() {
		if e := el.Value.(*entry[T]); e.refs == 0 {
			p.remove(el)
			return true
		}
	}
	return false
}

func (p *Pool[T]) remove(el *list.Element) {
	e := p.lru.Remove(el).(*entry[T])
	delete(p.entries, e.key)
	go p.close(e.clients) // closing flushes and may wait: not under mu
}

func (p *Pool[T]) reap() {
	t := time.NewTicker(max(p.idle/4, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case now := <-t.C:
			p.mu.Lock()
			for el := p.lru.Back(); el != nil; {
				prev := el.Prev()
				if e := el.Value.(*entry[T]); e.refs == 0 && now.Sub(e.lastUsed) >= p.idle {
					p.remove(el)
				}
				el = prev
			}
			p.mu.Unlock()
		}
	}
}

// Each calls f with every caller's clients, under the pool's lock: f must
// be quick and must not use the pool.
func (p *Pool[T]) Each(f func(T)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for el := p.lru.Front(); el != nil; el = el.Next() {
		f(el.Value.(*entry[T]).clients)
	}
}

// Len returns the number of callers with clients.
func (p *Pool[T]) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.entries)
}

// Close closes every caller's clients.
func (p *Pool[T]) Close() {
	close(p.stop)
	p.mu.Lock()
	defer p.mu.Unlock()
	for el := p.lru.Front(); el != nil; el = p.lru.Front() {
		e := p.lru.Remove(el).(*entry[T])
		delete(p.entries, e.key)
		p.close(e.clients)
	}
}
