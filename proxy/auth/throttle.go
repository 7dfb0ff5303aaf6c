package auth

import (
	"math"
	"net"
	"sync"
	"time"
)

// Throttle bounds failed authentications: each client address (an IPv6
// address by its /64) and each user name has a bucket of Burst attempts
// that refills at PerSecond. An attempt is charged before its credentials
// are checked, so that a client past its limit costs no hash at all, and
// refunded when they check, so that callers who know their password never
// run dry. The zero Throttle refuses nothing.
type Throttle struct {
	// PerSecond is the refill rate of failed attempts per address and
	// per user (authentication.failure.limit.per.sec); 0 turns it off.
	PerSecond float64
	// Burst is how many failures an address or a user may have in a row
	// (authentication.failure.limit.burst).
	Burst int
}

// maxThrottled bounds the buckets kept: past it, full buckets (which hold
// nothing worth remembering) are swept, and if that is not enough the
// oldest half goes.
const maxThrottled = 100_000

// failureLogEvery is how often one address's failures are logged: the
// first at once, then one line with the count of those in between.
const failureLogEvery = time.Minute

type bucket struct {
	tokens     float64
	last       time.Time // of the last refill
	logged     time.Time // the last failure logged for this key
	suppressed int       // failures not logged since
}

// throttle is the state of a Throttle.
type throttle struct {
	Throttle
	mu      sync.Mutex
	buckets map[string]*bucket
}

func newThrottle(cfg Throttle) *throttle {
	return &throttle{Throttle: cfg, buckets: map[string]*bucket{}}
}

func (t *throttle) on() bool { return t.PerSecond > 0 && t.Burst > 0 }

// addressKey is the bucket of a client address: the address itself, or
// its /64 for IPv6, which one client usually holds whole.
func addressKey(ip net.IP) string {
	if ip == nil {
		return "ip:"
	}
	if v4 := ip.To4(); v4 != nil {
		return "ip:" + v4.String()
	}
	return "ip:" + ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// get returns key's bucket, refilled to now; t.mu is held.
func (t *throttle) get(key string, now time.Time) *bucket {
	b := t.buckets[key]
	if b == nil {
		if len(t.buckets) >= maxThrottled {
			t.sweep(now)
		}
		b = &bucket{tokens: float64(t.Burst), last: now}
		t.buckets[key] = b
		return b
	}
	b.tokens = math.Min(float64(t.Burst), b.tokens+now.Sub(b.last).Seconds()*t.PerSecond)
	b.last = now
	return b
}

func (t *throttle) sweep(now time.Time) {
	for k, b := range t.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*t.PerSecond >= float64(t.Burst) {
			delete(t.buckets, k)
		}
	}
	if len(t.buckets) < maxThrottled {
		return
	}
	// Still full of buckets in use: forget the least recently charged half.
	cut := now
	for _, b := range t.buckets {
		if b.last.Before(cut) {
			cut = b.last
		}
	}
	mid := cut.Add(now.Sub(cut) / 2)
	for k, b := range t.buckets {
		if !b.last.After(mid) {
			delete(t.buckets, k)
		}
	}
}

// charge takes one attempt from each key's bucket, or none and the wait
// until one is there again when a bucket is empty.
func (t *throttle) charge(now time.Time, keys ...string) (ok bool, retry time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		if b := t.get(k, now); b.tokens < 1 {
			wait := time.Duration((1 - b.tokens) / t.PerSecond * float64(time.Second))
			retry = max(retry, wait)
		}
	}
	if retry > 0 {
		return false, retry
	}
	for _, k := range keys {
		t.buckets[k].tokens--
	}
	return true, 0
}

// refund gives back a charged attempt whose credentials checked.
func (t *throttle) refund(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		if b := t.buckets[k]; b != nil {
			b.tokens = math.Min(float64(t.Burst), b.tokens+1)
		}
	}
}

// shouldLog reports whether a failure of key is to be logged now, with the
// number of failures left out of the log since the last line.
func (t *throttle) shouldLog(key string, now time.Time) (bool, int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.get(key, now)
	if now.Sub(b.logged) < failureLogEvery {
		b.suppressed++
		return false, 0
	}
	n := b.suppressed
	b.logged, b.suppressed = now, 0
	return true, n
}
