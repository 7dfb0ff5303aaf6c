// Package policy decides, per endpoint, what krest lets through before a
// handler runs: Confluent's api.endpoints.allowlist / blocklist and
// api.v2.enable, and its rate limits (rate.limit.*: permits per second,
// globally and per client, with a cost per endpoint). Endpoints are named as
// Confluent names them (@ResourceName): "api.v2.produce-to-topic.binary",
// patterns end in ".*" ("api.v2.consumers.*"). It knows nothing of HTTP.
package policy

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Formats are the suffixes of the endpoints that have one per embedded
// format, in the order of codec.Format (index 0: none).
var Formats = []string{"", "binary", "json", "avro", "json-schema", "protobuf"}

// Config configures a Policy.
type Config struct {
	Allow, Block []string // names or "prefix.*" patterns; an empty Allow allows all
	Disabled     []string // prefixes switched off (api.v2.enable=false → "api.v2.")

	RateLimit   bool
	Global      float64        // rate.limit.permits.per.sec: all clients together
	PerClient   float64        // rate.limit.per.client.permits.per.sec
	DefaultCost int            // rate.limit.default.cost
	Costs       map[string]int // rate.limit.costs: name or pattern → cost (0: exempt)
	Timeout     time.Duration  // rate.limit.timeout.ms: how long to wait for permits
}

// Policy is the decisions of one krest. It is safe for concurrent use.
type Policy struct {
	cfg    Config
	global *rate.Limiter

	mu      sync.Mutex
	clients map[string]*clientLimiter
	sweep   time.Time
}

type clientLimiter struct {
	l    *rate.Limiter
	used time.Time
}

// maxClients bounds the per-client limiters kept; idle ones go first.
const maxClients = 100_000

// New returns a Policy.
func New(cfg Config) *Policy {
	p := &Policy{cfg: cfg, clients: map[string]*clientLimiter{}}
	if cfg.RateLimit && cfg.Global > 0 {
		p.global = rate.NewLimiter(rate.Limit(cfg.Global), max(int(cfg.Global), 1))
	}
	return p
}

// ParseCosts reads rate.limit.costs: "name=cost,pattern.*=cost".
func ParseCosts(s string) (map[string]int, error) {
	out := map[string]int{}
	for _, kv := range strings.Split(s, ",") {
		if kv = strings.TrimSpace(kv); kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if !ok || err != nil || n < 0 {
			return nil, fmt.Errorf("rate.limit.costs: %q is not name=cost", kv)
		}
		out[strings.TrimSpace(k)] = n
	}
	return out, nil
}

// Endpoint is the decisions for one route, by format suffix.
type Endpoint struct {
	blocked [6]bool
	cost    [6]int
}

// Endpoint computes the decisions for a route family name. sep, when not
// empty, joins the family and each embedded format into one endpoint per
// format, as Confluent names them: "." for produce
// (api.v2.produce-to-topic.binary), "-" for consume
// (api.v2.consumers.consume-binary).
func (p *Policy) Endpoint(family, sep string) *Endpoint {
	e := &Endpoint{}
	for i, f := range Formats {
		name := family
		if sep != "" && f != "" {
			name += sep + f
		}
		e.blocked[i] = p.blocked(name)
		e.cost[i] = p.cost(name)
	}
	return e
}

// Unlimited exempts the endpoint from the generic rate limits, as
// Confluent exempts v3 produce (@DoNotRateLimit), which has its own
// (ProduceLimits).
func (e *Endpoint) Unlimited() *Endpoint {
	e.cost = [6]int{}
	return e
}

// Blocked reports whether the endpoint of format index f is off.
func (e *Endpoint) Blocked(f int) bool { return e.blocked[min(max(f, 0), 5)] }

// Cost is the rate-limit cost of the endpoint of format index f.
func (e *Endpoint) Cost(f int) int { return e.cost[min(max(f, 0), 5)] }

func matches(pattern, name string) bool {
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(name, prefix)
	}
	return pattern == name
}

func (p *Policy) blocked(name string) bool {
	for _, d := range p.cfg.Disabled {
		if strings.HasPrefix(name, d) {
			return true
		}
	}
	for _, b := range p.cfg.Block {
		if matches(b, name) {
			return true
		}
	}
	if len(p.cfg.Allow) == 0 {
		return false
	}
	for _, a := range p.cfg.Allow {
		if matches(a, name) {
			return false
		}
	}
	return true
}

// cost is the most specific cost for name: an exact entry, else the
// longest matching pattern, else the default.
func (p *Policy) cost(name string) int {
	if c, ok := p.cfg.Costs[name]; ok {
		return c
	}
	best, cost := -1, p.cfg.DefaultCost
	for pattern, c := range p.cfg.Costs {
		if matches(pattern, name) && len(pattern) > best {
			best, cost = len(pattern), c
		}
	}
	return cost
}

// Allow charges cost permits to client and to the whole krest, waiting up
// to the configured timeout; false means over a limit.
func (p *Policy) Allow(client string, cost int) bool {
	if !p.cfg.RateLimit || cost <= 0 {
		return true
	}
	now := time.Now()
	if p.cfg.PerClient > 0 && !reserve(p.client(client, now), cost, now, p.cfg.Timeout) {
		return false
	}
	if p.global != nil && !reserve(p.global, cost, now, p.cfg.Timeout) {
		return false
	}
	return true
}

// reserve takes n permits from l if they come within wait, sleeping until
// then.
func reserve(l *rate.Limiter, n int, now time.Time, wait time.Duration) bool {
	r := l.ReserveN(now, n)
	if !r.OK() {
		return false
	}
	d := r.DelayFrom(now)
	if d > wait {
		r.CancelAt(now)
		return false
	}
	if d > 0 {
		time.Sleep(d)
	}
	return true
}

func (p *Policy) client(name string, now time.Time) *rate.Limiter {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.clients[name]
	if !ok {
		if len(p.clients) >= maxClients || now.Sub(p.sweep) > time.Minute {
			p.sweep = now
			for k, v := range p.clients {
				if now.Sub(v.used) > time.Minute {
					delete(p.clients, k)
				}
			}
		}
		c = &clientLimiter{l: rate.NewLimiter(rate.Limit(p.cfg.PerClient), max(int(p.cfg.PerClient), 1))}
		p.clients[name] = c
	}
	c.used = now
	return c.l
}
