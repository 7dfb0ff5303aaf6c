package proxy

import (
	"bytes"
	"context"
	"io"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/pool"
	"github.com/krest-dev/krest/proxy/rest"
)

// readyTimeout bounds the Kafka and registry calls of GET /-/ready.
const readyTimeout = 2 * time.Second

// opsRoutes are the operator's endpoints: the Prometheus metrics and the
// probes. They never ask for credentials.
func (s *Server) opsRoutes() []rest.Route {
	routes := []rest.Route{
		route("GET", "/-/healthy", "ops.healthy", rest.BodyNone, rest.AnswerPlain, 2, s.healthy),
		route("GET", "/-/ready", "ops.ready", rest.BodyNone, rest.AnswerPlain, 2, s.ready),
	}
	if s.cfg.MetricsListener == "" { // else served there only (cmd/krest)
		routes = append(routes, route("GET", "/metrics", "ops.metrics", rest.BodyNone, rest.AnswerPlain, 2, s.serveMetrics))
	}
	return routes
}

// WriteMetrics writes the metrics in the Prometheus text format, for a
// metrics.listener.
func (s *Server) WriteMetrics(w io.Writer) { s.metrics.WritePrometheus(w) }

// isOpsPath reports the paths of opsRoutes, which the door lets through.
func isOpsPath(path []byte) bool {
	return string(path) == "/metrics" || string(path) == "/-/healthy" || string(path) == "/-/ready"
}

func (s *Server) serveMetrics(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	buf := pool.GetBuffer()
	defer pool.PutBuffer(buf)
	w := bytes.NewBuffer(buf.B[:0])
	s.metrics.WritePrometheus(w)
	buf.B = ctx.Response.SwapBody(w.Bytes())[:0]
	ctx.SetContentType("text/plain; version=0.0.4; charset=utf-8")
	return nil
}

// healthy answers while the process serves.
func (s *Server) healthy(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	ctx.SetContentType("application/json")
	ctx.SetBodyString(`{"status":"healthy"}`)
	return nil
}

// ready answers 200 when Kafka answers a metadata request within
// readyTimeout (and the Schema Registry, when one is configured), else 503
// with the reason. The consumer directory does not gate it: a krest whose
// Kafka identity may not use the directory topic still serves everything,
// keeping its instances local (krest_consumer_directory_ready says which).
func (s *Server) ready(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	c, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	if _, err := s.admin.Brokers(c); err != nil {
		return rest.Errorf(503, 503, "Not ready: Kafka did not answer a metadata request within %v: %v", readyTimeout, err)
	}
	if s.schemas != nil {
		if err := s.schemas.Ping(c); err != nil {
			return rest.Errorf(503, 503, "Not ready: the Schema Registry did not answer within %v: %v", readyTimeout, err)
		}
	}
	ctx.SetContentType("application/json")
	ctx.SetBodyString(`{"status":"ready"}`)
	return nil
}

// registerGauges exposes the budgets and counts the Kafka-side packages
// keep, read at each scrape (their help texts are in metrics' families).
func (s *Server) registerGauges() {
	m, cfg := s.metrics, s.cfg
	m.Gauge("krest_produce_buffer_bytes", func() float64 { return float64(s.producer.BudgetUsed()) })
	m.Gauge("krest_produce_buffer_limit_bytes", func() float64 { return float64(cfg.ProduceBufferBytes) })
	m.Gauge("krest_request_memory_bytes", func() float64 { return float64(s.memory.Used()) })
	m.Gauge("krest_request_memory_limit_bytes", func() float64 { return float64(cfg.RequestMemoryBytes) })
	m.Gauge("krest_consumer_instances", func() float64 { return float64(s.consumers.Instances()) })
	m.Gauge("krest_consumer_memory_bytes", func() float64 { return float64(s.consumers.MemoryUsed()) })
	m.Gauge("krest_consumer_memory_limit_bytes", func() float64 { return float64(cfg.Consumers.MemoryBytes) })
	m.Gauge(`krest_streams_open{kind="consumer_instance"}`, func() float64 { return float64(s.v2.OpenStreams()) })
	m.Gauge(`krest_streams_open{kind="topic_tail"}`, func() float64 { _, n := s.v3.OpenStreams(); return float64(n) })
	m.Gauge(`krest_streams_open{kind="produce"}`, func() float64 { n, _ := s.v3.OpenStreams(); return float64(n) })
	m.Gauge("krest_consumer_directory_ready", func() float64 {
		if s.dir != nil && s.dir.Ready() {
			return 1
		}
		return 0
	})
	m.CounterFunc("krest_consumer_instance_expiries_total", func() float64 { return float64(s.consumers.Expired()) })
	m.CounterFunc("krest_schema_registry_requests_total", func() float64 {
		if s.schemas == nil {
			return 0
		}
		n, _ := s.schemas.Stats()
		return float64(n)
	})
	m.CounterFunc("krest_schema_registry_cache_hits_total", func() float64 {
		if s.schemas == nil {
			return 0
		}
		_, n := s.schemas.Stats()
		return float64(n)
	})
}
