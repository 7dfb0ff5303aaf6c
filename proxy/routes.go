package proxy

import (
	"bytes"
	"crypto/x509"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/fasthttp/router"
	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/proxy/auth"
	"github.com/krest-dev/krest/proxy/identity"
	"github.com/krest-dev/krest/proxy/metrics"
	"github.com/krest-dev/krest/proxy/policy"
	"github.com/krest-dev/krest/proxy/rest"
	"github.com/krest-dev/krest/proxy/v2"
)

// routes is krest's route table: every endpoint, its stable name and what
// it accepts and answers, mounted through chain. Unknown paths, wrong
// methods and panics get JSON errors. A path with a trailing slash is
// served as the path without it (no redirect), as Jersey matches them.
func routes(chain *rest.Chain, api *v2.API, v3routes []rest.Route, trust *peerTrust, door *auth.Door, propagate bool, pol *policy.Policy, obs *observer, ops []rest.Route) (fasthttp.RequestHandler, []rest.Route) {
	const (
		none     = rest.BodyNone
		produce  = rest.BodyProduce
		entity   = rest.BodyJSON
		plain    = rest.AnswerPlain
		records  = rest.AnswerRecords
		messages = rest.AnswerMessages
		inst     = "/consumers/{group}/instances/{instance}"
	)
	table := []rest.Route{
		route("GET", "/", "api.v2.root.get", none, plain, 2, api.Root),
		route("POST", "/", "api.v2.root.post", none, plain, 2, api.Root),
		route("GET", "/brokers", "api.v2.brokers.list", none, plain, 2, api.ListBrokers),
		route("GET", "/topics", "api.v2.topics.list", none, plain, 2, api.ListTopics),
		route("GET", "/topics/{topic}", "api.v2.topics.get", none, plain, 2, api.GetTopic),
		route("POST", "/topics/{topic}", "api.v2.produce-to-topic", produce, plain, 2, api.ProduceToTopic),
		route("GET", "/topics/{topic}/partitions", "api.v2.partitions.list", none, plain, 2, api.ListPartitions),
		route("GET", "/topics/{topic}/partitions/{partition}", "api.v2.partitions.get", none, plain, 2, api.GetPartition),
		route("POST", "/topics/{topic}/partitions/{partition}", "api.v2.produce-to-partition", produce, plain, 2, api.ProduceToPartition),
		route("GET", "/topics/{topic}/partitions/{partition}/offsets", "api.v2.partitions.get-offsets", none, plain, 2, api.GetPartitionOffsets),
		route("GET", "/topics/{topic}/partitions/{partition}/messages", "api.v2.partitions.read-messages", none, messages, 2, api.ReadMessages),

		route("POST", "/consumers/{group}", "api.v2.consumers.create", entity, plain, 2, api.CreateConsumer),
		route("DELETE", inst, "api.v2.consumers.delete", none, plain, 2, api.DeleteConsumer),
		route("POST", inst+"/subscription", "api.v2.consumers.subscribe", entity, plain, 2, api.Subscribe),
		route("GET", inst+"/subscription", "api.v2.consumers.get-subscription", entity, plain, 2, api.GetSubscription),
		route("DELETE", inst+"/subscription", "api.v2.consumers.unsubscribe", entity, plain, 2, api.Unsubscribe),
		route("POST", inst+"/assignments", "api.v2.consumers.assign", entity, plain, 2, api.Assign),
		route("GET", inst+"/assignments", "api.v2.consumers.get-assignments", entity, plain, 2, api.GetAssignments),
		route("POST", inst+"/positions", "api.v2.consumers.seek-to-offset", entity, plain, 2, api.Seek),
		route("POST", inst+"/positions/beginning", "api.v2.consumers.seek-to-beginning", entity, plain, 2, api.SeekToBeginning),
		route("POST", inst+"/positions/end", "api.v2.consumers.seek-to-end", entity, plain, 2, api.SeekToEnd),
		route("POST", inst+"/offsets", "api.v2.consumers.commit-offsets", entity, plain, 2, api.CommitOffsets),
		route("GET", inst+"/offsets", "api.v2.consumers.get-committed-offsets", entity, plain, 2, api.GetCommittedOffsets),
		route("GET", inst+"/records", "api.v2.consumers.consume", entity, records, 2, api.ReadRecords),
		route("GET", inst+"/topics/{topic}", "api.v1.consumers.consume-topic", entity, records, 1, api.ReadTopicV1),
	}
	for i := range table {
		table[i].Instance = strings.Contains(table[i].Path, "/instances/{instance}")
	}
	table = append(table, v3routes...)
	var doc []byte
	table = append(table, openAPIRoute(&doc))
	table = append(table, ops...)
	version, _ := metrics.Build()
	doc = openAPIDocument(table, version)
	r := router.New()
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
	// OPTIONS on a known path answers 200 with Allow, as Jersey does (CORS
	// preflights are answered before routing, see observer).
	r.HandleOPTIONS = true
	r.GlobalOPTIONS = func(ctx *fasthttp.RequestCtx) { ctx.SetStatusCode(fasthttp.StatusOK) }
	r.NotFound = chain.NotFound
	r.MethodNotAllowed = chain.MethodNotAllowed
	r.PanicHandler = chain.Panic
	for i := range table {
		if strings.HasPrefix(table[i].Name, "ops.") {
			continue // probes and scrapes are never switched off or limited
		}
		sep := ""
		switch {
		case table[i].Body == rest.BodyProduce:
			sep = "."
		case table[i].Answer == rest.AnswerRecords:
			sep = "-"
		}
		table[i].Policy = pol.Endpoint(table[i].Name, sep)
		if strings.HasPrefix(table[i].Name, "api.v3.produce.") || strings.HasPrefix(table[i].Name, "api.v3.batch-produce.") {
			table[i].Policy.Unlimited() // api.v3.produce.rate.limit.* limits each record instead
		}
	}
	for _, rt := range table {
		rt.Metrics = obs.metrics.Route(rt.Name)
		h := chain.Handler(rt)
		r.Handle(rt.Method, rt.Path, h)
		if rt.Method == "GET" && rt.Answer == rest.AnswerPlain {
			// HEAD is the GET without its body (fasthttp leaves it out),
			// as Jersey answers it; reads of records are not repeated
			// for it (they would consume, or stream).
			r.Handle("HEAD", rt.Path, h)
		}
	}
	return obs.wrap(front(r.Handler, door, propagate, trust)), table
}

