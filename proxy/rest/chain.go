package rest

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/url"
	"time"
	"unicode/utf8"

	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/codec"
	"github.com/krest-dev/krest/pool"
	"github.com/krest-dev/krest/proxy/admin"
	"github.com/krest-dev/krest/proxy/metrics"
	"github.com/krest-dev/krest/proxy/policy"
)

// KafkaTimeout bounds the Kafka and Schema Registry calls made for one
// request (metadata, offsets, commits, schema lookups).
const KafkaTimeout = 15 * time.Second

// KafkaContext returns a context for the Kafka calls of one request,
// bounded by KafkaTimeout. It is never the fasthttp.RequestCtx, which must
// not outlive its handler.
func KafkaContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), KafkaTimeout)
}

// User values set before routing: the authenticated caller (a string)
// and, when krest acts in Kafka as each caller, the caller's credentials
// (an identity.Credentials).
const (
	PrincipalKey   = "krest.principal"
	CredentialsKey = "krest.credentials"
	// RouteKey holds the *Route that served the request, set by the
	// chain for the access log and the metrics.
	RouteKey = "krest.route"
)

// Request is what the chain learnt about a request before its handler
// runs.
type Request struct {
	// Route is the route's stable name.
	Route string
	// Offer is the negotiated reply.
	Offer Offer
	// Format is the embedded format of a BodyProduce body.
	Format codec.Format
	// Body is the request body of a route that takes one, gunzipped; it
	// is valid until the handler returns.
	Body []byte
}

// Handler is an API handler: it writes a successful reply itself and
// returns any failure as an error, which the chain renders.
type Handler func(ctx *fasthttp.RequestCtx, r Request) error

// Route is one endpoint of the API.
type Route struct {
	Method, Path string
	// Name is the route's stable name, Confluent's @ResourceName
	// ("api.v2.produce-to-topic"), for logs,
	// metrics and forwarding.
	Name string
	// Body is what the route accepts as a body; Answer what it replies
	// with; Version the API version whose media types it answers with (1
	// or 2).
	Body    BodyKind
	Answer  Answer
	Version int
	Handler Handler
	// Metrics counts the route's requests (nil: not counted).
	Metrics *metrics.Route
	// Policy is the route's allow/block and rate-limit decisions (nil:
	// always let through), by embedded format.
	Policy *policy.Endpoint
	// Instance marks a route of one consumer instance, which the krest
	// that owns it must answer (Chain.Forward).
	Instance bool
}

// Forwarder passes a request for a consumer instance that another krest
// owns on to it. Forward reports whether it answered the request; false
// leaves it to the route's handler (the instance is here, or nowhere).
type Forwarder interface {
	Forward(ctx *fasthttp.RequestCtx, body []byte) bool
}

// ForwardedKey marks a request a peer forwarded (a bool user value), set
// once its signature checks: it is never forwarded again, and its rate
// limits were charged where it arrived.
const ForwardedKey = "krest.forwarded"

// Forwarded reports whether a peer forwarded the request.
func Forwarded(ctx *fasthttp.RequestCtx) bool {
	f, _ := ctx.UserValue(ForwardedKey).(bool)
	return f
}

// Chain turns routes into fasthttp handlers.
type Chain struct {
	Log *slog.Logger
	// MaxBodyBytes is request.body.max.bytes (after gunzip).
	MaxBodyBytes int
	// Memory bounds the request bodies held at once
	// (request.memory.max.bytes): a body is charged before it is read,
	// and a request that does not fit gets 429.
	Memory *pool.Budget
	// Policy applies rate limits (nil: none).
	Policy *policy.Policy
	// Forward, when set, answers requests of Instance routes for
	// instances other krests own.
	Forward Forwarder
	// ReservedTopic, when set, is a topic no route serves whatever the
	// caller's identity (krest's consumer directory): a {topic} naming it
	// is ErrReservedTopic.
	ReservedTopic string
}

// ErrReservedTopic refuses krest's own consumer directory topic on every
// route: reading it would show where instances live, writing it would
// delete their entries.
var ErrReservedTopic = Errorf(403, CodeKafkaAuthorization, "Forbidden: this topic is krest's consumer directory (consumer.directory.topic); krest does not serve it")

// errRateLimited is Confluent's answer to a request over its rate limit,
// in JSON (Confluent's DoS filter answers HTML); WriteError adds
// Retry-After.
var errRateLimited = Errorf(429, CodeTooManyRequests, "Request rate limit exceeded: The rate limit of requests per second has been exceeded.")

// admit applies rt's policy: 404 for an endpoint switched off, 429 over
// the rate limits. The format picks Confluent's per-format endpoint name
// (produce by Content-Type, consume by Accept).
func (c *Chain) admit(ctx *fasthttp.RequestCtx, rt *Route, format codec.Format) *Error {
	if rt.Policy == nil {
		return nil
	}
	if rt.Answer == AnswerRecords {
		if o, ok := Negotiate(ctx.Request.Header.Peek(fasthttp.HeaderAccept), rt.Answer, rt.Version); ok {
			format = o.Format
		}
	}
	if rt.Policy.Blocked(int(format)) {
		return ErrNotFound
	}
	if c.Policy != nil && !Forwarded(ctx) { // charged where it arrived
		client, _ := ctx.UserValue(PrincipalKey).(string)
		if client == "" {
			client = ctx.RemoteIP().String()
		}
		if !c.Policy.Allow(client, rt.Policy.Cost(int(format))) {
			return errRateLimited
		}
	}
	return nil
}

