// Package tracing is krest's OpenTelemetry tracing: one server span per
// request, the trace context of produced records (the W3C traceparent and
// tracestate headers, as franz-go's kotel and the Java OpenTelemetry
// instrumentation write and read them), and links from a read's span to
// the traces of the records it returns.
//
// Tracing is off unless an OTLP endpoint is configured, by the standard
// OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or by
// krest's otel.exporter.otlp.endpoint; OTEL_SDK_DISABLED=true and
// OTEL_TRACES_EXPORTER=none turn it off. When it is off, New returns a nil
// *Tracer, whose methods do nothing and allocate nothing, so that the
// request path pays nothing for tracing it does not do.
//
// The package knows nothing of HTTP: the HTTP layer hands it a carrier of
// the request's headers and the route's name.
package tracing

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// Config is tracing's configuration as krest keys give it; an empty field
// leaves the matching OTEL_* environment variable, read by the
// OpenTelemetry SDK, in charge.
type Config struct {
	// Endpoint is otel.exporter.otlp.endpoint: the collector's OTLP/HTTP
	// base URL (traces go to Endpoint + "/v1/traces").
	Endpoint string
	// Sampler and SamplerArg are otel.traces.sampler and
	// otel.traces.sampler.arg, as OTEL_TRACES_SAMPLER and
	// OTEL_TRACES_SAMPLER_ARG name them (parentbased_always_on by default).
	Sampler, SamplerArg string
	// ServiceName is otel.service.name (default "krest").
	ServiceName string
	// Version is krest's, for the resource's service.version.
	Version string
}

// Enabled reports whether c and the environment configure an exporter.
func (c Config) Enabled() bool {
	if strings.EqualFold(os.Getenv("OTEL_SDK_DISABLED"), "true") || strings.EqualFold(os.Getenv("OTEL_TRACES_EXPORTER"), "none") {
		return false
	}
	return c.Endpoint != "" || os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// Tracer starts krest's spans. A nil *Tracer traces nothing.
type Tracer struct {
	tp   *sdktrace.TracerProvider
	tr   trace.Tracer
	prop propagation.TraceContext
}

// New returns the tracer c configures, exporting over OTLP/HTTP, or nil
// when tracing is off.
func New(ctx context.Context, c Config) (*Tracer, error) {
	if !c.Enabled() {
		return nil, nil
	}
	var opts []otlptracehttp.Option
	if c.Endpoint != "" {
		opts = append(opts, otlptracehttp.WithEndpointURL(strings.TrimSuffix(c.Endpoint, "/")+"/v1/traces"))
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("tracing: OTLP exporter: %w", err)
	}
	return NewWithExporter(c, exp)
}

// NewWithExporter returns a tracer exporting to exp in batches: for tests
// (an in-memory exporter) and for New.
func NewWithExporter(c Config, exp sdktrace.SpanExporter) (*Tracer, error) {
	res, err := resource.New(context.Background(), resource.WithFromEnv(), resource.WithTelemetrySDK())
	if err != nil {
		return nil, fmt.Errorf("tracing: resource: %w", err)
	}
	// otel.service.name wins over OTEL_SERVICE_NAME, which wins over
	// krest's default.
	name := c.ServiceName
	if _, set := res.Set().Value(semconv.ServiceNameKey); name == "" && !set {
		name = "krest"
	}
	own := []resource.Option{resource.WithAttributes(semconv.ServiceVersion(c.Version))}
	if name != "" {
		own = append(own, resource.WithAttributes(semconv.ServiceName(name)))
	}
	mine, err := resource.New(context.Background(), own...)
	if err != nil {
		return nil, fmt.Errorf("tracing: resource: %w", err)
	}
	if res, err = resource.Merge(res, mine); err != nil {
		return nil, fmt.Errorf("tracing: resource: %w", err)
	}
	opts := []sdktrace.TracerProviderOption{sdktrace.WithBatcher(exp), sdktrace.WithResource(res)}
	if c.Sampler != "" {
		s, err := sampler(c.Sampler, c.SamplerArg)
		if err != nil {
			return nil, err
		}
		opts = append(opts, sdktrace.WithSampler(s))
	}
	tp := sdktrace.NewTracerProvider(opts...)
	return &Tracer{tp: tp, tr: tp.Tracer("github.com/krest-dev/krest")}, nil
}

// sampler builds the sampler OTEL_TRACES_SAMPLER's names name.
func sampler(name, arg string) (sdktrace.Sampler, error) {
	ratio := 1.0
	if arg != "" {
		r, err := strconv.ParseFloat(arg, 64)
		if err != nil || r < 0 || r > 1 {
			return nil, fmt.Errorf("otel.traces.sampler.arg: %q is not a ratio between 0 and 1", arg)
		}
		ratio = r
	}
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "always_on":
		return sdktrace.AlwaysSample(), nil
	case "always_off":
		return sdktrace.NeverSample(), nil
	case "traceidratio":
		return sdktrace.TraceIDRatioBased(ratio), nil
	case "parentbased_always_on":
		return sdktrace.ParentBased(sdktrace.AlwaysSample()), nil
	case "parentbased_always_off":
		return sdktrace.ParentBased(sdktrace.NeverSample()), nil
	case "parentbased_traceidratio":
		return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio)), nil
	}
	return nil, fmt.Errorf("otel.traces.sampler: %q is not one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio", name)
}

// Flush exports the spans ended so far.
func (t *Tracer) Flush(ctx context.Context) error {
	if t == nil {
		return nil
	}
	return t.tp.ForceFlush(ctx)
}

