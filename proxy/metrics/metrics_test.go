package metrics

import (
	"bytes"
	"strings"
	"testing"
	"time"
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
