package metrics

import (
	"bytes"
	"strings"
	"testing"
	"time"

	vm "github.com/VictoriaMetrics/metrics"
)

// TestNoAllocations: updating metrics on the request path allocates
// nothing.
func TestNoAllocations(t *testing.T) {
	m := New(2, "v", "c")
	r := m.Route("api.v2.produce-to-topic")
	topic := m.Topic("t")
	start := time.Now()
	allocs := testing.AllocsPerRun(1000, func() {
		r.Start()
		r.Done(200, start, 100, 50)
		tt := m.Topic("t")
		tt.ProducedRecords.Add(3)
		tt.ProducedBytes.Add(300)
		m.RecordError(50003)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per request", allocs)
	}
	_ = topic
}

func TestTopicLabelsBounded(t *testing.T) {
	m := New(2, "v", "c")
	for _, name := range []string{"a", "b", "c", "d"} {
		m.Topic(name).ProducedRecords.Inc()
	}
	var buf bytes.Buffer
	m.WritePrometheus(&buf)
	out := buf.String()
	for _, want := range []string{`krest_produce_records_total{topic="a"} 1`, `krest_produce_records_total{topic="b"} 1`, `krest_produce_records_total{topic="other"} 2`} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %s", want)
		}
	}
	if strings.Contains(out, `topic="c"`) {
		t.Error("a third topic got its own label")
	}
}

// TestFamilies: every family New, Route, Topic, RecordErrorCodes and
// KafkaHooks register, and every Go runtime and process family, is
// exposed with a help text and the type the library gives it (a _total
// gauge is a counter read at each scrape).
func TestFamilies(t *testing.T) {
	m := New(2, "v", "c")
	m.Route("api.v2.produce-to-topic").Done(200, time.Now(), 1, 1)
	m.Topic("t")
	m.RecordErrorCodes(40403, 50003)
	for _, kind := range []string{"producer", "admin", "consumer"} {
		m.KafkaHooks(kind)
	}
	for f, d := range families {
		if d.help == "" || strings.ContainsAny(d.help, "\\\n") {
			t.Errorf("%s: help %q is empty or needs escaping", f, d.help)
		}
	}

	var raw bytes.Buffer
	m.set.WritePrometheus(&raw)
	vm.WriteProcessMetrics(&raw)
	types := 0
	for _, line := range strings.Split(raw.String(), "\n") {
		rest, ok := strings.CutPrefix(line, "# TYPE ")
		if !ok {
			continue
		}
		types++
		name, typ, _ := strings.Cut(rest, " ")
		if to, ok := renamed[name]; ok {
			name = to
		}
		d, ok := families[name]
		switch {
		case !ok:
			t.Errorf("%s has no entry in families", name)
		case d.typ != typ && (typ != "gauge" || d.typ != "counter" || !strings.HasSuffix(name, "_total")):
			t.Errorf("%s: families says %s, the library %s", name, d.typ, typ)
		}
	}
	if types < 50 {
		t.Errorf("%d families: is ExposeMetadata on?", types)
	}

	var buf bytes.Buffer
	m.WritePrometheus(&buf)
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
		if rest, ok := strings.CutPrefix(line, "# HELP "); ok {
			name, help, _ := strings.Cut(rest, " ")
			if seen[name] {
				t.Errorf("%s exposed twice", name)
			}
			seen[name] = true
			if help == "" {
				t.Errorf("%s has no help text", name)
			}
			continue
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		name := line[:strings.IndexAny(line, "{ ")]
		if _, ok := renamed[name]; ok {
			t.Errorf("%s exposed under its old name", name)
		}
	}
}

// TestDeclared: registering a family families lacks, or with another
// type, panics.
func TestDeclared(t *testing.T) {
	m := New(2, "v", "c")
	for name, register := range map[string]func(){
		"undeclared":       func() { m.Gauge("krest_nope", func() float64 { return 0 }) },
		"counter as gauge": func() { m.Gauge("krest_auth_failures_total{x=\"1\"}", func() float64 { return 0 }) },
		"gauge as counter": func() { m.CounterFunc("krest_consumer_instances", func() float64 { return 0 }) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			register()
		}()
	}
	m.CounterFunc("krest_consumer_instance_expiries_total", func() float64 { return 0 })
}
