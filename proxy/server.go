package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/pool"
	"github.com/krest-dev/krest/proxy/admin"
	"github.com/krest-dev/krest/proxy/auth"
	"github.com/krest-dev/krest/proxy/clients"
	"github.com/krest-dev/krest/proxy/config"
	"github.com/krest-dev/krest/proxy/consumer"
	"github.com/krest-dev/krest/proxy/directory"
	"github.com/krest-dev/krest/proxy/identity"
	"github.com/krest-dev/krest/proxy/jaas"
	"github.com/krest-dev/krest/proxy/keystore"
	"github.com/krest-dev/krest/proxy/metrics"
	"github.com/krest-dev/krest/proxy/policy"
	"github.com/krest-dev/krest/proxy/produce"
	"github.com/krest-dev/krest/proxy/rest"
	"github.com/krest-dev/krest/proxy/schema"
	"github.com/krest-dev/krest/proxy/tracing"
	"github.com/krest-dev/krest/proxy/v2"
	"github.com/krest-dev/krest/proxy/v3"
)

// Server is a krest instance: the HTTP front end and its Kafka clients.
// Create it with New, serve with Serve, stop with Shutdown. It is safe for
// concurrent use.
type Server struct {
	cfg       *config.Config
	log       *slog.Logger
	producer  *produce.Producer
	adminCl   *kgo.Client // metadata and admin; never auto-creates topics
	readCl    *kgo.Client // the stateless reads' fetches
	consumers *consumer.Manager
	http      *fasthttp.Server
	conns     *connTracker
	limit     *connLimit // shared by every listener
	door      *auth.Door
	metrics   *metrics.Metrics
	admin     *admin.Client
	schemas   *schema.Resolver
	callers   *identity.Pool[*clients.Set] // authentication.propagate
	v2        *v2.API
	dir       *directory.Directory // consumer instance owners (nil: forwarding off)
	trust     *peerTrust           // verifies forwarded requests (nil: forwarding off)
	v3        *v3.API
	table     []rest.Route    // every route served, for the OpenAPI test
	memory    *pool.Budget    // request.memory.max.bytes
	tls       *tls.Config     // https listeners; nil without one
	tracer    *tracing.Tracer // nil: tracing off

	closeOnce sync.Once
}

