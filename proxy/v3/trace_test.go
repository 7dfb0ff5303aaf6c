package v3

import (
	"bytes"
	"testing"

	"github.com/krest-dev/krest/proxy/config"
	"github.com/krest-dev/krest/proxy/tracing"
)

// TestBuildTraceOnce: every record of a batch carries the request's
// traceparent and tracestate, written into the batch's arena once, and a
// batch recycled for the next chunk gets them written anew.
func TestBuildTraceOnce(t *testing.T) {
	tp := []byte("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	ts := []byte("congo=t61rcWkgMzE")
	b := builder{a: &API{Config: &config.Config{}}, topic: "t", traceparent: tp, tracestate: ts}
	c := getChunk()
	defer putChunk(c)
	for round := range 2 {
		c.b.Reset()
		for _, raw := range []string{
			`{"value":{"type":"STRING","data":"a"}}`,
			`{"value":{"type":"STRING","data":"b"},"headers":[{"name":"h","value":"eA=="}]}`,
			`{"value":{"type":"STRING","data":"c"}}`,
		} {
			var e entry
			if _, err := b.build([]byte(raw), false, c.b, &e.key, &e.value); err != nil {
				t.Fatal(err)
			}
		}
		c.b.Seal()
		if n := bytes.Count(c.b.Arena.B, tp); n != 1 {
			t.Errorf("round %d: the arena holds the traceparent %d times, want 1", round, n)
		}
		if n := bytes.Count(c.b.Arena.B, ts); n != 1 {
			t.Errorf("round %d: the arena holds the tracestate %d times, want 1", round, n)
		}
		for i, r := range c.b.Records {
			got := map[string]string{}
			for _, h := range r.Headers {
				got[h.Key] = string(h.Value)
			}
			if got[tracing.HeaderTraceParent] != string(tp) || got[tracing.HeaderTraceState] != string(ts) {
				t.Errorf("round %d, record %d: headers %q", round, i, got)
			}
		}
	}
}