// Handler wraps rt's handler with Content-Type (415) and Accept (406)
// negotiation and error rendering.
func (c *Chain) Handler(rt Route) fasthttp.RequestHandler {
	route := &rt
	return func(ctx *fasthttp.RequestCtx) {
		ctx.SetUserValue(RouteKey, route)
		if c.ReservedTopic != "" {
			// The canonical path spells a topic name's characters as they
			// are, so the raw parameter is the name.
			if t, _ := ctx.UserValue("topic").(string); t == c.ReservedTopic {
				WriteError(ctx, ErrReservedTopic)
				if rt.Body != BodyNone {
					DrainAndClose(ctx, c.MaxBodyBytes)
				}
				return
			}
		}
		req := Request{Route: rt.Name}
		switch rt.Body {
		case BodyProduce:
			f, err := ProduceFormat(ctx.Request.Header.ContentType())
			if err != nil {
				WriteError(ctx, err)
				return
			}
			req.Format = f
		}
		if err := c.admit(ctx, route, req.Format); err != nil {
			WriteError(ctx, err)
			if rt.Body != BodyNone {
				DrainAndClose(ctx, c.MaxBodyBytes) // the body is left unread
			}
			return
		}
		if rt.Body == BodyProduce || rt.Body == BodyJSON {
			var b body
			defer b.release(c.Memory)
			if err := readBody(ctx, c.MaxBodyBytes, c.Memory, &b); err != nil {
				WriteError(ctx, err)
				DrainAndClose(ctx, c.MaxBodyBytes) // the body may be left unread
				return
			}
			req.Body = b.bytes()
		}
		if rt.Body == BodyJSON {
			if err := checkJSONBody(ctx.Request.Header.ContentType(), req.Body); err != nil {
				WriteError(ctx, err)
				return
			}
		}
		if rt.Instance && c.Forward != nil && c.Forward.Forward(ctx, req.Body) {
			return
		}
		offer, ok := Negotiate(ctx.Request.Header.Peek(fasthttp.HeaderAccept), rt.Answer, rt.Version)
		if !ok {
			WriteError(ctx, ErrNotAcceptable)
			return
		}
		req.Offer = offer
		if err := rt.Handler(ctx, req); err != nil {
			e := Map(err)
			if e.Status >= 500 {
				c.Log.Warn("request failed", "route", rt.Name, "method", string(ctx.Method()), "path", string(ctx.Path()), "status", e.Status, "error", err)
			}
			WriteError(ctx, e)
			return
		}
		if len(ctx.Response.Header.ContentType()) == 0 {
			ctx.SetContentType(offer.ContentType)
		}
	}
}

// NotFound answers paths no route has.
func (c *Chain) NotFound(ctx *fasthttp.RequestCtx) { WriteError(ctx, ErrNotFound) }

// MethodNotAllowed answers a known path with a method it lacks.
func (c *Chain) MethodNotAllowed(ctx *fasthttp.RequestCtx) { WriteError(ctx, ErrMethodNotAllowed) }

// Panic answers a request whose handler panicked, and logs it.
func (c *Chain) Panic(ctx *fasthttp.RequestCtx, v any) {
	c.Log.Error("panic in handler", "path", string(ctx.Path()), "panic", v)
	WriteError(ctx, ErrInternal)
}

// TransportError answers requests fasthttp could not read: 413 for bodies
// over request.body.max.bytes (fasthttp's default is a bare 400), 431 for
// huge headers, 408 for timeouts and 400 for the rest, all as JSON.
func (c *Chain) TransportError(ctx *fasthttp.RequestCtx, err error) {
	var e *Error
	var hdrErr *fasthttp.ErrSmallBuffer
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		e = ErrBodyTooLarge(c.MaxBodyBytes)
	case errors.As(err, &hdrErr):
		e = Errorf(431, CodeHeaderTooLarge, "Request header fields too large")
	case isTimeout(err):
		e = Errorf(408, CodeRequestTimeout, "Timed out reading the request")
	default:
		e = Errorf(400, CodeBadRequest, "Error when parsing request: %v", err)
	}
	WriteError(ctx, e)
	ctx.SetConnectionClose()
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// PathParam returns the percent-decoded value of a route parameter (the
// router matches on the raw path); a bad escape is a 404.
func PathParam(ctx *fasthttp.RequestCtx, name string) (string, error) {
	raw, _ := ctx.UserValue(name).(string)
	v, err := url.PathUnescape(raw)
	if err != nil || !utf8.ValidString(v) {
		return "", ErrNotFound // undecodable: no resource has this name
	}
	return v, nil
}

// TopicParam is the {topic} path parameter, checked against Kafka's rules
// for topic names (admin.CheckTopicName) before Kafka is asked.
func TopicParam(ctx *fasthttp.RequestCtx) (string, error) {
	topic, err := PathParam(ctx, "topic")
	if err != nil {
		return "", err
	}
	if err := admin.CheckTopicName(topic); err != nil {
		return "", err
	}
	return topic, nil
}
