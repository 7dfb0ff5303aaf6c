package rest

import (
	"github.com/valyala/fasthttp"
	"go.opentelemetry.io/otel/trace"

	"github.com/krest-dev/krest/proxy/tracing"
)

// SpanKey holds the request's server span (a trace.Span) while tracing is
// on; nothing is set when it is off.
const SpanKey = tracing.SpanKey

// recordsKey holds the number of records a traced request carried.
const recordsKey = "krest.span.records"

// Span is the request's server span, nil when tracing is off.
func Span(ctx *fasthttp.RequestCtx) trace.Span {
	s, _ := ctx.UserValue(SpanKey).(trace.Span)
	return s
}

// TraceParent is the traceparent header value that records produced by
// the request carry (its server span's context), nil when tracing is off.
func TraceParent(ctx *fasthttp.RequestCtx) []byte {
	s := Span(ctx)
	if s == nil || !s.SpanContext().IsValid() {
		return nil
	}
	return tracing.AppendTraceParent(make([]byte, 0, 55), s.SpanContext())
}

// TraceState is the tracestate header value records produced by the
// request carry with their traceparent: the vendor state the request came
// with, truncated to tracing.MaxRecordTraceState, nil when there was none
// or tracing is off.
func TraceState(ctx *fasthttp.RequestCtx) []byte {
	s := Span(ctx)
	if s == nil {
		return nil
	}
	if ts := s.SpanContext().TraceState(); ts.Len() > 0 {
		if b := tracing.AppendRecordTraceState(nil, ts); len(b) > 0 {
			return b
		}
	}
	return nil
}

// NoteRecords records on a traced request's span how many records it
// carried; nothing when tracing is off.
func NoteRecords(ctx *fasthttp.RequestCtx, n int) {
	if Span(ctx) != nil {
		ctx.SetUserValue(recordsKey, n)
	}
}

// NotedRecords is what NoteRecords recorded, or -1.
func NotedRecords(ctx *fasthttp.RequestCtx) int {
	if n, ok := ctx.UserValue(recordsKey).(int); ok {
		return n
	}
	return -1
}

// HeaderCarrier reads a request's headers as the trace context propagator
// asks for them.
type HeaderCarrier struct{ H *fasthttp.RequestHeader }

// Get returns the value of header key.
func (c HeaderCarrier) Get(key string) string { return string(c.H.Peek(key)) }

// Set is not used: krest does not write trace context into requests.
func (c HeaderCarrier) Set(key, value string) {}

// Keys returns the names of the request's headers.
func (c HeaderCarrier) Keys() []string {
	var keys []string
	for k := range c.H.All() {
		keys = append(keys, string(k))
	}
	return keys
}
