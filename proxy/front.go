package proxy

import (
	"bytes"
	"crypto/x509"
	"errors"
	"math"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/proxy/auth"
	"github.com/krest-dev/krest/proxy/identity"
	"github.com/krest-dev/krest/proxy/rest"
)

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
	p, err := door.Check(ctx, string(ctx.Path()), ctx.Request.Header.Peek(fasthttp.HeaderAuthorization), cert, ctx.RemoteIP())
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
