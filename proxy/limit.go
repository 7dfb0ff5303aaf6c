package proxy

import (
	"net"
	"strconv"
	"sync"
	"time"
)

// connLimit bounds open client connections, in all (connections.max) and
// per client address (connections.max.per.ip, 0 for none). A connection
// over a limit is answered 503 with a JSON error and closed at once, so
// that clients see why (fasthttp's own limits answer in plain text).
type connLimit struct {
	max, perIP int

	mu   sync.Mutex
	open int
	byIP map[string]int
}

const (
	busyBody  = `{"error_code":503,"message":"Too many connections: connections.max or connections.max.per.ip is reached; retry later"}`
	busyReply = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: "
)

var busyResponse = []byte(busyReply + strconv.Itoa(len(busyBody)) + "\r\n\r\n" + busyBody)

// admit returns c wrapped so that closing it frees its place, or refuses
// it (answered and closed) and returns nil.
func (l *connLimit) admit(c net.Conn) net.Conn {
	ip := ""
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		ip = a.IP.String()
	}
	l.mu.Lock()
	if l.open >= l.max || (l.perIP > 0 && l.byIP[ip] >= l.perIP) {
		l.mu.Unlock()
		c.SetWriteDeadline(time.Now().Add(time.Second)) //nolint:errcheck // best effort
		c.Write(busyResponse)                           //nolint:errcheck // best effort
		c.Close()
		return nil
	}
	l.open++
	if l.perIP > 0 {
		l.byIP[ip]++
	}
	l.mu.Unlock()
	return &limitedConn{Conn: c, l: l, ip: ip}
}

func (l *connLimit) release(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if l.perIP > 0 {
		if l.byIP[ip]--; l.byIP[ip] <= 0 {
			delete(l.byIP, ip)
		}
	}
}

// limitedConn gives its place back on its first Close.
type limitedConn struct {
	net.Conn
	l    *connLimit
	ip   string
	once sync.Once
}

func (c *limitedConn) Close() error {
	c.once.Do(func() { c.l.release(c.ip) })
	return c.Conn.Close()
}