// errAmbiguousLength refuses the request-smuggling shape.
var errAmbiguousLength = rest.Errorf(400, rest.CodeBadRequest, "Bad Request: Content-Length and Transfer-Encoding together make the body's length ambiguous")

// errBadForward refuses a request that claims to come from a peer and
// does not carry a valid signature.
var errBadForward = rest.Errorf(403, 403, "Forbidden: the request claims to be forwarded by a krest peer, and its signature does not check")

// failureTarpit is the longest a 429 for failed authentications is held.
const failureTarpit = time.Second

var errNoKafkaCredentials = rest.Errorf(401, 401, "Unauthorized: no Kafka credentials for this principal (authentication.propagate.credentials.location)")

// checkCaller lets the caller through door, or answers 401 (with
// WWW-Authenticate), 403 or 429 and returns false. A request that claims
// to come from a peer must prove it on every path (trust, nil when
// forwarding is off, proves nothing); the principal a peer passes on is
// then the caller's, unless credentials that came with it say otherwise,
// and goes through the same door as any other.
func checkCaller(ctx *fasthttp.RequestCtx, door *auth.Door, propagate bool, trust *peerTrust) bool {
	fwd, ok, principal := trust.verify(ctx)
	if fwd {
		if !ok {
			rest.WriteError(ctx, errBadForward)
			return false
		}
		ctx.SetUserValue(rest.ForwardedKey, true)
		if principal != "" {
			ctx.SetUserValue(rest.PrincipalKey, principal)
		}
	}
	if isOpsPath(ctx.Path()) && (ctx.IsGet() || ctx.IsHead()) {
		return true // probes and scrapes never need credentials
	}
	var cert *x509.Certificate
	if cs := ctx.TLSConnectionState(); cs != nil && len(cs.PeerCertificates) > 0 {
		cert = cs.PeerCertificates[0]
	} else if door.Open() && !(fwd && propagate && principal != "") {
		return true // the common case, decided without a call
	}
	p, err := door.Check(string(ctx.Path()), ctx.Request.Header.Peek(fasthttp.HeaderAuthorization), cert, ctx.RemoteIP())
	if err == nil {
		if p.Name == "" && fwd && principal != "" {
			// A client certificate's principal, as the peer that saw the
			// certificate says; it carries no Kafka credentials.
			if propagate {
				rest.WriteError(ctx, errNoKafkaCredentials)
				return false
			}
			return true
		}
		if p.Name != "" {
			ctx.SetUserValue(rest.PrincipalKey, p.Name)
			if propagate && p.Secret == "" {
				// Acting as krest for a caller Kafka does not know would
				// bypass the ACLs propagation is there for.
				rest.WriteError(ctx, errNoKafkaCredentials)
				return false
			}
			if propagate {
				user := p.KafkaUser
				if user == "" {
					user = p.Name
				}
				ctx.SetUserValue(rest.CredentialsKey, identity.Credentials{Principal: user, Secret: p.Secret})
			}
		}
		return true
	}
	var ae *auth.Error
	if errors.As(err, &ae) {
		rest.WriteError(ctx, rest.Errorf(ae.Status, ae.Status, "%s", ae.Msg))
		if ae.Challenge != "" {
			ctx.Response.Header.Set(fasthttp.HeaderWWWAuthenticate, ae.Challenge)
		}
		if ae.RetryAfter > 0 {
			ctx.Response.Header.Set(fasthttp.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(ae.RetryAfter.Seconds()))))
			// A client past its failure limit waits for its 429: a
			// guessing loop on a connection gets one answer a second,
			// at the cost of a sleeping goroutine, instead of as many
			// as the cores can serve.
			time.Sleep(min(ae.RetryAfter, failureTarpit))
		}
		return false
	}
	rest.WriteError(ctx, err)
	return false
}

