// Package metrics holds krest's Prometheus metrics, built on
// github.com/VictoriaMetrics/metrics: its counters are single atomic adds
// and allocate nothing per update, which suits fasthttp's zero-allocation
// request path (client_golang's labelled vectors hash label values on each
// update), and it writes the Prometheus text format with the Go runtime
// and process metrics. Every labelled series is created up front (routes,
// status classes, error codes, client kinds) or bounded (topics, beyond
// Config.TopicLabels summed under "other"); no group, instance or user name
// is ever a label. Each family's TYPE and HELP come from one table,
// families, which every registration must match.
package metrics

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	vm "github.com/VictoriaMetrics/metrics"
)

// Metrics is one krest's set of metrics. It is safe for concurrent use.
type Metrics struct {
	set         *vm.Set
	topicLabels int

	mu     sync.RWMutex
	routes map[string]*Route
	topics map[string]*Topic
	other  *Topic
	codes  map[int]*vm.Counter

	inFlight vm.Counter // never registered: read by a gauge

	// Produce429 counts produce requests refused for the full produce
	// budget; AuthFailures failed authentications.
	Produce429, AuthFailures *vm.Counter
}

// Version, Commit and Date are stamped at link time by make build and make
// release (-ldflags "-X github.com/krest-dev/krest/proxy/metrics.Version=…"):
// builds run with -buildvcs=false, so the toolchain records no commit.
var Version, Commit, Date string

// Build returns the version and VCS commit of the running binary: the
// link-time stamp when there is one, else what the Go toolchain recorded.
func Build() (version, commit string) {
	version, commit = "(devel)", "unknown"
	if info, ok := debug.ReadBuildInfo(); ok {
		if info.Main.Version != "" {
			version = info.Main.Version
		}
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				commit = s.Value
			}
		}
	}
	if Version != "" {
		version = Version
	}
	if Commit != "" {
		commit = Commit
	}
	return version, commit
}

// New returns the metrics of one krest; topicLabels bounds the topics that
// get their own label (metrics.topic.labels.max).
func New(topicLabels int, version, commit string) *Metrics {
	vm.ExposeMetadata(true) // a process-wide switch: TYPE lines, and HELP ones annotate fills
	m := &Metrics{set: vm.NewSet(), topicLabels: topicLabels, routes: map[string]*Route{}, topics: map[string]*Topic{}, codes: map[int]*vm.Counter{}}
	m.other = m.newTopic("other")
	m.set.NewGauge("krest_http_requests_in_flight", func() float64 { return float64(m.inFlight.Get()) })
	m.Produce429 = m.set.NewCounter("krest_produce_overloaded_total")
	m.AuthFailures = m.set.NewCounter("krest_auth_failures_total")
	m.set.NewGauge(fmt.Sprintf(`krest_build_info{version=%q,commit=%q,go=%q}`, version, commit, runtime.Version()), func() float64 { return 1 })
	return m
}

// Gauge registers a gauge computed at each scrape. Its family must be in
// families as a gauge.
func (m *Metrics) Gauge(name string, f func() float64) {
	mustDeclare(name, "gauge")
	m.set.NewGauge(name, f)
}

// CounterFunc registers a counter read at each scrape, from a count kept
// elsewhere. Its family must be in families as a counter.
func (m *Metrics) CounterFunc(name string, f func() float64) {
	mustDeclare(name, "counter")
	m.set.NewGauge(name, f) // typed counter by families
}

// Counter registers a counter. Its family must be in families as a
// counter.
func (m *Metrics) Counter(name string) *vm.Counter {
	mustDeclare(name, "counter")
	return m.set.GetOrCreateCounter(name)
}

// mustDeclare panics unless the family of a metric name is in families
// with this type: every family /metrics exposes has its help text.
func mustDeclare(name, typ string) {
	fam, _, _ := strings.Cut(name, "{")
	if f, ok := families[fam]; !ok || f.typ != typ {
		panic(fmt.Sprintf("metrics: %s is not declared as a %s in families", fam, typ))
	}
}

