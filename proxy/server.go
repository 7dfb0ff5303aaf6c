package proxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"sync"
	"time"

	"github.com/fasthttp/router"
	"github.com/klauspost/compress/gzip"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"
	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/pool"
	"github.com/krest-dev/krest/proxy/config"
	"github.com/krest-dev/krest/proxy/consumer"
	"github.com/krest-dev/krest/proxy/registry"
)

// adminTimeout bounds every metadata/admin call to Kafka made for a request.
const adminTimeout = 15 * time.Second

// Server is a krest instance: the HTTP front end and its Kafka client.
// Create it with New, serve with Serve, stop with Shutdown. It is safe for
// concurrent use.
type Server struct {
	cfg       *config.Config
	log       *slog.Logger
	kafka     *kgo.Client // produces
	adminCl   *kgo.Client // metadata and admin; never auto-creates topics
	admin     *kadm.Client
	producer  *producer
	consumers *consumer.Manager
	registry  *registry.Client // nil without schema.registry.url
	http      *fasthttp.Server

	closeOnce sync.Once
}

// New connects the shared Kafka client described by cfg and builds the HTTP
// server. It does not contact Kafka yet; the first request does.
func New(cfg *config.Config, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	budget := pool.NewBudget(cfg.ProduceBufferBytes)
	opts := append(cfg.ProducerOpts(),
		kgo.RecordPartitioner(newRequestPartitioner()),
		// krest's own produce budget bounds buffered records; kgo's limits
		// sit above it so that Produce never blocks a handler.
		kgo.MaxBufferedBytes(int(min(2*cfg.ProduceBufferBytes, 1<<40))),
		kgo.MaxBufferedRecords(int(min(cfg.ProduceBufferBytes/recordOverhead+1, 1<<30))),
	)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafka client: %w", err)
	}
	adminCl, err := kgo.NewClient(cfg.AdminOpts()...)
	if err != nil {
		cl.Close()
		return nil, fmt.Errorf("kafka admin client: %w", err)
	}
	s := &Server{
		cfg:      cfg,
		log:      log,
		kafka:    cl,
		adminCl:  adminCl,
		admin:    kadm.NewClient(adminCl),
		producer: &producer{cl: cl, budget: budget, maxBlock: cfg.ProduceMaxBlock, timeout: cfg.ProduceDeliveryTimeout},
	}
	s.consumers = consumer.NewManager(cfg, s.admin, log)
	if cfg.SchemaRegistryURL != "" {
		var opts []sr.ClientOpt
		if r := cfg.SchemaRegistry; r.BasicAuthUser != "" {
			opts = append(opts, sr.BasicAuth(r.BasicAuthUser, r.BasicAuthPassword))
		} else if r.BearerToken != "" {
			opts = append(opts, sr.BearerToken(r.BearerToken))
		}
		if s.registry, err = registry.New(cfg.SchemaRegistryURL, compileSchema, cfg.SchemaRegistry.Timeout, cfg.SchemaRegistry.TLS, opts...); err != nil {
			s.Close()
			return nil, err
		}
	}
	s.http = &fasthttp.Server{
		Handler:                      s.routes(),
		Name:                         "krest",
		MaxRequestBodySize:           cfg.MaxRequestBytes,
		ReadBufferSize:               16 << 10, // also the header size limit
		IdleTimeout:                  cfg.IdleTimeout,
		ReadTimeout:                  2 * time.Minute,
		WriteTimeout:                 2 * time.Minute,
		CloseOnShutdown:              true,
		NoDefaultContentType:         true,
		ErrorHandler:                 s.transportError,
		Logger:                       fasthttpLogger{log},
		DisablePreParseMultipartForm: true,
	}
	return s, nil
}

// Serve accepts HTTP connections on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	return s.http.Serve(ln)
}

// Shutdown stops accepting connections, waits for in-flight requests (each
// produce request waits for its broker acknowledgements), flushes anything
// the producer still holds and closes the Kafka client. ctx bounds the wait.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.http.ShutdownWithContext(ctx)
	s.closeOnce.Do(func() {
		s.consumers.Close() // leave groups, committing what auto-commit owes
		if ferr := s.kafka.Flush(ctx); ferr != nil && err == nil {
			err = fmt.Errorf("flushing producer: %w", ferr)
		}
		s.kafka.Close()
		s.adminCl.Close()
	})
	return err
}

// Close releases the Kafka client without waiting; for tests and start-up
// failures.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.consumers.Close()
		s.kafka.Close()
		s.adminCl.Close()
	})
}

