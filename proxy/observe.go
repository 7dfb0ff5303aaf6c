package proxy

import (
	"bytes"
	"log/slog"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/krest-dev/krest/pool"
	"github.com/krest-dev/krest/proxy/config"
	"github.com/krest-dev/krest/proxy/metrics"
	"github.com/krest-dev/krest/proxy/rest"
	"github.com/krest-dev/krest/proxy/tracing"
)

// observer runs around every request: it counts it in the metrics of its
// route, writes the access log line, and gzips large responses for
// clients that accept it (compression.enable).
type observer struct {
	metrics   *metrics.Metrics
	log       *slog.Logger
	access    bool // log.access
	compress  bool
	unmatched *metrics.Route
	cors      config.CORS
	tracer    *tracing.Tracer // nil: tracing off
}

// corsPreflight answers an OPTIONS preflight of an allowed origin; it
// reports whether it did.
func (o *observer) corsPreflight(ctx *fasthttp.RequestCtx) bool {
	if !ctx.IsOptions() || len(ctx.Request.Header.Peek("Access-Control-Request-Method")) == 0 || !o.setCORS(ctx) {
		return false
	}
	ctx.SetStatusCode(fasthttp.StatusNoContent)
	return true
}

// setCORS adds the CORS headers for a request from an allowed origin (a
// comma list, or "*"), and reports whether the origin is allowed.
func (o *observer) setCORS(ctx *fasthttp.RequestCtx) bool {
	origin := ctx.Request.Header.Peek("Origin")
	if o.cors.AllowOrigin == "" || len(origin) == 0 {
		return false
	}
	allowed := o.cors.AllowOrigin == "*"
	for _, a := range strings.Split(o.cors.AllowOrigin, ",") {
		allowed = allowed || strings.TrimSpace(a) == string(origin)
	}
	if !allowed {
		return false
	}
	h := &ctx.Response.Header
	h.SetBytesV("Access-Control-Allow-Origin", origin)
	// Jetty's CrossOriginFilter, which rest-utils uses, allows credentials
	// by default: an EventSource withCredentials needs it.
	h.Set("Access-Control-Allow-Credentials", "true")
	h.Add(fasthttp.HeaderVary, "Origin")
	methods := o.cors.AllowMethods
	if methods == "" {
		methods = "GET,POST,HEAD,DELETE"
	}
	h.Set("Access-Control-Allow-Methods", methods)
	if o.cors.AllowHeaders != "" {
		h.Set("Access-Control-Allow-Headers", o.cors.AllowHeaders)
	} else {
		h.Set("Access-Control-Allow-Headers", "X-Requested-With,Content-Type,Accept,Origin,Authorization")
	}
	if o.cors.ExposeHeaders != "" {
		h.Set("Access-Control-Expose-Headers", o.cors.ExposeHeaders)
	}
	return true
}

// minCompress is the smallest response body worth gzipping.
const minCompress = 1024