// WritePrometheus writes every metric, then the process and Go runtime
// metrics, in the Prometheus text format, each family after its HELP and
// TYPE lines.
func (m *Metrics) WritePrometheus(w io.Writer) {
	var text bytes.Buffer
	m.set.WritePrometheus(&text)
	vm.WriteProcessMetrics(&text)
	annotate(w, text.Bytes())
}

// Route is the metrics of one route, created when the route is mounted.
type Route struct {
	byClass  [6]*vm.Counter // index: status / 100
	latency  *vm.PrometheusHistogram
	in, out  *vm.Counter
	inFlight *vm.Counter
}

// Route returns the metrics of a route name, creating them.
func (m *Metrics) Route(name string) *Route {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r, ok := m.routes[name]; ok {
		return r
	}
	r := &Route{inFlight: &m.inFlight}
	for class := 1; class <= 5; class++ {
		r.byClass[class] = m.set.NewCounter(fmt.Sprintf(`krest_http_requests_total{route=%q,code="%dxx"}`, name, class))
	}
	r.latency = m.set.NewPrometheusHistogram(fmt.Sprintf(`krest_http_request_duration_seconds{route=%q}`, name))
	r.in = m.set.NewCounter(fmt.Sprintf(`krest_http_request_bytes_total{route=%q}`, name))
	r.out = m.set.NewCounter(fmt.Sprintf(`krest_http_response_bytes_total{route=%q}`, name))
	m.routes[name] = r
	return r
}

// Start counts a request in flight.
func (r *Route) Start() { r.inFlight.Inc() }

// Done records a finished request.
func (r *Route) Done(status int, start time.Time, in, out int) {
	r.inFlight.Dec()
	class := status / 100
	if class < 1 || class > 5 {
		class = 5
	}
	r.byClass[class].Inc()
	r.latency.UpdateDuration(start)
	r.in.Add(in)
	r.out.Add(out)
}

// Topic is the produce and consume metrics of one topic label.
type Topic struct {
	ProducedRecords, ProducedBytes *vm.Counter
	ConsumedRecords, ConsumedBytes *vm.Counter
}

func (m *Metrics) newTopic(label string) *Topic {
	q := strconv.Quote(label)
	return &Topic{
		ProducedRecords: m.set.NewCounter(`krest_produce_records_total{topic=` + q + `}`),
		ProducedBytes:   m.set.NewCounter(`krest_produce_bytes_total{topic=` + q + `}`),
		ConsumedRecords: m.set.NewCounter(`krest_consume_records_total{topic=` + q + `}`),
		ConsumedBytes:   m.set.NewCounter(`krest_consume_bytes_total{topic=` + q + `}`),
	}
}

// Topic returns the metrics of a topic: its own label for the first
// metrics.topic.labels.max topics seen, "other" for the rest.
func (m *Metrics) Topic(name string) *Topic {
	m.mu.RLock()
	t, ok := m.topics[name]
	full := len(m.topics) >= m.topicLabels
	m.mu.RUnlock()
	if ok {
		return t
	}
	if full {
		return m.other
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if t, ok := m.topics[name]; ok {
		return t
	}
	if len(m.topics) >= m.topicLabels || name == "other" {
		return m.other
	}
	t = m.newTopic(name)
	m.topics[name] = t
	return t
}

// RecordErrorCodes creates the series of these per-record codes at zero,
// so that they exist before the first error.
func (m *Metrics) RecordErrorCodes(codes ...int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, code := range codes {
		if _, ok := m.codes[code]; !ok {
			m.codes[code] = m.set.NewCounter(fmt.Sprintf(`krest_produce_record_errors_total{code="%d"}`, code))
		}
	}
}

// RecordError counts a produced record that failed with a Kafka-REST code.
func (m *Metrics) RecordError(code int) {
	m.mu.RLock()
	c, ok := m.codes[code]
	m.mu.RUnlock()
	if !ok {
		m.mu.Lock()
		if c, ok = m.codes[code]; !ok {
			c = m.set.NewCounter(fmt.Sprintf(`krest_produce_record_errors_total{code="%d"}`, code))
			m.codes[code] = c
		}
		m.mu.Unlock()
	}
	c.Inc()
}
