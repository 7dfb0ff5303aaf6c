package proxy

import (
	"errors"
	"log/slog"
	"net"
	"syscall"
	"time"
)

// retryListener keeps accepting through resource exhaustion: EMFILE and
// ENFILE (no file descriptor for the new connection), ENOBUFS and ENOMEM.
// fasthttp ends Serve on any such "permanent" error, which ended the
// process; instead, Accept sleeps 5 ms, doubling up to 1 s, and tries
// again, as net/http's Server does, logging at most once a second. The
// connections already open keep being served and, as they close or time
// out, free descriptors for new ones.
type retryListener struct {
	net.Listener
	log   *slog.Logger
	limit *connLimit // nil: no limits

	lastLog time.Time
}

const maxAcceptBackoff = time.Second

func (l *retryListener) Accept() (net.Conn, error) {
	var delay time.Duration
	for {
		c, err := l.Listener.Accept()
		if err == nil && l.limit != nil {
			if c = l.limit.admit(c); c == nil {
				delay = 0
				continue // refused, answered 503
			}
		}
		if err == nil || !exhausted(err) {
			return c, err
		}
		if delay == 0 {
			delay = 5 * time.Millisecond
		} else {
			delay = min(2*delay, maxAcceptBackoff)
		}
		if now := time.Now(); now.Sub(l.lastLog) >= time.Second {
			l.lastLog = now
			l.log.Warn("accepting connections: out of resources, retrying", "error", err, "retry_in", delay)
		}
		time.Sleep(delay)
	}
}

// exhausted reports an accept error that time can cure.
func exhausted(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) ||
		errors.Is(err, syscall.ENOBUFS) || errors.Is(err, syscall.ENOMEM)
}
