package proxy

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/proxy/config"
	"github.com/krest-dev/krest/proxy/consumer"
	"github.com/krest-dev/krest/proxy/directory"
	"github.com/krest-dev/krest/proxy/rest"
)

// Headers of a forwarded request: the sender and its signature, and the
// caller the sender authenticated.
const (
	headerForwarded = "X-Krest-Forwarded"
	headerPrincipal = "X-Krest-Principal"
)

// Bounds of forwarding.
const (
	forwardDial    = time.Second      // an owner that does not accept within this is gone
	forwardTimeout = 2 * time.Minute  // a forwarded request's whole answer
	forwardSkew    = 60 * time.Second // clock difference a signature tolerates
	lookupWait     = 2 * time.Second  // catching the directory up on a miss
)

var errInstanceGone = rest.Errorf(404, rest.CodeConsumerInstanceNotFound, "Consumer instance not found.")

// forwarder passes requests for consumer instances other krests own on to
// them (rest.Forwarder), finding the owner in the directory.
type forwarder struct {
	dir      *directory.Directory
	local    *consumer.Manager
	redirect bool
	log      *slog.Logger
	clients  sync.Map // owner URL → *fasthttp.HostClient
}

// Forward answers a request for an instance another krest owns: it passes
// the request on (or redirects to the owner), or answers 404 when the
// owner is gone, forgetting it. Requests a peer forwarded, and instances
// here or nowhere, are left to the handler.
func (f *forwarder) Forward(ctx *fasthttp.RequestCtx, body []byte) bool {
	if rest.Forwarded(ctx) {
		return false // never forwarded twice
	}
	group, err1 := rest.PathParam(ctx, "group")
	name, err2 := rest.PathParam(ctx, "instance")
	if err1 != nil || err2 != nil || f.local.Has(group, name) {
		return false
	}
	c, cancel := context.WithTimeout(context.Background(), lookupWait)
	owner, ok := f.dir.LookupFresh(c, group, name)
	cancel()
	if !ok || owner.ID == f.dir.Self().ID {
		return false
	}
	if f.redirect {
		ctx.Redirect(owner.URL+string(ctx.RequestURI()), fasthttp.StatusTemporaryRedirect)
		return true
	}
	accept := ctx.Request.Header.Peek(fasthttp.HeaderAccept)
	if o, ok := rest.Negotiate(accept, rest.AnswerRecords, 2); ok && o.Stream != rest.StreamNone && ctx.IsGet() {
		return f.relay(ctx, owner, group, name)
	}
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	ctx.Request.Header.CopyTo(&req.Header)
	req.SetRequestURIBytes(ctx.RequestURI())
	req.Header.Del(fasthttp.HeaderContentEncoding) // the chain gunzipped it
	req.Header.Del(fasthttp.HeaderTransferEncoding)
	req.SetBody(body)
	f.sign(ctx, &req.Header)
	hc := f.client(owner.URL)
	if err := hc.DoTimeout(req, resp, forwardTimeout); err != nil {
		f.gone(group, name, owner, err)
		rest.WriteError(ctx, errInstanceGone)
		return true
	}
	resp.CopyTo(&ctx.Response)
	return true
}

// relay passes a streamed read on: the owner's reply is copied to the
// client as it comes, on a connection taken over from fasthttp.
func (f *forwarder) relay(ctx *fasthttp.RequestCtx, owner directory.Owner, group, name string) bool {
	addr, tls := hostOf(owner.URL)
	if tls {
		// A stream to an https peer would need its own TLS dial; ask the
		// client to go there.
		ctx.Redirect(owner.URL+string(ctx.RequestURI()), fasthttp.StatusTemporaryRedirect)
		return true
	}
	up, err := net.DialTimeout("tcp", addr, forwardDial)
	if err != nil {
		f.gone(group, name, owner, err)
		rest.WriteError(ctx, errInstanceGone)
		return true
	}
	var h fasthttp.RequestHeader
	ctx.Request.Header.CopyTo(&h)
	h.SetRequestURIBytes(ctx.RequestURI())
	h.SetConnectionClose()
	f.sign(ctx, &h)
	head := h.Header()
	ctx.HijackSetNoResponse(true)
	ctx.Hijack(func(c net.Conn) {
		defer up.Close()
		if _, err := up.Write(head); err != nil {
			return
		}
		done := make(chan struct{})
		go func() {
			io.Copy(io.Discard, c) // the client leaving ends the relay
			up.Close()
			close(done)
		}()
		io.Copy(c, bufio.NewReaderSize(up, 64<<10))
		c.Close()
		<-done
	})
	return true
}