// hasContentLength reports a Content-Length among raw request headers.
func hasContentLength(raw []byte) bool {
	lower := bytes.ToLower(raw) // only for requests with Transfer-Encoding
	return bytes.HasPrefix(lower, []byte("content-length:")) || bytes.Contains(lower, []byte("\ncontent-length:"))
}

// front runs before routing. It refuses a request that carries both
// Content-Length and Transfer-Encoding, and closes its connection, since a
// proxy in front may have framed the body differently. It gives the
// request its canonical path (rest.CanonicalPath) before anything reads
// it, so that the door, the ops-path exemption, the policy and the router
// all decide on one path, and refuses with 400 a path that has no
// unambiguous reading. It serves "/topics/t/" as "/topics/t", as Jersey
// matches them.
func front(next fasthttp.RequestHandler, door *auth.Door, propagate bool, trust *peerTrust) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		if len(ctx.Request.Header.Peek(fasthttp.HeaderTransferEncoding)) > 0 && hasContentLength(ctx.Request.Header.RawHeaders()) {
			rest.WriteError(ctx, errAmbiguousLength)
			ctx.SetConnectionClose()
			return
		}
		if !canonicalize(ctx) {
			rest.WriteError(ctx, rest.ErrAmbiguousPath)
			return
		}
		if !checkCaller(ctx, door, propagate, trust) {
			return
		}
		next(ctx)
	}
}

// canonicalize sets the request's path to its canonical form, without a
// trailing slash; false: the path has none.
func canonicalize(ctx *fasthttp.RequestCtx) bool {
	var scratch [256]byte
	uri := ctx.Request.URI()
	raw := uri.PathOriginal()
	canon, ok := rest.CanonicalPath(scratch[:0], raw)
	if !ok {
		return false
	}
	if len(canon) > 1 && canon[len(canon)-1] == '/' {
		canon = canon[:len(canon)-1]
	}
	if !bytes.Equal(canon, raw) {
		uri.SetPathBytes(canon)
	}
	return true
}

func route(method, path, name string, body rest.BodyKind, answer rest.Answer, version int, h rest.Handler) rest.Route {
	return rest.Route{Method: method, Path: path, Name: name, Body: body, Answer: answer, Version: version, Handler: h}
}