// New builds the Kafka clients described by cfg and the HTTP server. It
// does not contact Kafka yet; the first request does.
func New(cfg *config.Config, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	version, commit := metrics.Build()
	m := metrics.New(cfg.MetricsTopicLabels, version, commit)
	tc := cfg.Tracing
	tracer, err := tracing.New(context.Background(), tracing.Config{Endpoint: tc.Endpoint, Sampler: tc.Sampler, SamplerArg: tc.SamplerArg, ServiceName: tc.Service, Version: version})
	if err != nil {
		return nil, err
	}
	if tracer != nil {
		// A log line written with a traced request's context names its trace.
		log = slog.New(tracing.LogHandler(log.Handler()))
	}
	m.RecordErrorCodes(rest.CodeKafkaAuthentication, rest.CodeKafkaAuthorization, rest.CodeUnknownTopic,
		rest.CodePartitionNotFound, rest.CodeKafkaError, rest.CodeKafkaRetriable)
	producer, err := produce.New(append(cfg.ProducerOpts(), kgo.WithHooks(m.KafkaHooks("producer"))), produce.Options{
		BufferBytes:     cfg.ProduceBufferBytes,
		MaxBlock:        cfg.ProduceMaxBlock,
		DeliveryTimeout: cfg.ProduceDeliveryTimeout,
	})
	if err != nil {
		_ = tracer.Shutdown(context.Background())
		return nil, err
	}
	s := &Server{tracer: tracer, cfg: cfg, log: log, producer: producer, metrics: m}
	fd := cfg.FrontDoor
	if s.door, err = auth.NewDoor(auth.Config{
		Method: fd.Method, Realm: fd.Realm, Roles: fd.Roles, SkipPaths: fd.SkipPaths, JAASFile: fd.JAASFile,
		PrincipalRules: fd.PrincipalRules, KafkaCredentialsFile: fd.PropagateCredentials, OnFailure: m.AuthFailures.Inc,
		Failures: auth.Throttle{PerSecond: fd.FailuresPerSecond, Burst: fd.FailuresBurst},
		Bearer: auth.BearerConfig{
			JWKSURL: fd.Bearer.JWKSURL, PublicKeyFile: fd.Bearer.PublicKeyFile, Issuer: fd.Bearer.Issuer,
			Audience: fd.Bearer.Audience, PrincipalClaim: fd.Bearer.PrincipalClaim, RolesClaim: fd.Bearer.RolesClaim,
			Leeway: fd.Bearer.Leeway,
		},
	}, log); err != nil {
		producer.Close()
		return nil, err
	}
	if fd.SSL != nil {
		if s.tls, err = keystore.Server(fd.SSL, time.Now()); err != nil {
			producer.Close()
			return nil, err
		}
		s.tls.ClientAuth = map[string]tls.ClientAuthType{
			"NONE": tls.NoClientCert, "REQUESTED": tls.VerifyClientCertIfGiven, "REQUIRED": tls.RequireAndVerifyClientCert,
		}[fd.ClientAuth]
	}
	if s.adminCl, err = kgo.NewClient(append(cfg.AdminOpts(), kgo.WithHooks(m.KafkaHooks("admin")))...); err != nil {
		s.Close()
		return nil, fmt.Errorf("kafka admin client: %w", err)
	}
	consumerHooks := kgo.WithHooks(m.KafkaHooks("consumer"))
	if s.readCl, err = kgo.NewClient(append(cfg.ConsumerOpts(), consumerHooks)...); err != nil {
		s.Close()
		return nil, fmt.Errorf("kafka read client: %w", err)
	}
	adm := admin.New(s.adminCl)
	s.consumers = consumer.NewManager(cfg, adm.Kadm(), log)
	s.consumers.AddClientOpts(consumerHooks)
	switch {
	case cfg.Consumers.Forwarding == "off":
	case len(cfg.Consumers.ForwardingSecret) == 0:
		log.Warn("consumer forwarding is off: set consumer.forwarding.secret (the same on every krest of the deployment) so that krests can trust each other; until then a consumer instance must be called on the krest that created it")
	default:
		s.dir = openDirectory(cfg, s.consumers, log)
	}
	schemas, err := schema.NewResolver(cfg.SchemaRegistryURL, cfg.SchemaRegistry)
	if err != nil {
		s.Close()
		return nil, err
	}
	s.admin, s.schemas = adm, schemas
	s.registerGauges()
	memory := pool.NewBudget(cfg.RequestMemoryBytes)
	var callers *identity.Pool[*clients.Set]
	if fd.Propagate {
		callers = identity.NewPool(s.callerKafka, func(k *clients.Set) { k.Close() }, fd.PropagateClients, fd.PropagateIdle)
		s.callers = callers
	}
	s.memory = memory
	fetcher := consumer.NewFetcher(s.readCl)
	api := &v2.API{
		Metrics:   m,
		Memory:    memory,
		Clients:   &clients.Picker{Own: &clients.Set{Producer: producer, Admin: adm, Fetcher: fetcher}, Callers: callers},
		Config:    cfg,
		Consumers: s.consumers,
		Schemas:   schemas,
		Directory: s.dir,
	}
	adm.OnDelete = api.Clients.PurgeTopic
	v3rl := cfg.V3Produce.RateLimit
	s.v2 = api
	s.v3 = &v3.API{
		ProduceLimits: policy.NewProduceLimits(policy.ProduceConfig{
			Enabled: v3rl.Enabled, Requests: v3rl.Requests, RequestsGlobal: v3rl.RequestsGlobal,
			Bytes: v3rl.Bytes, BytesGlobal: v3rl.BytesGlobal, Expiry: v3rl.Expiry,
		}),
		Config: cfg, Clients: api.Clients, Consumers: s.consumers, Schemas: schemas, Metrics: m, Memory: memory,
	}
	chain := &rest.Chain{Log: log, MaxBodyBytes: cfg.MaxRequestBytes, Memory: memory}
	if cfg.Consumers.Forwarding != "off" {
		chain.ReservedTopic = cfg.Consumers.DirectoryTopic
	}
	if s.dir != nil {
		s.trust = newPeerTrust(cfg.Consumers.ForwardingSecret, s.dir.Self().ID)
		chain.Forward = &forwarder{dir: s.dir, trust: s.trust, peers: cfg.Consumers.ForwardingPeers, local: s.consumers, redirect: cfg.Consumers.Forwarding == "redirect", log: log}
	}
	rl := cfg.RateLimit
	pol := policy.New(policy.Config{
		Allow: cfg.Endpoints.Allow, Block: cfg.Endpoints.Block, Disabled: cfg.Endpoints.Disabled,
		RateLimit: rl.Enabled, Global: rl.Global, PerClient: rl.PerClient, DefaultCost: rl.DefaultCost, Costs: rl.Costs, Timeout: rl.Timeout,
	})
	if rl.Enabled {
		chain.Policy = pol
	}
	s.conns = newConnTracker()
	s.limit = &connLimit{max: cfg.MaxConnections, perIP: cfg.MaxConnectionsPerIP, byIP: map[string]int{}}
	handler, table := routes(chain, api.Routes(), s.v3.Routes(), s.trust, s.door, fd.Propagate, pol,
		&observer{metrics: m, log: log, access: cfg.AccessLog, compress: cfg.Compression, unmatched: m.Route("unmatched"), cors: cfg.CORS, tracer: s.tracer},
		s.opsRoutes())
	s.table = table
	s.http = &fasthttp.Server{
		Handler:            s.conns.handler(handler),
		ConnState:          s.conns.state,
		Name:               "krest",
		MaxRequestBodySize: cfg.MaxRequestBytes,
		// Bodies are read by the chain, charged to the request memory
		// budget first, never buffered by fasthttp beforehand.
		StreamRequestBody: true,
		ReadBufferSize:    16 << 10, // also the header size limit
		IdleTimeout:       cfg.IdleTimeout,
		// ReadTimeout runs from a new connection's accept, or from a
		// keep-alive request's first byte, to the end of its headers;
		// HeaderReceived then gives the body its own deadline.
		ReadTimeout: cfg.HeaderTimeout,
		HeaderReceived: func(*fasthttp.RequestHeader) fasthttp.RequestConfig {
			return fasthttp.RequestConfig{ReadTimeout: cfg.BodyTimeout}
		},
		// A client that asks before sending its body is refused before
		// 100 Continue when the body cannot fit now: it never sends it.
		ExpectHandler: func(ctx *fasthttp.RequestCtx) int {
			n := ctx.Request.Header.ContentLength()
			switch {
			case n > cfg.MaxRequestBytes:
				rest.WriteError(ctx, rest.ErrBodyTooLarge(cfg.MaxRequestBytes))
				return fasthttp.StatusRequestEntityTooLarge
			case n > 0 && memory.Used() > 0 && memory.Used()+int64(n) > cfg.RequestMemoryBytes:
				rest.WriteError(ctx, rest.ErrBusy)
				return fasthttp.StatusTooManyRequests
			}
			return fasthttp.StatusContinue
		},
		WriteTimeout:                 2 * time.Minute,
		CloseOnShutdown:              true,
		NoDefaultContentType:         true,
		ErrorHandler:                 chain.TransportError,
		Logger:                       fasthttpLogger{log},
		DisablePreParseMultipartForm: true,
	}
	return s, nil
}

