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
	"slices"
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
	forwardSkew    = 30 * time.Second // clock difference a signature tolerates
	lookupWait     = 2 * time.Second  // catching the directory up on a miss
)

var errInstanceGone = rest.Errorf(404, rest.CodeConsumerInstanceNotFound, "Consumer instance not found.")

// forwarder passes requests for consumer instances other krests own on to
// them (rest.Forwarder), finding the owner in the directory.
type forwarder struct {
	dir      *directory.Directory
	trust    *peerTrust
	peers    []string // consumer.forwarding.peers: the only owners forwarded to (empty: any signed one)
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
	if len(f.peers) > 0 && !slices.Contains(f.peers, owner.URL) {
		f.log.WarnContext(ctx, "consumer instance owner is not in consumer.forwarding.peers; not forwarding", "group", group, "instance", name, "owner", owner.ID, "url", owner.URL)
		rest.WriteError(ctx, errInstanceGone)
		return true
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
	f.sign(ctx, &req.Header, owner)
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
	f.sign(ctx, &h, owner)
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
		// A hijacked connection's Close does nothing until this returns,
		// and fasthttp reuses its reader then: end the read above first.
		_ = c.SetReadDeadline(time.Now())
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

// sign adds the forwarded-request headers: who forwards, to which
// owner, when, a nonce, for which caller, under the deployment's secret.
func (f *forwarder) sign(ctx *fasthttp.RequestCtx, h *fasthttp.RequestHeader, owner directory.Owner) {
	principal, _ := ctx.UserValue(rest.PrincipalKey).(string)
	h.Set(headerForwarded, f.trust.sign(f.dir.Self().ID, owner.ID, string(ctx.Method()), string(ctx.RequestURI()), principal, time.Now()))
	h.Del(headerPrincipal)
	if principal != "" {
		h.Set(headerPrincipal, principal)
	}
}

// peerTrust signs and verifies forwarded requests under the secret the
// krests of a deployment share (consumer.forwarding.secret). A signature
// names the sender and the receiving owner, the method, the request URI,
// the caller's principal, the time and a nonce: it is good for one
// request, to one krest, within forwardSkew.
type peerTrust struct {
	secret []byte
	self   string // this krest's id: the owner a request must be signed for
	seen   replayCache
}

func newPeerTrust(secret []byte, self string) *peerTrust {
	return &peerTrust{secret: secret, self: self, seen: replayCache{max: maxReplayEntries}}
}

func (p *peerTrust) sign(from, to, method, uri, principal string, now time.Time) string {
	var nonce [12]byte
	_, _ = rand.Read(nonce[:])
	ts := strconv.FormatInt(now.Unix(), 10)
	n := base64.RawURLEncoding.EncodeToString(nonce[:])
	return from + " " + ts + " " + n + " " + signature(p.secret, from, to, method, uri, principal, ts, n)
}

func signature(secret []byte, parts ...string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("krest-forward-v2"))
	for _, p := range parts {
		m.Write([]byte{0})
		m.Write([]byte(p))
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// verify checks a forwarded request's headers: forwarded false means they
// are not there at all; ok false that they are there and do not check
// (forged, for another krest, stale, replayed), or that forwarding trust
// is not configured here (p nil).
func (p *peerTrust) verify(ctx *fasthttp.RequestCtx) (forwarded, ok bool, principal string) {
	raw := ctx.Request.Header.Peek(headerForwarded)
	if raw == nil && ctx.Request.Header.Peek(headerPrincipal) == nil {
		return false, true, "" // every request but a peer's: two header lookups
	}
	now := time.Now()
	if p == nil || raw == nil {
		return true, false, "" // a principal without a signature, or no trust here
	}
	parts := strings.Split(string(raw), " ")
	if len(parts) != 4 {
		return true, false, ""
	}
	ts, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || now.Sub(time.Unix(ts, 0)).Abs() > forwardSkew {
		return true, false, ""
	}
	principal = string(ctx.Request.Header.Peek(headerPrincipal))
	want := signature(p.secret, parts[0], p.self, string(ctx.Method()), string(ctx.RequestURI()), principal, parts[1], parts[2])
	if !hmac.Equal([]byte(want), []byte(parts[3])) || !p.seen.add(parts[2], now) {
		return true, false, ""
	}
	return true, true, principal
}

// maxReplayEntries bounds the nonces remembered: forwarded requests past
// it, within forwardSkew, are refused rather than remembered.
const maxReplayEntries = 1 << 20

// replayCache remembers the nonces of the forwarded requests accepted in
// the last two forwardSkew windows, so that each is accepted once.
type replayCache struct {
	max       int
	mu        sync.Mutex
	cur, prev map[string]struct{}
	since     time.Time // when cur started
}

// add records nonce, reporting false if it was already seen (or the
// cache is full).
func (c *replayCache) add(nonce string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur == nil || now.Sub(c.since) > forwardSkew {
		// Signatures older than forwardSkew are refused by their time,
		// so two windows of nonces cover every one still acceptable.
		c.prev, c.cur, c.since = c.cur, make(map[string]struct{}), now
	}
	if _, dup := c.cur[nonce]; dup {
		return false
	}
	if _, dup := c.prev[nonce]; dup || len(c.cur) >= c.max {
		return false
	}
	c.cur[nonce] = struct{}{}
	return true
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
	dir, err := directory.New(cfg.AdminOpts(), cfg.Consumers.DirectoryTopic, self, cfg.Consumers.ForwardingSecret, log, claimExisting)
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
