package proxy

import (
	"compress/gzip"
	"context"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/krest-dev/krest/proxy/tracing"
)

// otlpSink is an OTLP/HTTP endpoint that keeps the spans krest exports.
type otlpSink struct {
	mu    sync.Mutex
	spans []*tracepb.Span
	url   string
}

func newOTLPSink(t *testing.T) *otlpSink {
	s := &otlpSink{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), 400)
				return
			}
			body = zr
		}
		raw, err := io.ReadAll(body)
		var req coltrace.ExportTraceServiceRequest
		if err == nil {
			err = proto.Unmarshal(raw, &req)
		}
		if r.URL.Path != "/v1/traces" || err != nil {
			http.Error(w, "bad export", 400)
			return
		}
		s.mu.Lock()
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				s.spans = append(s.spans, ss.Spans...)
			}
		}
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		out, _ := proto.Marshal(&coltrace.ExportTraceServiceResponse{})
		w.Write(out)
	}))
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

// named returns the spans called name.
func (s *otlpSink) named(name string) []*tracepb.Span {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*tracepb.Span
	for _, sp := range s.spans {
		if sp.Name == name {
			out = append(out, sp)
		}
	}
	return out
}

func spanAttr(sp *tracepb.Span, key string) string {
	for _, a := range sp.Attributes {
		if a.Key == key {
			if s := a.Value.GetStringValue(); s != "" {
				return s
			}
			return strconv.FormatInt(a.Value.GetIntValue(), 10)
		}
	}
	return ""
}

// TestTracing: with an OTLP endpoint configured, a request carrying a W3C
// traceparent gets a server span in the client's trace, named by its
// route, with the HTTP attributes, the topic and the record count; the
// records it produces (v2, v3 streaming, records:batch) carry the span's
// traceparent header; a read through krest links its span to the traces
// of the records it returns; and the access log line names the trace.
func TestTracing(t *testing.T) { eachBackend(t, testTracing) }

