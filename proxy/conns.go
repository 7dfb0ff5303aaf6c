package proxy

import (
	"net"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// connTracker knows which client connections are inside a handler, so that
// Shutdown can drop at once the ones that are not: a connection stuck in a
// partial request would otherwise hold the shutdown for the whole grace
// period.
type connTracker struct {
	mu    sync.Mutex
	conns map[net.Conn]bool // open connection → a handler is running on it
	down  bool              // Shutdown has begun
}

func newConnTracker() *connTracker { return &connTracker{conns: map[net.Conn]bool{}} }

// state is the fasthttp.Server ConnState hook.
func (t *connTracker) state(c net.Conn, s fasthttp.ConnState) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch s {
	case fasthttp.StateNew:
		t.conns[c] = false
		if t.down {
			c.SetReadDeadline(time.Now()) //nolint:errcheck // accepted as the listener closed
		}
	case fasthttp.StateClosed, fasthttp.StateHijacked:
		delete(t.conns, c)
	}
}

// handler marks the connection busy while next runs.
func (t *connTracker) handler(next fasthttp.RequestHandler) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		c := ctx.Conn()
		t.mu.Lock()
		if _, ok := t.conns[c]; ok {
			t.conns[c] = true
		}
		t.mu.Unlock()
		next(ctx)
		t.mu.Lock()
		if _, ok := t.conns[c]; ok {
			t.conns[c] = false
		}
		t.mu.Unlock()
	}
}

// dropIdle ends the reads of every connection not inside a handler (idle,
// or part way through a request's headers or body) and of any accepted
// from now on; the ones inside a handler finish their request and close.
func (t *connTracker) dropIdle() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.down = true
	now := time.Now()
	for c, busy := range t.conns {
		if !busy {
			c.SetReadDeadline(now) //nolint:errcheck // closing anyway
		}
	}
}
