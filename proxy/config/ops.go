package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Endpoints are Confluent's switches of individual endpoints, by
// @ResourceName: api.endpoints.allowlist / blocklist, api.v2.enable.
type Endpoints struct {
	Allow, Block []string
	// Disabled are the API prefixes switched off ("api.v2." with
	// api.v2.enable=false).
	Disabled []string
}

// RateLimit is Confluent's generic rate limiting (rate.limit.*).
type RateLimit struct {
	Enabled     bool           // rate.limit.enable, default false
	Global      float64        // rate.limit.permits.per.sec, default 50: all clients together
	PerClient   float64        // rate.limit.per.client.permits.per.sec (krest), default 50: each principal or address
	DefaultCost int            // rate.limit.default.cost, default 1
	Costs       map[string]int // rate.limit.costs: "name=cost,pattern.*=cost" (0: exempt)
	Timeout     time.Duration  // rate.limit.timeout.ms, default 0: answer 429 at once
}

// Tracing is OpenTelemetry tracing's settings (otel.*): each, when set,
// takes the place of the OTEL_* environment variable of the same name,
// which the OpenTelemetry SDK reads otherwise. Tracing is off unless an
// endpoint is set here or in the environment.
type Tracing struct {
	Endpoint   string // otel.exporter.otlp.endpoint (OTEL_EXPORTER_OTLP_ENDPOINT): the collector's OTLP/HTTP URL
	Sampler    string // otel.traces.sampler (OTEL_TRACES_SAMPLER)
	SamplerArg string // otel.traces.sampler.arg (OTEL_TRACES_SAMPLER_ARG)
	Service    string // otel.service.name (OTEL_SERVICE_NAME), default krest
}

var opsKeys = map[string]bool{
	"otel.exporter.otlp.endpoint": true, "otel.traces.sampler": true, "otel.traces.sampler.arg": true, "otel.service.name": true,
	"api.endpoints.allowlist": true, "api.endpoints.blocklist": true, "api.v2.enable": true, "api.v3.enable": true,
	"rate.limit.enable": true, "rate.limit.permits.per.sec": true, "rate.limit.per.client.permits.per.sec": true,
	"rate.limit.default.cost": true, "rate.limit.costs": true, "rate.limit.timeout.ms": true,
}

// opsIgnored are Confluent's rate-limit keys without a krest equivalent.
var opsIgnored = map[string]string{
	"rate.limit.backend":                     "krest has one token-bucket limiter",
	"rate.limit.per.cluster.permits.per.sec": "krest limits per client and globally (rate.limit.per.client.permits.per.sec)",
	"rate.limit.per.cluster.cache.expiry.ms": "krest forgets idle clients after a minute",
}

func (c *Config) parseOps(get func(string) string) error {
	c.Tracing = Tracing{Endpoint: get("otel.exporter.otlp.endpoint"), Sampler: get("otel.traces.sampler"),
		SamplerArg: get("otel.traces.sampler.arg"), Service: get("otel.service.name")}
	c.Endpoints.Allow = splitList(get("api.endpoints.allowlist"))
	c.Endpoints.Block = splitList(get("api.endpoints.blocklist"))
	for _, v := range []string{"v2", "v3"} {
		key := "api." + v + ".enable"
		on, err := strconv.ParseBool(get(key))
		if err != nil {
			return fmt.Errorf("%s: %q is not true or false", key, get(key))
		}
		if !on {
			c.Endpoints.Disabled = append(c.Endpoints.Disabled, "api."+v+".")
		}
	}
	r := &c.RateLimit
	var err error
	if r.Enabled, err = strconv.ParseBool(get("rate.limit.enable")); err != nil {
		return fmt.Errorf("rate.limit.enable: %q is not true or false", get("rate.limit.enable"))
	}
	for key, dst := range map[string]*float64{"rate.limit.permits.per.sec": &r.Global, "rate.limit.per.client.permits.per.sec": &r.PerClient} {
		if *dst, err = strconv.ParseFloat(get(key), 64); err != nil || *dst < 0 {
			return fmt.Errorf("%s: %q is not a non-negative number", key, get(key))
		}
	}
	n, err := strconv.Atoi(get("rate.limit.default.cost"))
	if err != nil || n < 0 {
		return fmt.Errorf("rate.limit.default.cost: %q is not a non-negative integer", get("rate.limit.default.cost"))
	}
	r.DefaultCost = n
	r.Costs = map[string]int{}
	for _, kv := range splitList(get("rate.limit.costs")) {
		k, v, ok := strings.Cut(kv, "=")
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if !ok || err != nil || n < 0 {
			return fmt.Errorf("rate.limit.costs: %q is not name=cost", kv)
		}
		r.Costs[strings.TrimSpace(k)] = n
	}
	if r.Timeout, err = millis(get, "rate.limit.timeout.ms"); err != nil {
		return err
	}
	return nil
}