// Shutdown exports what is left and stops the tracer.
func (t *Tracer) Shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	return t.tp.Shutdown(ctx)
}

// StartServer starts the server span of a request: continued from the
// traceparent and tracestate the carrier holds, if any, else a new trace
// (subject to the sampler). name is the route's, set again with Rename
// once the router has chosen it. The span ends with End.
func (t *Tracer) StartServer(headers propagation.TextMapCarrier, name string) trace.Span {
	ctx := t.prop.Extract(context.Background(), headers)
	_, span := t.tr.Start(ctx, name, trace.WithSpanKind(trace.SpanKindServer))
	return span
}

// StartStream starts the span of a stream that outlives its request's
// server span (parent, ended when the connection was taken over): its
// child, named name, ended by the stream. nil when tracing is off.
func StartStream(parent trace.Span, name string) trace.Span {
	if parent == nil {
		return nil
	}
	tr := parent.TracerProvider().Tracer("github.com/krest-dev/krest")
	_, span := tr.Start(trace.ContextWithSpan(context.Background(), parent), name, trace.WithSpanKind(trace.SpanKindServer))
	return span
}

// HeaderTraceParent and HeaderTraceState are the W3C trace context's
// header names, as records carry them.
const (
	HeaderTraceParent = "traceparent"
	HeaderTraceState  = "tracestate"
)

// AppendTraceParent appends sc's traceparent value
// ("00-<trace id>-<span id>-<flags>").
func AppendTraceParent(dst []byte, sc trace.SpanContext) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, "00-"...)
	tid, sid := sc.TraceID(), sc.SpanID()
	for _, b := range tid {
		dst = append(dst, hex[b>>4], hex[b&15])
	}
	dst = append(dst, '-')
	for _, b := range sid {
		dst = append(dst, hex[b>>4], hex[b&15])
	}
	dst = append(dst, '-')
	f := byte(sc.TraceFlags())
	return append(dst, hex[f>>4], hex[f&15])
}

// MaxRecordTraceState bounds the tracestate a produced record carries: the
// 512 characters W3C Trace Context asks every vendor to propagate at least.
// The header is the caller's (up to 32 entries of up to 512 characters
// each), and every record of the request carries it: without a bound, a
// request of small records would grow by up to 16 KiB per record.
const MaxRecordTraceState = 512

// AppendRecordTraceState appends ts for a produced record, truncated as W3C
// Trace Context says to: entries longer than 128 characters go first, then
// entries from the end, until it fits MaxRecordTraceState.
func AppendRecordTraceState(dst []byte, ts trace.TraceState) []byte {
	const maxEntry = 128
	start := len(dst)
	if s := ts.String(); len(s) <= MaxRecordTraceState {
		return append(dst, s...)
	}
	ts.Walk(func(key, value string) bool {
		n := len(key) + 1 + len(value)
		if n > maxEntry {
			return true
		}
		sep := 0
		if len(dst) > start {
			sep = 1
		}
		if len(dst)-start+sep+n > MaxRecordTraceState {
			return false // the rest are nearer the end: dropped
		}
		if sep == 1 {
			dst = append(dst, ',')
		}
		dst = append(append(append(dst, key...), '='), value...)
		return true
	})
	return dst
}

// maxLinks bounds the links of one read's span (the SDK's default limit).
const maxLinks = 128

// recordCarrier reads a record's headers as a TextMapCarrier.
type recordCarrier []kgo.RecordHeader

func (c recordCarrier) Get(key string) string {
	for _, h := range c {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}
func (recordCarrier) Set(string, string) {}
func (c recordCarrier) Keys() []string {
	keys := make([]string, len(c))
	for i, h := range c {
		keys[i] = h.Key
	}
	return keys
}

// LinkRecords links span to the trace context each record carries (up to
// 128 of them): a read's span then leads to the traces that produced what
// it returned. A nil span (tracing off) costs nothing.
func LinkRecords(span trace.Span, recs []*kgo.Record) {
	if span == nil || !span.IsRecording() {
		return
	}
	var prop propagation.TraceContext
	n := 0
	for _, r := range recs {
		if n == maxLinks {
			return
		}
		if !hasHeader(r.Headers, HeaderTraceParent) {
			continue
		}
		sc := trace.SpanContextFromContext(prop.Extract(context.Background(), recordCarrier(r.Headers)))
		if !sc.IsValid() {
			continue
		}
		span.AddLink(trace.Link{SpanContext: sc})
		n++
	}
}

func hasHeader(hs []kgo.RecordHeader, name string) bool {
	for _, h := range hs {
		if h.Key == name {
			return true
		}
	}
	return false
}

// SpanKey is the request value under which the HTTP layer keeps a traced
// request's server span (a trace.Span); LogHandler looks there.
const SpanKey = "krest.span"

// LogHandler wraps h so that a log line written with a traced request's
// context (the request itself, or a context carrying a span) names the
// trace: trace_id and span_id.
func LogHandler(h slog.Handler) slog.Handler { return logHandler{h} }

type logHandler struct{ slog.Handler }

func (l logHandler) Handle(ctx context.Context, r slog.Record) error {
	var sc trace.SpanContext
	if s, ok := ctx.Value(SpanKey).(trace.Span); ok {
		sc = s.SpanContext()
	} else {
		sc = trace.SpanContextFromContext(ctx)
	}
	if sc.IsValid() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return l.Handler.Handle(ctx, r)
}

func (l logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return logHandler{l.Handler.WithAttrs(attrs)}
}

func (l logHandler) WithGroup(name string) slog.Handler { return logHandler{l.Handler.WithGroup(name)} }
