package tracing

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

func TestSampler(t *testing.T) {
	for _, tc := range []struct {
		name, arg string
		want      string // the sampler's Description, "" for an error
	}{
		{"always_on", "", "AlwaysOnSampler"},
		{"always_off", "", "AlwaysOffSampler"},
		{"traceidratio", "0.01", "TraceIDRatioBased{0.01}"},
		{"parentbased_traceidratio", "0.5", "ParentBased{root:TraceIDRatioBased{0.5},remoteParentSampled:AlwaysOnSampler,remoteParentNotSampled:AlwaysOffSampler,localParentSampled:AlwaysOnSampler,localParentNotSampled:AlwaysOffSampler}"},
		{"PARENTBASED_ALWAYS_ON", "", "ParentBased{root:AlwaysOnSampler,remoteParentSampled:AlwaysOnSampler,remoteParentNotSampled:AlwaysOffSampler,localParentSampled:AlwaysOnSampler,localParentNotSampled:AlwaysOffSampler}"},
		{"traceidratio", "2", ""},
		{"traceidratio", "x", ""},
		{"jaeger_remote", "", ""},
	} {
		s, err := sampler(tc.name, tc.arg)
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("%s %s: %s, want an error", tc.name, tc.arg, s.Description())
		case tc.want != "" && (err != nil || s.Description() != tc.want):
			t.Errorf("%s %s: %v %v, want %s", tc.name, tc.arg, s, err, tc.want)
		}
	}
}

func TestEnabled(t *testing.T) {
	for _, k := range []string{"OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"} {
		t.Setenv(k, "")
	}
	if (Config{}).Enabled() {
		t.Error("enabled without an endpoint")
	}
	if tr, err := New(context.Background(), Config{}); tr != nil || err != nil {
		t.Errorf("New without an endpoint: %v, %v; want nil, nil", tr, err)
	}
	if !(Config{Endpoint: "http://127.0.0.1:4318"}).Enabled() {
		t.Error("disabled with otel.exporter.otlp.endpoint")
	}
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
	if !(Config{}).Enabled() {
		t.Error("disabled with OTEL_EXPORTER_OTLP_ENDPOINT")
	}
	t.Setenv("OTEL_TRACES_EXPORTER", "none")
	if (Config{}).Enabled() {
		t.Error("enabled with OTEL_TRACES_EXPORTER=none")
	}
	t.Setenv("OTEL_TRACES_EXPORTER", "")
	t.Setenv("OTEL_SDK_DISABLED", "true")
	if (Config{Endpoint: "http://x"}).Enabled() {
		t.Error("enabled with OTEL_SDK_DISABLED=true")
	}
}

// TestAppendTraceParent: the header krest writes is the propagator's.
func TestAppendTraceParent(t *testing.T) {
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	for _, flags := range []trace.TraceFlags{0, trace.FlagsSampled} {
		sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: flags})
		carrier := propagation.MapCarrier{}
		propagation.TraceContext{}.Inject(trace.ContextWithSpanContext(context.Background(), sc), carrier)
		if got, want := string(AppendTraceParent(nil, sc)), carrier.Get("traceparent"); got != want {
			t.Errorf("flags %v: %s, want %s", flags, got, want)
		}
	}
}

// TestLinkRecords: a span links the valid trace contexts of records, at
// most maxLinks of them; records without one, or with a bad one, are
// skipped; a nil span costs nothing.
func TestLinkRecords(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	_, span := tp.Tracer("t").Start(context.Background(), "read")
	recs := []*kgo.Record{
		{Headers: []kgo.RecordHeader{{Key: HeaderTraceParent, Value: []byte("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")}}},
		{},
		{Headers: []kgo.RecordHeader{{Key: HeaderTraceParent, Value: []byte("garbage")}}},
	}
	for range 200 {
		recs = append(recs, recs[0])
	}
	LinkRecords(span, recs)
	LinkRecords(nil, recs)
	span.End()
	got := exp.GetSpans()
	if len(got) != 1 || len(got[0].Links) != maxLinks || got[0].Links[0].SpanContext.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Fatalf("links: %+v", got)
	}
	if allocs := testing.AllocsPerRun(100, func() { LinkRecords(nil, recs) }); allocs != 0 {
		t.Errorf("LinkRecords without a span: %v allocations", allocs)
	}
}

// valueCtx answers Value as fasthttp's RequestCtx does: its user values.
type valueCtx struct {
	context.Context
	vals map[any]any
}

func (c valueCtx) Value(k any) any { return c.vals[k] }

// TestLogHandler: a log line written with a traced request (its span under
// SpanKey) or a context carrying a span names the trace; others do not.
func TestLogHandler(t *testing.T) {
	tp := sdktrace.NewTracerProvider()
	_, span := tp.Tracer("t").Start(context.Background(), "request")
	defer span.End()
	var out strings.Builder
	log := slog.New(LogHandler(slog.NewTextHandler(&out, nil))).With("k", "v")
	want := "trace_id=" + span.SpanContext().TraceID().String() + " span_id=" + span.SpanContext().SpanID().String()
	for _, tc := range []struct {
		name  string
		ctx   context.Context
		trace bool
	}{
		{"request", valueCtx{context.Background(), map[any]any{SpanKey: span}}, true},
		{"context", trace.ContextWithSpan(context.Background(), span), true},
		{"none", context.Background(), false},
	} {
		out.Reset()
		log.InfoContext(tc.ctx, "line")
		if got := strings.Contains(out.String(), want) && strings.Contains(out.String(), "k=v"); got != tc.trace {
			t.Errorf("%s: %q, want the trace: %v", tc.name, out.String(), tc.trace)
		}
	}
}

func TestAppendRecordTraceState(t *testing.T) {
	entry := func(key string, valueLen int) string { return key + "=" + strings.Repeat("v", valueLen) }
	var many []string // 32 entries of 100 characters: 3,231 in all
	for i := range 32 {
		many = append(many, entry(fmt.Sprintf("k%02d", i), 96))
	}
	for _, tc := range []struct {
		name, in, want string
	}{
		{"short, kept whole", "a=1,b=2", "a=1,b=2"},
		{"a long entry kept while the whole fits", entry("big", 250) + ",a=1", entry("big", 250) + ",a=1"},
		{"long entries go first", strings.Join([]string{entry("a", 100), entry("big", 250), entry("b", 100), entry("c", 100)}, ","),
			strings.Join([]string{entry("a", 100), entry("b", 100), entry("c", 100)}, ",")},
		{"then entries from the end", strings.Join(many, ","), strings.Join(many[:5], ",")}, // 5 × 100 + 4 commas = 504
	} {
		ts, err := trace.ParseTraceState(tc.in)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got := string(AppendRecordTraceState([]byte("x"), ts))
		if got != "x"+tc.want {
			t.Errorf("%s: got %q (%d), want %q", tc.name, got, len(got)-1, tc.want)
		}
		if len(got)-1 > MaxRecordTraceState {
			t.Errorf("%s: %d characters", tc.name, len(got)-1)
		}
	}
}
