package proxy

import (
	"bytes"
	"crypto/x509"
	"errors"

	"github.com/fasthttp/router"
	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/proxy/auth"
	"github.com/krest-dev/krest/proxy/identity"
	"github.com/krest-dev/krest/proxy/rest"
	"github.com/krest-dev/krest/proxy/v2"
)

// routes is krest's route table: every endpoint, its stable name and what
// it accepts and answers, mounted through chain. Unknown paths, wrong
// methods and panics get JSON errors. A path with a trailing slash is
// served as the path without it (no redirect), as Jersey matches them.
func routes(chain *rest.Chain, api *v2.API, door *auth.Door, propagate bool) fasthttp.RequestHandler {
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
		route("GET", "/", "v2.root", none, plain, 2, api.Root),
		route("POST", "/", "v2.root", none, plain, 2, api.Root),
		route("GET", "/brokers", "v2.list_brokers", none, plain, 2, api.ListBrokers),
		route("GET", "/topics", "v2.list_topics", none, plain, 2, api.ListTopics),
		route("GET", "/topics/{topic}", "v2.get_topic", none, plain, 2, api.GetTopic),
		route("POST", "/topics/{topic}", "v2.produce_topic", produce, plain, 2, api.ProduceToTopic),
		route("GET", "/topics/{topic}/partitions", "v2.list_partitions", none, plain, 2, api.ListPartitions),
		route("GET", "/topics/{topic}/partitions/{partition}", "v2.get_partition", none, plain, 2, api.GetPartition),
		route("POST", "/topics/{topic}/partitions/{partition}", "v2.produce_partition", produce, plain, 2, api.ProduceToPartition),
		route("GET", "/topics/{topic}/partitions/{partition}/offsets", "v2.get_partition_offsets", none, plain, 2, api.GetPartitionOffsets),
		route("GET", "/topics/{topic}/partitions/{partition}/messages", "v1.read_messages", none, messages, 2, api.ReadMessages),

		route("POST", "/consumers/{group}", "v2.create_consumer", entity, plain, 2, api.CreateConsumer),
		route("DELETE", inst, "v2.delete_consumer", none, plain, 2, api.DeleteConsumer),
		route("POST", inst+"/subscription", "v2.subscribe", entity, plain, 2, api.Subscribe),
		route("GET", inst+"/subscription", "v2.get_subscription", entity, plain, 2, api.GetSubscription),
		route("DELETE", inst+"/subscription", "v2.unsubscribe", entity, plain, 2, api.Unsubscribe),
		route("POST", inst+"/assignments", "v2.assign", entity, plain, 2, api.Assign),
		route("GET", inst+"/assignments", "v2.get_assignments", entity, plain, 2, api.GetAssignments),
		route("POST", inst+"/positions", "v2.seek", entity, plain, 2, api.Seek),
		route("POST", inst+"/positions/beginning", "v2.seek_to_beginning", entity, plain, 2, api.SeekToBeginning),
		route("POST", inst+"/positions/end", "v2.seek_to_end", entity, plain, 2, api.SeekToEnd),
		route("POST", inst+"/offsets", "v2.commit_offsets", entity, plain, 2, api.CommitOffsets),
		route("GET", inst+"/offsets", "v2.get_committed_offsets", entity, plain, 2, api.GetCommittedOffsets),
		route("GET", inst+"/records", "v2.read_records", entity, records, 2, api.ReadRecords),
		route("GET", inst+"/topics/{topic}", "v1.read_topic", entity, records, 1, api.ReadTopicV1),
	}
	r := router.New()
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
	r.HandleOPTIONS = false
	r.NotFound = chain.NotFound
	r.MethodNotAllowed = chain.MethodNotAllowed
	r.PanicHandler = chain.Panic
	for _, rt := range table {
		r.Handle(rt.Method, rt.Path, chain.Handler(rt))
	}
	return front(r.Handler, door, propagate)
}

// errAmbiguousLength refuses the request-smuggling shape.
var errAmbiguousLength = rest.Errorf(400, rest.CodeBadRequest, "Bad Request: Content-Length and Transfer-Encoding together make the body's length ambiguous")

var errNoKafkaCredentials = rest.Errorf(401, 401, "Unauthorized: no Kafka credentials for this principal (authentication.propagate.credentials.location)")

// checkCaller lets the caller through door, or answers 401 (with
// WWW-Authenticate) or 403 and returns false.
func checkCaller(ctx *fasthttp.RequestCtx, door *auth.Door, propagate bool) bool {
	var cert *x509.Certificate
	if cs := ctx.TLSConnectionState(); cs != nil && len(cs.PeerCertificates) > 0 {
		cert = cs.PeerCertificates[0]
	} else if door.Open() {
		return true // the common case, decided without a call
	}
	p, err := door.Check(string(ctx.Path()), ctx.Request.Header.Peek(fasthttp.HeaderAuthorization), cert, ctx.RemoteAddr().String())
	if err == nil {
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
// proxy in front may have framed the body differently. It serves
// "/topics/t/" as "/topics/t"; only one slash is dropped, so "/topics/t//"
// stays unknown, as in Jersey.
func front(next fasthttp.RequestHandler, door *auth.Door, propagate bool) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		if len(ctx.Request.Header.Peek(fasthttp.HeaderTransferEncoding)) > 0 && hasContentLength(ctx.Request.Header.RawHeaders()) {
			rest.WriteError(ctx, errAmbiguousLength)
			ctx.SetConnectionClose()
			return
		}
		if !checkCaller(ctx, door, propagate) {
			return
		}
		if p := ctx.Path(); len(p) > 1 && p[len(p)-1] == '/' && p[len(p)-2] != '/' {
			ctx.URI().SetPathBytes(p[:len(p)-1])
		}
		next(ctx)
	}
}

func route(method, path, name string, body rest.BodyKind, answer rest.Answer, version int, h rest.Handler) rest.Route {
	return rest.Route{Method: method, Path: path, Name: name, Body: body, Answer: answer, Version: version, Handler: h}
}