func (o *observer) wrap(next fasthttp.RequestHandler) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		start := time.Now()
		o.unmatched.Start() // the in-flight gauge is shared by every route
		var span trace.Span
		if o.tracer != nil {
			span = o.tracer.StartServer(rest.HeaderCarrier{H: &ctx.Request.Header}, "unmatched")
			ctx.SetUserValue(rest.SpanKey, span)
		}
		if !o.corsPreflight(ctx) {
			next(ctx)
			o.setCORS(ctx) // after next: WriteError resets the response
		}
		name, rm := "unmatched", o.unmatched
		if rt, ok := ctx.UserValue(rest.RouteKey).(*rest.Route); ok {
			name = rt.Name
			if rt.Metrics != nil {
				rm = rt.Metrics
			}
		}
		if o.compress {
			gzipResponse(ctx)
		}
		status := ctx.Response.StatusCode()
		// The announced length: Request.Body() would read a streamed body
		// that the handler left unread (a 429 or a 413) into memory.
		// A streamed response (v3 produce) is not counted: Body() would
		// read it all into memory.
		in, out := max(ctx.Request.Header.ContentLength(), 0), 0
		if !ctx.Response.IsBodyStream() {
			out = len(ctx.Response.Body())
		}
		rm.Done(status, start, in, out)
		if span != nil {
			endSpan(ctx, span, name, status)
		}
		if o.access && o.log.Enabled(ctx, slog.LevelInfo) {
			principal, _ := ctx.UserValue(rest.PrincipalKey).(string)
			attrs := []slog.Attr{
				slog.String("method", string(ctx.Method())), slog.String("route", name), slog.Int("status", status),
				slog.Int("bytes_in", in), slog.Int("bytes_out", out), slog.Duration("duration", time.Since(start)),
				slog.String("remote", ctx.RemoteAddr().String()), slog.String("principal", principal),
			}
			o.log.LogAttrs(ctx, slog.LevelInfo, "request", attrs...) // tracing.LogHandler adds the trace
		}
	}
}

// endSpan names a request's server span by its route and ends it with
// what the request did: the standard HTTP attributes, the topic, the
// records it carried and, for an error, Kafka-REST's error code.
func endSpan(ctx *fasthttp.RequestCtx, span trace.Span, route string, status int) {
	span.SetName(route)
	if !span.IsRecording() {
		span.End()
		return
	}
	attrs := []attribute.KeyValue{
		attribute.String("http.request.method", string(ctx.Method())),
		attribute.String("url.path", string(ctx.Path())),
		attribute.String("http.route", route),
		attribute.Int("http.response.status_code", status),
		attribute.String("network.peer.address", ctx.RemoteIP().String()),
	}
	if topic, ok := ctx.UserValue("topic").(string); ok {
		attrs = append(attrs, attribute.String("messaging.destination.name", topic))
	}
	if n := rest.NotedRecords(ctx); n >= 0 {
		attrs = append(attrs, attribute.Int("messaging.batch.message_count", n))
	}
	if status >= 400 {
		if code, ok := errorCode(ctx.Response.Body()); ok {
			attrs = append(attrs, attribute.Int("krest.error_code", code))
		}
	}
	span.SetAttributes(attrs...)
	if status >= 500 {
		span.SetStatus(codes.Error, fasthttp.StatusMessage(status))
	}
	span.End()
}

// errorCode reads the error_code of a JSON error body (rest.WriteError's:
// it begins with it).
func errorCode(body []byte) (int, bool) {
	rest, ok := bytes.CutPrefix(body, []byte(`{"error_code":`))
	if !ok {
		return 0, false
	}
	n, i := 0, 0
	for ; i < len(rest) && i < 9 && rest[i] >= '0' && rest[i] <= '9'; i++ {
		n = n*10 + int(rest[i]-'0')
	}
	return n, i > 0
}

// gzipResponse compresses a response of at least minCompress bytes when
// the client accepts gzip and the body is not encoded or streamed yet.
func gzipResponse(ctx *fasthttp.RequestCtx) {
	if ctx.Response.IsBodyStream() {
		return // Body() would read the stream whole
	}
	body := ctx.Response.Body()
	if len(body) < minCompress || len(ctx.Response.Header.ContentEncoding()) > 0 ||
		!bytes.Contains(ctx.Request.Header.Peek(fasthttp.HeaderAcceptEncoding), []byte("gzip")) {
		return
	}
	buf := pool.GetBuffer()
	buf.B = fasthttp.AppendGzipBytesLevel(buf.B[:0], body, fasthttp.CompressDefaultCompression)
	buf.B = ctx.Response.SwapBody(buf.B)[:0]
	pool.PutBuffer(buf)
	ctx.Response.Header.SetContentEncoding("gzip")
	ctx.Response.Header.Add(fasthttp.HeaderVary, "Accept-Encoding")
}