// routes builds the router: Confluent's v2 paths (which are also the v1
// paths), with JSON errors for unknown paths, wrong methods and panics.
func (s *Server) routes() fasthttp.RequestHandler {
	r := router.New()
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
	r.HandleOPTIONS = false
	r.NotFound = func(ctx *fasthttp.RequestCtx) { writeError(ctx, errNotFound) }
	r.MethodNotAllowed = func(ctx *fasthttp.RequestCtx) { writeError(ctx, errMethodNotAllowed) }
	r.PanicHandler = func(ctx *fasthttp.RequestCtx, v any) {
		s.log.Error("panic in handler", "path", string(ctx.Path()), "panic", v)
		writeError(ctx, errInternal)
	}

	r.GET("/", s.api(s.root))
	r.POST("/", s.api(s.root))
	r.GET("/brokers", s.api(s.listBrokers))
	r.GET("/topics", s.api(s.listTopics))
	r.GET("/topics/{topic}", s.api(s.getTopic))
	r.POST("/topics/{topic}", s.api(s.produceToTopic))
	r.GET("/topics/{topic}/partitions", s.api(s.listPartitions))
	r.GET("/topics/{topic}/partitions/{partition}", s.api(s.getPartition))
	r.POST("/topics/{topic}/partitions/{partition}", s.api(s.produceToPartition))
	r.GET("/topics/{topic}/partitions/{partition}/offsets", s.api(s.getPartitionOffsets))
	r.GET("/topics/{topic}/partitions/{partition}/messages", s.api(s.readMessages))

	r.POST("/consumers/{group}", s.api(s.createConsumer))
	const inst = "/consumers/{group}/instances/{instance}"
	r.DELETE(inst, s.api(s.deleteConsumer))
	r.POST(inst+"/subscription", s.api(s.subscribe))
	r.GET(inst+"/subscription", s.api(s.getSubscription))
	r.DELETE(inst+"/subscription", s.api(s.unsubscribe))
	r.POST(inst+"/assignments", s.api(s.assign))
	r.GET(inst+"/assignments", s.api(s.getAssignments))
	r.POST(inst+"/positions", s.api(s.seek))
	r.POST(inst+"/positions/beginning", s.api(s.seekToBeginning))
	r.POST(inst+"/positions/end", s.api(s.seekToEnd))
	r.POST(inst+"/offsets", s.api(s.commitOffsets))
	r.GET(inst+"/offsets", s.api(s.getCommittedOffsets))
	r.GET(inst+"/records", s.api(s.readRecords))
	r.GET(inst+"/topics/{topic}", s.api(s.readTopicV1)) // v1
	return r.Handler
}

// handlerFunc is an API handler: it writes a successful reply itself and
// returns any failure as an error for api to render.
type handlerFunc func(ctx *fasthttp.RequestCtx) error

// api wraps h with Accept negotiation (406 when no type krest answers with
// is acceptable) and error rendering.
func (s *Server) api(h handlerFunc) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		mt, ok := negotiate(ctx.Request.Header.Peek(fasthttp.HeaderAccept))
		if !ok {
			writeError(ctx, errNotAcceptable)
			return
		}
		if err := h(ctx); err != nil {
			e := apiError(err)
			if e.Status >= 500 {
				s.log.Warn("request failed", "method", string(ctx.Method()), "path", string(ctx.Path()), "status", e.Status, "error", err)
			}
			writeError(ctx, e)
			return
		}
		if len(ctx.Response.Header.ContentType()) == 0 {
			ctx.SetContentType(mt)
		}
	}
}

// transportError answers requests fasthttp could not read: 413 for bodies
// over request.body.max.bytes (fasthttp's default is a bare 400), 431 for
// huge headers, 408 for timeouts and 400 for the rest, all as JSON.
func (s *Server) transportError(ctx *fasthttp.RequestCtx, err error) {
	var e *Error
	var hdrErr *fasthttp.ErrSmallBuffer
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		e = errBodyTooLarge(s.cfg.MaxRequestBytes)
	case errors.As(err, &hdrErr):
		e = newError(431, 431, "Request header fields too large")
	case isTimeout(err):
		e = newError(408, 408, "Timed out reading the request")
	default:
		e = newError(400, 400, "Error when parsing request: %v", err)
	}
	writeError(ctx, e)
	ctx.SetConnectionClose()
}

func errBodyTooLarge(limit int) *Error {
	return newError(413, 413, "Request body is larger than request.body.max.bytes (%d bytes)", limit)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// requestBody returns the request body, gunzipped when the request says
// Content-Encoding: gzip, and never longer than request.body.max.bytes. The
// returned slice is valid until release is called (and never after the
// handler returns).
func (s *Server) requestBody(ctx *fasthttp.RequestCtx) (body []byte, release func(), err error) {
	enc := bytes.TrimSpace(ctx.Request.Header.ContentEncoding())
	switch {
	case len(enc) == 0, bytes.EqualFold(enc, []byte("identity")):
		return ctx.PostBody(), func() {}, nil
	case !bytes.EqualFold(enc, []byte("gzip")):
		return nil, nil, newError(415, 415, "Unsupported Content-Encoding %q: krest accepts gzip and identity", enc)
	}
	zr, zerr := gzip.NewReader(bytes.NewReader(ctx.PostBody()))
	if zerr != nil {
		return nil, nil, newError(400, 400, "Bad Request: invalid gzip body: %v", zerr)
	}
	defer zr.Close()
	buf := pool.GetBuffer()
	limit := s.cfg.MaxRequestBytes
	for {
		buf.Grow(32 << 10)
		n, rerr := zr.Read(buf.B[len(buf.B):cap(buf.B)])
		buf.B = buf.B[:len(buf.B)+n]
		if len(buf.B) > limit {
			pool.PutBuffer(buf)
			return nil, nil, errBodyTooLarge(limit)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			pool.PutBuffer(buf)
			return nil, nil, newError(400, 400, "Bad Request: invalid gzip body: %v", rerr)
		}
	}
	return buf.B, func() { pool.PutBuffer(buf) }, nil
}

// pathParam returns the percent-decoded value of a route parameter (the
// router matches on the raw path).
func pathParam(ctx *fasthttp.RequestCtx, name string) (string, error) {
	raw, _ := ctx.UserValue(name).(string)
	v, err := url.PathUnescape(raw)
	if err != nil {
		return "", newError(404, 404, "HTTP 404 Not Found")
	}
	return v, nil
}

type fasthttpLogger struct{ log *slog.Logger }

func (l fasthttpLogger) Printf(format string, args ...any) {
	l.log.Debug(fmt.Sprintf(format, args...))
}
