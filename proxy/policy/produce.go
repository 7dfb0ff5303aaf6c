package policy

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// ProduceConfig is v3 produce's rate limiting (Confluent's
// api.v3.produce.rate.limit.*), applied to each record: records and bytes
// a second, for all clusters together and for each cluster id.
type ProduceConfig struct {
	Enabled                  bool
	Requests, RequestsGlobal float64 // records a second: per cluster id, in all
	Bytes, BytesGlobal       float64 // bytes a second: per cluster id, in all
	// Expiry forgets a cluster id's limiters once unused this long.
	Expiry time.Duration
}

// ProduceLimits applies a ProduceConfig; the zero ProduceConfig lets
// everything through. It is safe for concurrent use.
type ProduceLimits struct {
	cfg                      ProduceConfig
	globalCount, globalBytes *rate.Limiter
	mu                       sync.Mutex
	clusters                 map[string]*clusterLimits
	sweep                    time.Time
}

type clusterLimits struct {
	count, bytes *rate.Limiter
	used         time.Time
}

// maxClusterLimits bounds the cluster ids remembered at once: produce
// accepts any id, so a client could otherwise grow the map.
const maxClusterLimits = 10000

// NewProduceLimits returns the limits of cfg.
func NewProduceLimits(cfg ProduceConfig) *ProduceLimits {
	return &ProduceLimits{
		cfg:         cfg,
		globalCount: limiter(cfg.RequestsGlobal),
		globalBytes: limiter(cfg.BytesGlobal),
		clusters:    map[string]*clusterLimits{},
	}
}

func limiter(perSec float64) *rate.Limiter {
	return rate.NewLimiter(rate.Limit(perSec), max(int(perSec), 1))
}

// Allow charges one record of size bytes to the global limits, then to
// cluster's, as Confluent's ProduceRateLimiters does; false means over a
// limit (the record gets 429).
func (l *ProduceLimits) Allow(cluster string, size int) bool {
	if l == nil || !l.cfg.Enabled {
		return true
	}
	now := time.Now()
	if !l.globalCount.AllowN(now, 1) || !l.globalBytes.AllowN(now, size) {
		return false
	}
	c := l.cluster(cluster, now)
	return c.count.AllowN(now, 1) && c.bytes.AllowN(now, size)
}

func (l *ProduceLimits) cluster(id string, now time.Time) *clusterLimits {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, ok := l.clusters[id]
	if !ok {
		if len(l.clusters) >= maxClusterLimits || now.Sub(l.sweep) > l.cfg.Expiry {
			l.sweep = now
			for k, v := range l.clusters {
				if now.Sub(v.used) > l.cfg.Expiry || len(l.clusters) >= maxClusterLimits {
					delete(l.clusters, k)
				}
			}
		}
		c = &clusterLimits{count: limiter(l.cfg.Requests), bytes: limiter(l.cfg.Bytes)}
		l.clusters[id] = c
	}
	c.used = now
	return c
}