// gone forgets an owner that does not answer: its instances died with it.
func (f *forwarder) gone(group, name string, owner directory.Owner, err error) {
	f.log.Warn("consumer instance owner does not answer; forgetting the instance", "group", group, "instance", name, "owner", owner.ID, "url", owner.URL, "error", err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	f.dir.Release(ctx, group, name, owner)
}

func (f *forwarder) client(url string) *fasthttp.HostClient {
	if c, ok := f.clients.Load(url); ok {
		return c.(*fasthttp.HostClient)
	}
	addr, tls := hostOf(url)
	c, _ := f.clients.LoadOrStore(url, &fasthttp.HostClient{
		Addr: addr, IsTLS: tls, MaxConns: 512, MaxIdleConnDuration: 30 * time.Second,
		Dial:                          func(a string) (net.Conn, error) { return net.DialTimeout("tcp", a, forwardDial) },
		DisableHeaderNamesNormalizing: true, DisablePathNormalizing: true, NoDefaultUserAgentHeader: true,
	})
	return c.(*fasthttp.HostClient)
}

func hostOf(url string) (addr string, tls bool) {
	tls = strings.HasPrefix(url, "https://")
	addr = strings.TrimPrefix(strings.TrimPrefix(url, "https://"), "http://")
	if i := strings.IndexByte(addr, '/'); i >= 0 {
		addr = addr[:i]
	}
	return addr, tls
}

// sign adds the forwarded-request headers: who forwards, when, for which
// caller, under the peers' shared secret.
func (f *forwarder) sign(ctx *fasthttp.RequestCtx, h *fasthttp.RequestHeader) {
	principal, _ := ctx.UserValue(rest.PrincipalKey).(string)
	secrets := f.dir.Secrets()
	if len(secrets) == 0 {
		return
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	id := f.dir.Self().ID
	mac := signature(secrets[len(secrets)-1], id, string(ctx.Method()), string(ctx.RequestURI()), ts, principal)
	h.Set(headerForwarded, id+" "+ts+" "+mac)
	h.Del(headerPrincipal)
	if principal != "" {
		h.Set(headerPrincipal, principal)
	}
}

func signature(secret []byte, parts ...string) string {
	m := hmac.New(sha256.New, secret)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// verifyForwarded checks a forwarded request's signature; ok false means
// the headers are there but wrong (refused), forwarded false that they
// are not there at all.
func verifyForwarded(ctx *fasthttp.RequestCtx, dir *directory.Directory) (forwarded, ok bool, principal string) {
	raw := string(ctx.Request.Header.Peek(headerForwarded))
	if raw == "" {
		return false, true, ""
	}
	if dir == nil {
		return true, false, ""
	}
	parts := strings.Split(raw, " ")
	if len(parts) != 3 {
		return true, false, ""
	}
	ts, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || time.Since(time.Unix(ts, 0)).Abs() > forwardSkew {
		return true, false, ""
	}
	principal = string(ctx.Request.Header.Peek(headerPrincipal))
	for _, s := range dir.Secrets() {
		want := signature(s, parts[0], string(ctx.Method()), string(ctx.RequestURI()), parts[1], principal)
		if hmac.Equal([]byte(want), []byte(parts[2])) {
			return true, true, principal
		}
	}
	return true, false, ""
}

// openDirectory starts the consumer directory, which opens in the
// background (see directory.New); instances created before it is ready
// are claimed once it is. It returns nil, after saying why, when the
// directory's client cannot even be made: krest then keeps its instances
// to itself, as a single instance does.
func openDirectory(cfg *config.Config, consumers *consumer.Manager, log *slog.Logger) *directory.Directory {
	var nonce [8]byte
	_, _ = rand.Read(nonce[:])
	self := directory.Owner{ID: cfg.ID, URL: peerURL(cfg), Incarnation: hex.EncodeToString(nonce[:])}
	if self.ID == "" {
		self.ID = "krest-" + self.Incarnation
	}
	// Once the directory is read, it records the instances created meanwhile.
	claimExisting := func(dir *directory.Directory) {
		consumers.Each(func(group, name string) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := dir.Claim(ctx, group, name); err != nil {
				log.Warn("consumer directory: could not record an instance", "group", group, "instance", name, "error", err)
			}
		})
	}
	dir, err := directory.New(cfg.AdminOpts(), cfg.Consumers.DirectoryTopic, self, log, claimExisting)
	if err != nil {
		log.Warn("consumer forwarding is off: the consumer directory has no Kafka client; requests for an instance must reach the krest that created it", "topic", cfg.Consumers.DirectoryTopic, "error", err)
		return nil
	}
	consumers.OnDrop = func(group, name string) { dir.ReleaseAsync(group, name, dir.Self()) }
	return dir
}

// peerURL is where peers reach this krest: consumer.forwarding.url, else
// its first listener, with the machine's name for a wildcard host.
func peerURL(cfg *config.Config) string {
	if cfg.Consumers.ForwardingURL != "" {
		return cfg.Consumers.ForwardingURL
	}
	l := cfg.Listeners[0]
	host, port, err := net.SplitHostPort(l.Addr)
	if err != nil {
		return l.Scheme + "://" + l.Addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		if name, err := os.Hostname(); err == nil {
			host = name
		}
	}
	return l.Scheme + "://" + net.JoinHostPort(host, port)
}