func testTracing(t *testing.T, b backend) {
	sink := newOTLPSink(t)
	logs := &logBuffer{}
	props := map[string]string{
		"bootstrap.servers": strings.Join(b.seeds, ","), "listeners": "http://127.0.0.1:0",
		"otel.exporter.otlp.endpoint": sink.url, "otel.service.name": "krest-test",
	}
	ts := startServerWithLog(t, props, slog.New(slog.NewTextHandler(logs, nil)))
	topic := createTopic(t, b, 1)
	const traceID, parent = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	traced := map[string]string{"traceparent": "00-" + traceID + "-" + parent + "-01"}

	h := map[string]string{"Content-Type": "application/vnd.kafka.binary.v2+json", "traceparent": traced["traceparent"], "tracestate": "congo=t61rcWkgMzE"}
	if status, body, _ := ts.do(t, "POST", "/topics/"+topic, h, []byte(`{"records":[{"value":"eA=="},{"value":"eQ==","headers":[{"name":"traceparent","value":"MDAtYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWEtYmJiYmJiYmJiYmJiYmJiYi0wMQ=="}]}]}`)); status != 200 {
		t.Fatalf("v2 produce: %d %s", status, body)
	}
	h = map[string]string{"Content-Type": "application/json", "traceparent": traced["traceparent"]}
	base := "/v3/clusters/any/topics/" + topic
	if status, body, _ := ts.do(t, "POST", base+"/records", h, []byte(`{"value":{"type":"STRING","data":"z"}}`)); status != 200 || !strings.Contains(body, `"error_code":200`) {
		t.Fatalf("v3 stream: %d %s", status, body)
	}
	if status, body, _ := ts.do(t, "POST", base+"/records:batch", h, []byte(`{"entries":[{"id":"a","value":{"type":"STRING","data":"w"}}]}`)); status != 207 || !strings.Contains(body, `"failures":[]`) {
		t.Fatalf("records:batch: %d %s", status, body)
	}
	// An untraced request starts a trace of its own.
	if status, body, _ := ts.do(t, "GET", "/topics/"+topic, nil, nil); status != 200 {
		t.Fatalf("metadata: %d %s", status, body)
	}

	// The records carry the server spans' context (the one that came
	// with its own keeps it).
	recs := consumeAll(t, b, topic, 4)
	var carried []string
	for i, r := range recs {
		var tp string
		n := 0
		for _, hd := range r.Headers {
			if hd.Key == tracing.HeaderTraceParent {
				tp, n = string(hd.Value), n+1
			}
		}
		if n != 1 {
			t.Fatalf("record %d carries %d traceparent headers", i, n)
		}
		carried = append(carried, tp)
	}
	for i, want := range []string{"congo=t61rcWkgMzE", "", "", ""} {
		got := ""
		for _, hd := range recs[i].Headers {
			if hd.Key == tracing.HeaderTraceState {
				got = string(hd.Value)
			}
		}
		if got != want {
			t.Errorf("record %d: tracestate %q, want %q", i, got, want)
		}
	}
	if !strings.Contains(carried[1], "aaaaaaaa") {
		t.Errorf("the record with its own traceparent carries %q", carried[1])
	}

	// A read through krest links its span to the records' traces.
	cluster := clusterIDOf(t, ts)
	if status, body, _ := ts.do(t, "GET", "/v3/clusters/"+cluster+"/topics/"+topic+"/partitions/0/records?offset=0", traced, nil); status != 200 {
		t.Fatalf("v3 read: %d %s", status, body)
	}
	// A v2 consumer instance's reads link their spans the same way.
	c := newRESTConsumer(t, ts, "tracing-"+topic, `{"format":"binary","auto.offset.reset":"earliest"}`)
	c.mustCall(t, "POST", "/assignments", `{"partitions":[{"topic":"`+topic+`","partition":0}]}`, 204)
	for n, deadline := 0, time.Now().Add(20*time.Second); n < 4; {
		if time.Now().After(deadline) {
			t.Fatalf("the consumer instance read %d records, want 4", n)
		}
		n += len(c.records(t, "", "application/vnd.kafka.binary.v2+json"))
	}

	// A tail's stream has a span of its own, the child of the tail's
	// server span, linked to the records it sent.
	tailPath := "/v3/clusters/" + cluster + "/topics/" + topic + "/records?from=earliest"
	events, stop := openTailWith(t, ts, tailPath, traced)
	for n := 0; n < 4; {
		select {
		case ev := <-events:
			n += len(ev.records)
		case <-time.After(20 * time.Second):
			t.Fatalf("the tail sent %d records, want 4", n)
		}
	}
	stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for len(sink.named("api.v3.records.tail.stream")) == 0 && ctx.Err() == nil {
		if err := ts.tracer.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	all, ours := 0, 0
	for _, sp := range sink.named("api.v2.consumers.consume") {
		for _, l := range sp.Links {
			all++
			if hex.EncodeToString(l.TraceId) == traceID {
				ours++
			}
		}
	}
	if all != 4 || ours != 3 {
		t.Errorf("the consumer instance's read spans link %d spans, %d of the client's trace; want 4 and 3", all, ours)
	}
	tails, streams := sink.named("api.v3.records.tail"), sink.named("api.v3.records.tail.stream")
	if len(tails) != 1 || len(streams) != 1 {
		t.Fatalf("%d tail spans and %d tail stream spans, want 1 and 1", len(tails), len(streams))
	}
	if hex.EncodeToString(streams[0].TraceId) != traceID || string(streams[0].ParentSpanId) != string(tails[0].SpanId) || len(streams[0].Links) != 4 {
		t.Errorf("the tail's stream span: trace %x, parent %x (the tail's server span is %x), %d links; want the client's trace, the server span, 4 links",
			streams[0].TraceId, streams[0].ParentSpanId, tails[0].SpanId, len(streams[0].Links))
	}

	want := map[string]string{"api.v2.produce-to-topic": "2", "api.v3.produce.produce-to-topic": "", "api.v3.batch-produce.produce-to-topic": "1"}
	for name, count := range want {
		spans := sink.named(name)
		if len(spans) != 1 {
			t.Fatalf("%d spans named %s, want 1", len(spans), name)
		}
		sp := spans[0]
		if got := hex.EncodeToString(sp.TraceId); got != traceID {
			t.Errorf("%s: trace %s, want the client's %s", name, got, traceID)
		}
		if got := hex.EncodeToString(sp.ParentSpanId); got != parent {
			t.Errorf("%s: parent %s, want the client's span %s", name, got, parent)
		}
		if sp.Kind != tracepb.Span_SPAN_KIND_SERVER {
			t.Errorf("%s: kind %v", name, sp.Kind)
		}
		for k, v := range map[string]string{"http.request.method": "POST", "messaging.destination.name": topic, "http.response.status_code": map[bool]string{true: "207", false: "200"}[strings.Contains(name, "batch")], "messaging.batch.message_count": count} {
			if got := spanAttr(sp, k); got != v {
				t.Errorf("%s: %s = %q, want %q", name, k, got, v)
			}
		}
		tp := "00-" + traceID + "-" + hex.EncodeToString(sp.SpanId) + "-01"
		found := false
		for _, c := range carried {
			found = found || c == tp
		}
		if !found {
			t.Errorf("%s: no record carries %s (records carry %q)", name, tp, carried)
		}
		if !strings.Contains(logs.String(), "trace_id="+traceID) {
			t.Errorf("no log line names trace %s:\n%s", traceID, logs.String())
		}
	}
	meta := sink.named("api.v2.topics.get")
	if len(meta) == 0 {
		t.Fatal("no span for the untraced metadata request")
	}
	if hex.EncodeToString(meta[0].TraceId) == traceID || len(meta[0].ParentSpanId) != 0 {
		t.Errorf("an untraced request joined a trace")
	}
	reads := sink.named("api.v3.records.read")
	if len(reads) != 1 {
		t.Fatalf("%d read spans", len(reads))
	}
	links := 0
	for _, l := range reads[0].Links {
		if hex.EncodeToString(l.TraceId) == traceID {
			links++
		}
	}
	if links != 3 || len(reads[0].Links) != 4 {
		t.Errorf("the read's span links %d spans, %d of the client's trace; want 4 and 3", len(reads[0].Links), links)
	}
}
