package v3

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net"
	"net/http/httputil"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/pool"
	"github.com/krest-dev/krest/proxy/admin"
	"github.com/krest-dev/krest/proxy/clients"
	"github.com/krest-dev/krest/proxy/rest"
)

// Errors of the streaming produce, as Confluent words them.
var (
	errStreamTooLarge = rest.Errorf(400, rest.CodeBadRequest, "Error processing message: Produce request size is larger than allowed threshold")
	errStreamTooLong  = rest.Errorf(408, rest.CodeRequestTimeout, "Streaming connection open for longer than allowed: Connection will be closed.")
	// errProduceRateLimited is a record over api.v3.produce.rate.limit.*.
	errProduceRateLimited = rest.Errorf(429, rest.CodeTooManyRequests, "Request rate limit exceeded: The rate limit of requests per second has been exceeded.")
	errBadCharset         = rest.Errorf(400, rest.CodeBadRequest, "Unsupported charset in Content-Type header. Supports \"UTF-8\" and \"ISO-8859-1\".")
)

// smallStream is the largest Content-Length body ProduceRecords reads
// whole and answers on a normal (keep-alive) reply; larger bodies, and
// chunked ones of unknown length, are streamed.
const smallStream = 256 << 10

// ProduceRecords is POST …/topics/{topic}/records: Confluent's streaming
// produce. The body is a sequence of JSON records, read as it arrives;
// each record is sent to Kafka as soon as it is parsed, and its result is
// written, in input order, as soon as Kafka answers, each followed by
// "\r\n", on a 200 chunked reply. One request can carry records for
// hours; memory stays bounded because a stream holds at most
// api.v3.produce.stream.max.in.flight records, and stops reading while
// the client does not read its results. Any cluster id is accepted.
//
// A stream takes the connection over from fasthttp (Hijack): its reader
// and writer outlive the handler, which fasthttp's own stream writer
// cannot safely do while the request body is still being read. The
// connection closes when the stream ends. A body with a Content-Length of
// at most 256 KiB is read whole and answered on an ordinary keep-alive
// reply instead, with the same results.
func (a *API) ProduceRecords(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	topic, err := rest.TopicParam(ctx)
	if err != nil {
		return err
	}
	if err := admin.CheckWritable(topic); err != nil {
		return err
	}
	if err := checkStreamType(ctx.Request.Header.ContentType()); err != nil {
		return err
	}
	cluster, err := rest.PathParam(ctx, "cluster")
	if err != nil {
		return err
	}
	if a.closing.Load() {
		return errShuttingDown
	}
	var body io.Reader = ctx.RequestBodyStream()
	n := ctx.Request.Header.ContentLength()
	var whole *pool.Buffer
	if body == nil { // a server without StreamRequestBody, as in tests
		whole = pool.GetBuffer()
		defer pool.PutBuffer(whole)
		whole.B = append(whole.B[:0], ctx.Request.Body()...)
	} else if n >= 0 && n <= smallStream {
		if a.Memory != nil && !a.Memory.TryAcquire(int64(n)) {
			rest.DrainAndClose(ctx, a.Config.MaxRequestBytes)
			return rest.Errorf(429, rest.CodeTooManyRequests, "Request memory budget exhausted (request.memory.max.bytes): retry later")
		}
		if a.Memory != nil {
			defer a.Memory.Release(int64(n))
		}
		whole = pool.GetBuffer()
		defer pool.PutBuffer(whole)
		whole.B = append(whole.B[:0], make([]byte, n)...)
		if _, err := io.ReadFull(body, whole.B); err != nil {
			ctx.SetConnectionClose()
			return rest.Errorf(400, rest.CodeBadRequest, "Error reading the request: %v", err)
		}
	}
	gzipped := bytes.EqualFold(bytes.TrimSpace(ctx.Request.Header.ContentEncoding()), []byte("gzip"))
	var data []byte // a body read whole, parsed where it is
	if whole != nil {
		data = whole.B
		if gzipped {
			zr, err := gzip.NewReader(bytes.NewReader(whole.B))
			if err != nil {
				ctx.SetConnectionClose()
				return rest.Errorf(400, rest.CodeBadRequest, "Bad Request: invalid gzip body: %v", err)
			}
			body, data, gzipped = zr, nil, false
		}
	}
	// A chunked body is read straight from the hijacked connection
	// (fasthttp has read none of it yet), in large reads.
	chunked := n == -1 && ctx.RequestBodyStream() != nil
	kc, release, err := a.Clients.For(rest.Credentials(ctx))
	if err != nil {
		return err
	}
	cfg := a.Config
	s := &stream{
		b: builder{a: a, topic: topic, traceparent: rest.TraceParent(ctx), tracestate: rest.TraceState(ctx)}, kc: kc, release: release, cluster: cluster, body: body, whole: data,
		idle: cfg.IdleTimeout, maxBytes: cfg.V3Produce.MaxStreamBytes,
		maxRecord: cfg.MaxRequestBytes, mem: a.Memory, start: time.Now(),
		maxDuration: cfg.V3Produce.MaxDuration, grace: cfg.V3Produce.Grace,
		chunks: make(chan *chunk, min(cfg.V3Produce.InFlight, maxQueuedChunks)),
		window: make(chan struct{}, cfg.V3Produce.InFlight), gzipped: gzipped,
	}
	if whole != nil {
		// The reply is written before the handler returns, so the body
		// read whole outlives its parse.
		ctx.SetStatusCode(fasthttp.StatusOK)
		ctx.SetContentType(rest.MediaJSON)
		s.run(bufio.NewWriterSize(ctx, 4<<10)) // ctx.Write appends to the reply
		return nil
	}
	// A stream's records are charged to the memory budget from their
	// read until their result is written, so that streams whose clients
	// do not read their results cannot hold memory past it.
	s.recordMem, s.maxBlock = a.Memory, cfg.ProduceMaxBlock
	a.streams.Add(1)
	a.live.Store(s, struct{}{})
	ctx.SetStatusCode(fasthttp.StatusOK)
	ctx.SetContentType(rest.MediaJSON)
	rest.Stream(ctx, rest.StreamOptions{Framing: rest.FrameChunked}, func(w *rest.StreamWriter) {
		defer a.streams.Done()
		defer a.live.Delete(s)
		a.produceStreams.Add(1)
		defer a.produceStreams.Add(-1)
		c := w.Conn()
		if chunked {
			s.body = httputil.NewChunkedReader(bufio.NewReaderSize(c, chunkedReadSize))
		}
		s.mu.Lock()
		s.conn = c
		s.mu.Unlock()
		if a.closing.Load() {
			s.stop()
		}
		s.run(w)
	})
	return nil
}

