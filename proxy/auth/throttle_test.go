package auth

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func bcryptUser(t testing.TB, name, password string) string {
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return name + ": " + string(h) + ",admin\n"
}

// TestFailureLimit: failed logins are charged per address and per user
// before any hash is checked; past the burst, 429 with Retry-After, even
// for the right password from that address; a known password from another
// address still works, and callers who know theirs never run dry; the
// failures of one address are logged once, with the count of the rest.
func TestFailureLimit(t *testing.T) {
	jaasFile, _ := writeUsers(t, bcryptUser(t, "alice", "alice-pw")+bcryptUser(t, "bob", "bob-pw"))
	var logs lockedBuffer
	d, err := NewDoor(Config{Method: "BASIC", Realm: "KafkaRest", JAASFile: jaasFile, Failures: Throttle{PerSecond: 0.001, Burst: 3}},
		slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	attacker, other, third := net.ParseIP("10.0.0.1"), net.ParseIP("10.0.0.2"), net.ParseIP("10.0.0.3")
	status := func(user, pass string, ip net.IP) (int, time.Duration) {
		_, err := d.Check(context.Background(), "/topics", basicHeader(user, pass), nil, ip)
		var e *Error
		if errors.As(err, &e) {
			return e.Status, e.RetryAfter
		}
		if err != nil {
			t.Fatal(err)
		}
		return 200, 0
	}
	for i := 0; i < 100; i++ { // a known password is never charged
		if s, _ := status("bob", "bob-pw", attacker); s != 200 {
			t.Fatalf("valid login %d: %d", i, s)
		}
	}
	for i := 0; i < 3; i++ {
		if s, _ := status("nobody", "guess", attacker); s != 401 {
			t.Fatalf("guess %d: %d, want 401", i, s)
		}
	}
	if s, retry := status("nobody", "guess", attacker); s != 429 || retry <= 0 {
		t.Fatalf("guess past the burst: %d retry %v, want 429 with Retry-After", s, retry)
	}
	if s, _ := status("alice", "alice-pw", attacker); s != 429 {
		t.Errorf("a new login from the limited address: %d, want 429 (charged before the hash)", s)
	}
	if s, _ := status("bob", "bob-pw", attacker); s != 200 {
		t.Errorf("a login that checked before, from the limited address: %d, want 200", s)
	}
	if s, _ := status("alice", "alice-pw", other); s != 200 {
		t.Errorf("another address: %d, want 200", s)
	}
	// Per user: guesses at alice from many addresses.
	for i := 0; i < 3; i++ {
		ip := net.IPv4(10, 1, 0, byte(i))
		if s, _ := status("alice", "wrong", ip); s != 401 {
			t.Fatalf("guess at alice %d: %d", i, s)
		}
	}
	if s, _ := status("alice", "wrong", third); s != 429 {
		t.Errorf("a fourth guess at alice from a fresh address: %d, want 429", s)
	}
	if n := strings.Count(logs.String(), "authentication failed"); n != 3+1 {
		// attacker's first failure, and the first of each of alice's
		// three guessing addresses
		t.Errorf("%d failure log lines, want 4:\n%s", n, logs.String())
	}
	// IPv6 addresses are limited by their /64.
	for i := 0; i < 3; i++ {
		if s, _ := status("v6-"+string(rune('a'+i)), "guess", net.ParseIP("2001:db8::"+string(rune('1'+i)))); s != 401 {
			t.Fatalf("IPv6 guess %d: %d", i, s)
		}
	}
	if s, _ := status("nobody2", "guess", net.ParseIP("2001:db8::ffff")); s != 429 {
		t.Errorf("another address of the same /64: %d, want 429", s)
	}
}

// TestUnknownUserDecoy: a name the file does not have is checked against
// the costliest credential of the file, so it answers no faster than a
// known name; the decoy's password never lets anyone in.
func TestUnknownUserDecoy(t *testing.T) {
	jaasFile, _ := writeUsers(t, "plain: plain-pw\n"+bcryptUser(t, "alice", "alice-pw"))
	d, err := NewDoor(Config{Method: "BASIC", Realm: "KafkaRest", JAASFile: jaasFile}, nil)
	if err != nil {
		t.Fatal(err)
	}
	u, known, _ := d.users.lookup("nobody")
	if _, ok := u.cred.(bcryptCredential); known || !ok {
		t.Fatalf("unknown user checked against %T (known %v), want the bcrypt credential", u.cred, known)
	}
	if _, err := d.Check(context.Background(), "/topics", basicHeader("nobody", "alice-pw"), nil, nil); err == nil {
		t.Fatal("the decoy's password let an unknown user in")
	}
}

// BenchmarkGuessing measures a password-guessing client against the
// defaults (1 failure a second, burst 10): guesses that reach a hash per
// second from one address, and the valid user's login meanwhile.
func BenchmarkGuessing(b *testing.B) {
	jaasFile, _ := writeUsers(b, bcryptUser(b, "alice", "alice-pw"))
	d, err := NewDoor(Config{Method: "BASIC", Realm: "KafkaRest", JAASFile: jaasFile, Failures: Throttle{PerSecond: 1, Burst: 10}}, nil)
	if err != nil {
		b.Fatal(err)
	}
	attacker := net.ParseIP("10.9.9.9")
	hashed := 0
	start := time.Now()
	for i := 0; i < b.N; i++ {
		_, err := d.Check(context.Background(), "/topics", basicHeader("alice", "guess"), nil, attacker)
		var e *Error
		if errors.As(err, &e) && e.Status == 401 {
			hashed++
		}
	}
	b.ReportMetric(float64(hashed)/time.Since(start).Seconds(), "hashed-guesses/s")
}
