package config

import (
	"fmt"
	"strconv"
	"time"
)

// V3Produce configures v3 produce (Confluent's keys).
type V3Produce struct {
	// MaxStreamBytes caps the bytes of one streaming produce request
	// ("api.v3.produce.request.size.limit.max.bytes"; 0, the default, is
	// no cap): past it, the stream ends with a 400 result.
	MaxStreamBytes int64
	// BatchMaxEntries caps the entries of records:batch
	// ("api.v3.produce.batch.maximum.entries", default 10; Confluent
	// allows 1 to 50, krest up to request.records.max).
	BatchMaxEntries int
	// MaxDuration is how long a streaming produce may stay open
	// ("streaming.connection.max.duration.ms", default 24 h); later
	// records get 408 and the connection closes after Grace
	// ("streaming.connection.max.duration.grace.period.ms", 500 ms).
	MaxDuration, Grace time.Duration
	// InFlight bounds the records of one stream sent and not yet
	// answered ("api.v3.produce.stream.max.in.flight", krest, default
	// 2048): past it the stream stops reading until results go out.
	InFlight int
	// RateLimit is api.v3.produce.rate.limit.*: records and bytes a
	// second, per cluster id and in all (off by default).
	RateLimit V3RateLimit
	// MaxTails caps the topic tails open at once ("api.v3.tails.max",
	// krest, default 64): each holds a Kafka client of its own; past it,
	// 429.
	MaxTails int
}

// V3RateLimit is api.v3.produce.rate.limit.*.
type V3RateLimit struct {
	Enabled                  bool
	Requests, RequestsGlobal float64
	Bytes, BytesGlobal       float64
	Expiry                   time.Duration
}

var v3Defaults = map[string]string{
	"api.v3.produce.request.size.limit.max.bytes":           "0",
	"api.v3.produce.batch.maximum.entries":                  "10",
	"streaming.connection.max.duration.ms":                  "86400000",
	"streaming.connection.max.duration.grace.period.ms":     "500",
	"api.v3.produce.stream.max.in.flight":                   "2048",
	"api.v3.tails.max":                                      "64",
	"api.v3.produce.rate.limit.enabled":                     "false",
	"api.v3.produce.rate.limit.max.requests.per.sec":        "10000",
	"api.v3.produce.rate.limit.max.requests.global.per.sec": "10000",
	"api.v3.produce.rate.limit.max.bytes.per.sec":           "10000000",
	"api.v3.produce.rate.limit.max.bytes.global.per.sec":    "10000000",
	"api.v3.produce.rate.limit.cache.expiry.ms":             "3600000",
}

func (c *Config) parseV3(get func(string) string) error {
	p := &c.V3Produce
	n, err := strconv.ParseInt(get("api.v3.produce.request.size.limit.max.bytes"), 10, 64)
	if err != nil || n < 0 {
		return fmt.Errorf("api.v3.produce.request.size.limit.max.bytes: %q is not a non-negative integer", get("api.v3.produce.request.size.limit.max.bytes"))
	}
	p.MaxStreamBytes = n
	if n, err = positiveInt(get, "api.v3.produce.batch.maximum.entries"); err != nil {
		return err
	}
	if n > int64(c.MaxRequestRecords) {
		return fmt.Errorf("api.v3.produce.batch.maximum.entries: %d is above request.records.max (%d)", n, c.MaxRequestRecords)
	}
	p.BatchMaxEntries = int(n)
	if p.MaxDuration, err = positiveMillis(get, "streaming.connection.max.duration.ms"); err != nil {
		return err
	}
	if p.Grace, err = millis(get, "streaming.connection.max.duration.grace.period.ms"); err != nil {
		return err
	}
	if n, err = positiveInt(get, "api.v3.produce.stream.max.in.flight"); err != nil {
		return err
	}
	p.InFlight = int(min(n, 1<<20))
	if n, err = positiveInt(get, "api.v3.tails.max"); err != nil {
		return err
	}
	p.MaxTails = int(min(n, 1<<20))
	rl := &p.RateLimit
	if rl.Enabled, err = strconv.ParseBool(get("api.v3.produce.rate.limit.enabled")); err != nil {
		return fmt.Errorf("api.v3.produce.rate.limit.enabled: %q is not true or false", get("api.v3.produce.rate.limit.enabled"))
	}
	for key, dst := range map[string]*float64{
		"api.v3.produce.rate.limit.max.requests.per.sec": &rl.Requests, "api.v3.produce.rate.limit.max.requests.global.per.sec": &rl.RequestsGlobal,
		"api.v3.produce.rate.limit.max.bytes.per.sec": &rl.Bytes, "api.v3.produce.rate.limit.max.bytes.global.per.sec": &rl.BytesGlobal,
	} {
		n, err := positiveInt(get, key)
		if err != nil {
			return err
		}
		*dst = float64(n)
	}
	if rl.Expiry, err = positiveMillis(get, "api.v3.produce.rate.limit.cache.expiry.ms"); err != nil {
		return err
	}
	return nil
}