// chunkedReadSize is the read buffer of a chunked stream: a few large
// reads instead of many small ones.
const chunkedReadSize = 256 << 10

// errShuttingDown refuses new streams during shutdown.
var errShuttingDown = rest.Errorf(503, rest.CodeUnavailable, "krest is shutting down")

// EndStreams stops every stream from reading further records, and waits
// until each has answered the records it read, or ctx ends. New streams
// are refused from now on.
func (a *API) EndStreams(ctx context.Context) error {
	a.closing.Store(true)
	a.live.Range(func(k, _ any) bool {
		k.(*stream).stop()
		return true
	})
	done := make(chan struct{})
	go func() {
		a.streams.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// checkStreamType accepts application/json (or no type) in UTF-8 or
// ISO-8859-1, as Confluent's stream reader does.
func checkStreamType(ct []byte) error {
	base, params, _ := bytes.Cut(ct, []byte(";"))
	base = bytes.TrimSpace(base)
	if len(base) > 0 && !bytes.EqualFold(base, []byte(rest.MediaJSON)) {
		return rest.ErrUnsupportedMediaType
	}
	for p := range bytes.SplitSeq(params, []byte(";")) {
		name, value, _ := bytes.Cut(p, []byte("="))
		if !bytes.EqualFold(bytes.TrimSpace(name), []byte("charset")) {
			continue
		}
		v := bytes.Trim(bytes.TrimSpace(value), `"`)
		if !bytes.EqualFold(v, []byte("utf-8")) && !bytes.EqualFold(v, []byte("iso-8859-1")) {
			return errBadCharset
		}
	}
	return nil
}

// stream is one streaming produce. Its reader goroutine (read) parses
// records into chunks, one per read of the connection, and starts each
// chunk's produce call; run answers the chunks in input order.
type stream struct {
	b       builder
	kc      *clients.Set
	release func()
	cluster string
	body    io.Reader
	whole   []byte // a body read whole (body is then unused)
	gzipped bool   // body is gzip: read opens it
	mu      sync.Mutex
	conn    net.Conn // nil for a body read whole; net.Conn's deadlines are safe from any goroutine
	idle    time.Duration

	maxBytes    int64 // 0: no cap
	maxRecord   int
	mem         *pool.Budget
	recordMem   *pool.Budget  // charged per record in flight (streams; nil for a body read whole, charged whole)
	maxBlock    time.Duration // how long a record waits for recordMem
	start       time.Time
	maxDuration time.Duration
	grace       time.Duration

	chunks  chan *chunk   // in input order
	window  chan struct{} // a token per record read and not yet answered: api.v3.produce.stream.max.in.flight
	cur     *chunk        // the chunk the reader fills
	stopped atomic.Bool
	out     []byte
}

// maxQueuedChunks bounds a stream's queue of chunks (the window bounds
// their records).
const maxQueuedChunks = 256

// resultWriter is where a stream's results go: a buffer over the reply of
// a body read whole, or the streamed reply (rest.StreamWriter: chunks, a
// write deadline on every write).
type resultWriter interface {
	io.Writer
	Flush() error
}

// run answers the stream's records in input order on w, and reports
// whether the client got them all.
func (s *stream) run(w resultWriter) bool {
	defer s.release()
	go s.read()
	broken := false
	for c := range s.chunks {
		if broken {
			s.done(c)
			continue
		}
		if c.call != nil {
			if !c.call.Ready() {
				// Nothing more is ready: what is written goes out now.
				if w.Flush() != nil {
					broken = true
					s.stop()
					s.done(c)
					continue
				}
			}
			c.call.Wait()
		}
		for i := range c.entries {
			e := &c.entries[i]
			s.out = appendResult(s.out[:0], s.cluster, c, e)
			if refused, failed := c.outcome(e); refused == nil && failed == nil {
				s.b.a.count(s.b.topic, &c.b.Records[e.rec])
			}
			if _, err := w.Write(s.out); err != nil {
				broken = true
				s.stop()
				break
			}
		}
		s.done(c)
	}
	if !broken {
		broken = w.Flush() != nil
	}
	return !broken
}

// done lets go of an answered (or dropped) chunk: its records' room in
// the window, its memory and its batch. A chunk whose call was not waited
// for is recycled once kgo has let go of its records.
func (s *stream) done(c *chunk) {
	for range c.entries {
		<-s.window
	}
	putChunk(c)
}

// stop makes the reader stop at its next read.
func (s *stream) stop() {
	s.stopped.Store(true)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		_ = s.conn.SetReadDeadline(time.Now())
	}
}