// callerKafka builds the Kafka clients of one caller (authentication.
// propagate): krest's client settings with the caller's own SASL
// credentials; its producer shares krest's produce budget.
func (s *Server) callerKafka(c identity.Credentials) (*clients.Set, error) {
	mech, err := jaas.CallerMechanism(s.cfg.FrontDoor.PropagateMechanism, c.Principal, c.Secret)
	if err != nil {
		return nil, err
	}
	p, err := produce.New(append(s.cfg.ProducerOptsAs(mech), kgo.WithHooks(s.metrics.KafkaHooks("producer"))), produce.Options{
		BufferBytes: s.cfg.ProduceBufferBytes, Budget: s.producer.Budget(),
		MaxBlock: s.cfg.ProduceMaxBlock, DeliveryTimeout: s.cfg.ProduceDeliveryTimeout,
	})
	if err != nil {
		return nil, err
	}
	adminCl, err := kgo.NewClient(append(s.cfg.AdminOptsAs(mech), kgo.WithHooks(s.metrics.KafkaHooks("admin")))...)
	if err != nil {
		p.Close()
		return nil, err
	}
	consumerOpts := append(s.cfg.ConsumerOptsAs(mech), kgo.WithHooks(s.metrics.KafkaHooks("consumer")))
	readCl, err := kgo.NewClient(consumerOpts...)
	if err != nil {
		p.Close()
		adminCl.Close()
		return nil, err
	}
	adm := admin.New(adminCl)
	adm.OnDelete = s.v2.Clients.PurgeTopic
	return &clients.Set{
		Producer: p, Admin: adm, Fetcher: consumer.NewFetcher(readCl), ConsumerOpts: consumerOpts,
		Close: func() { p.Close(); adminCl.Close(); readCl.Close() },
	}, nil
}

// Listen opens a listener of cfg.Listeners: TCP, with the connection
// limits and the retry of accepts on resource exhaustion, and TLS for an
// https one. Serve it.
func (s *Server) Listen(l config.Listener) (net.Listener, error) {
	ln, err := net.Listen("tcp", l.Addr)
	if err != nil {
		return nil, err
	}
	return s.wrap(ln, l.Scheme == "https")
}

func (s *Server) wrap(ln net.Listener, https bool) (net.Listener, error) {
	var out net.Listener = &retryListener{Listener: ln, log: s.log, limit: s.limit}
	if https {
		if s.tls == nil {
			ln.Close()
			return nil, errors.New("an https listener needs the ssl.keystore.* keys")
		}
		out = tls.NewListener(out, s.tls)
	}
	return servingListener{out}, nil
}

// servingListener marks a listener that Listen prepared.
type servingListener struct{ net.Listener }

// Serve accepts HTTP connections on ln until Shutdown: a listener of
// Listen, or a plain one, which gets the connection limits and the retry
// of accepts (running out of file descriptors does not end it; accepting
// backs off and retries, as net/http's server does).
func (s *Server) Serve(ln net.Listener) error {
	if _, ok := ln.(servingListener); !ok {
		var err error
		if ln, err = s.wrap(ln, false); err != nil {
			return err
		}
	}
	return s.http.Serve(ln)
}

// ErrNotFlushed is Shutdown's error when records accepted from clients
// were still not acknowledged by Kafka at the deadline.
var ErrNotFlushed = errors.New("records not flushed to Kafka")

// Shutdown stops accepting connections and drops at once those not inside
// a handler (idle ones, and partial requests), lets in-flight requests
// finish, flushes what the producer still holds and closes the Kafka
// clients, all within ctx's deadline: a produce request still waiting for
// Kafka shortly before it is answered 50003, as at its delivery timeout.
// It returns an error wrapping ErrNotFlushed, with their number, when
// records were left unacknowledged.
func (s *Server) Shutdown(ctx context.Context) error {
	s.conns.dropIdle()
	if deadline, ok := ctx.Deadline(); ok {
		// Leave a tenth of the grace (at most a second) for the answers
		// to go out and the producer to flush.
		margin := min(time.Until(deadline)/10, time.Second)
		stop := time.AfterFunc(time.Until(deadline)-margin, s.producer.Abandon)
		defer stop.Stop()
	}
	err := errors.Join(s.v3.EndStreams(ctx), s.http.ShutdownWithContext(ctx))
	s.closeOnce.Do(func() {
		s.consumers.Close() // leave groups, committing what auto-commit owes
		if ferr := s.producer.Flush(ctx); ferr != nil {
			if n := s.producer.Buffered(); n > 0 {
				ferr = fmt.Errorf("%w: %d records accepted from clients were not acknowledged by Kafka at the shutdown deadline (%v)", ErrNotFlushed, n, ferr)
			} else {
				ferr = fmt.Errorf("flushing producer: %w", ferr)
			}
			err = errors.Join(err, ferr)
		}
		s.closeClients()
	})
	return err
}

// Close releases the Kafka clients without waiting; for tests and start-up
// failures.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		if s.consumers != nil {
			s.consumers.Close()
		}
		s.closeClients()
	})
}

func (s *Server) closeClients() {
	if s.door != nil {
		s.door.Close()
	}
	if s.dir != nil {
		s.dir.Close()
	}
	if s.callers != nil {
		s.callers.Close()
	}
	s.producer.Close()
	if s.tracer != nil {
		// What the batcher holds is exported, for at most a few seconds.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := s.tracer.Shutdown(ctx); err != nil {
			s.log.Warn("tracing: exporting the last spans failed", "error", err)
		}
		cancel()
	}
	for _, cl := range []*kgo.Client{s.adminCl, s.readCl} {
		if cl != nil {
			cl.Close()
		}
	}
}

type fasthttpLogger struct{ log *slog.Logger }

func (l fasthttpLogger) Printf(format string, args ...any) {
	l.log.Debug(fmt.Sprintf(format, args...))
}
