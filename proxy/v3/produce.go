package v3

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net"
	"net/http/httputil"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/codec"
	"github.com/krest-dev/krest/pool"
	"github.com/krest-dev/krest/proxy/admin"
	"github.com/krest-dev/krest/proxy/clients"
	"github.com/krest-dev/krest/proxy/produce"
	"github.com/krest-dev/krest/proxy/rest"
)

// slot is one record of a stream on its way: built, sent, and answered in
// input order. Slots are pooled; a slot whose record kgo may still hold
// (abandoned at the delivery deadline) is left to the garbage collector.
type slot struct {
	rec        kgo.Record
	buf        []byte // the record's key, value and header bytes
	key, value side
	fail       error         // the record was refused before Kafka
	err        error         // Kafka's outcome
	done       chan struct{} // receives once the outcome is in
	sent       time.Time
	abandoned  bool
	charged    int64        // bytes of request.memory.max.bytes held until the result is written
	mem        *pool.Budget // where charged goes back
}

// Delivered is the record's outcome (produce.Promise).
func (s *slot) Delivered(_ *kgo.Record, err error) {
	s.err = err
	s.done <- struct{}{}
}

// maxPooledSlotBytes keeps slots that carried a huge record out of the
// pool.
const maxPooledSlotBytes = 64 << 10

var slots = sync.Pool{New: func() any { return &slot{done: make(chan struct{}, 1)} }}

func getSlot() *slot {
	s := slots.Get().(*slot)
	s.buf = s.buf[:0]
	s.fail, s.err, s.abandoned = nil, nil, false
	s.key, s.value = side{}, side{}
	return s
}

func putSlot(s *slot) {
	if s.abandoned || cap(s.buf) > maxPooledSlotBytes {
		return
	}
	s.rec = kgo.Record{Headers: s.rec.Headers[:0]}
	clear(s.rec.Headers[:cap(s.rec.Headers)])
	slots.Put(s)
}

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
	if body == nil { // a server without StreamRequestBody, as in tests
		body = bytes.NewReader(ctx.Request.Body())
	}
	n := ctx.Request.Header.ContentLength()
	var whole *pool.Buffer
	if n >= 0 && n <= smallStream {
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
		body = bytes.NewReader(whole.B)
	}
	gzipped := bytes.EqualFold(bytes.TrimSpace(ctx.Request.Header.ContentEncoding()), []byte("gzip"))
	if gzipped && whole != nil {
		zr, err := gzip.NewReader(body)
		if err != nil {
			ctx.SetConnectionClose()
			return rest.Errorf(400, rest.CodeBadRequest, "Bad Request: invalid gzip body: %v", err)
		}
		body, gzipped = zr, false
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
		b: builder{a: a, topic: topic}, kc: kc, release: release, cluster: cluster, body: body,
		idle: cfg.IdleTimeout, maxBytes: cfg.V3Produce.MaxStreamBytes,
		maxRecord: cfg.MaxRequestBytes, mem: a.Memory, start: time.Now(),
		maxDuration: cfg.V3Produce.MaxDuration, grace: cfg.V3Produce.Grace,
		slots: make(chan *slot, cfg.V3Produce.InFlight), gzipped: gzipped,
	}
	if whole != nil {
		ctx.SetStatusCode(fasthttp.StatusOK)
		ctx.SetContentType(rest.MediaJSON)
		s.run(bufio.NewWriterSize(ctx, 4<<10), nil) // ctx.Write appends to the reply
		return nil
	}
	// A stream's records are charged to the memory budget from their
	// read until their result is written, so that streams whose clients
	// do not read their results cannot hold memory past it.
	s.slotMem, s.maxBlock = a.Memory, cfg.ProduceMaxBlock
	a.streams.Add(1)
	a.live.Store(s, struct{}{})
	ctx.SetStatusCode(fasthttp.StatusOK)
	ctx.SetContentType(rest.MediaJSON)
	rest.Hijack(ctx, rest.Chunked, func(c net.Conn, head []byte) {
		defer a.streams.Done()
		defer a.live.Delete(s)
		a.produceStreams.Add(1)
		defer a.produceStreams.Add(-1)
		if chunked {
			s.body = httputil.NewChunkedReader(bufio.NewReaderSize(c, chunkedReadSize))
		}
		s.serve(c, head, a.closing.Load())
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

// serve runs a stream on its hijacked connection: the response head, the
// results as chunks, and the last chunk.
func (s *stream) serve(c net.Conn, head []byte, closing bool) {
	s.mu.Lock()
	s.conn = c
	s.mu.Unlock()
	if closing {
		s.stop()
	}
	bw := bufio.NewWriterSize(c, 16<<10)
	bw.Write(head)
	cw := httputil.NewChunkedWriter(bw)
	w := bufio.NewWriterSize(cw, 32<<10)
	if s.run(w, bw) {
		_ = w.Flush()
		_ = cw.Close()
		_, _ = bw.WriteString("\r\n")
		_ = c.SetWriteDeadline(time.Now().Add(writeTimeout))
		_ = bw.Flush()
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

// stream is one streaming produce. Its reader goroutine parses records and
// sends them; run, fasthttp's stream writer, answers them in order.
type stream struct {
	b       builder
	kc      *clients.Set
	release func()
	cluster string
	body    io.Reader
	gzipped bool // body is gzip: read opens it
	mu      sync.Mutex
	conn    net.Conn // nil for a body read whole; net.Conn's deadlines are safe from any goroutine
	idle    time.Duration

	maxBytes    int64 // 0: no cap
	maxRecord   int
	mem         *pool.Budget
	slotMem     *pool.Budget  // charged per record in flight (streams; nil for a body read whole, charged whole)
	maxBlock    time.Duration // how long a record waits for slotMem
	start       time.Time
	maxDuration time.Duration
	grace       time.Duration

	slots   chan *slot // in input order
	stopped atomic.Bool
	out     []byte
}

// writeTimeout bounds each flush of results to the client.
const writeTimeout = 2 * time.Minute

// run answers the stream's records in input order on w, which under, if
// set, carries to the connection, and reports whether the client got them
// all.
func (s *stream) run(w, under *bufio.Writer) bool {
	defer s.release()
	go s.read()
	p := s.kc.Producer
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	broken := false
	for sl := range s.slots {
		if broken {
			s.drop(sl)
			continue
		}
		if sl.fail == nil {
			select {
			case <-sl.done:
			default:
				// Nothing more is ready: what is written goes out now.
				if s.flush(w, under) != nil {
					broken = true
					s.stop()
					s.drop(sl)
					continue
				}
				s.wait(sl, timer, p)
			}
		}
		if sl.fail == nil && sl.err == nil {
			s.b.a.count(s.b.topic, sl)
		}
		s.out = appendResult(s.out[:0], s.cluster, sl)
		if _, err := w.Write(s.out); err != nil {
			broken = true
			s.stop()
		}
		s.finish(sl)
	}
	if !broken {
		broken = s.flush(w, under) != nil
	}
	return !broken
}

// wait waits for sl's outcome until the delivery deadline.
func (s *stream) wait(sl *slot, timer *time.Timer, p *produce.Producer) {
	timer.Reset(max(time.Until(sl.sent.Add(p.DeliveryTimeout())), 0))
	defer timer.Stop()
	select {
	case <-sl.done:
	case <-timer.C:
		sl.err, sl.abandoned = produce.ErrNotAcknowledged, true
	case <-p.Abandoned():
		sl.err, sl.abandoned = produce.ErrNotAcknowledged, true
	}
}

func (s *stream) flush(w, under *bufio.Writer) error {
	if err := w.Flush(); err != nil || under == nil || under.Buffered() == 0 {
		return err
	}
	_ = s.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	return under.Flush()
}

// drop lets go of a slot whose result will not be written.
func (s *stream) drop(sl *slot) {
	if sl.fail == nil {
		select {
		case <-sl.done:
		default:
			sl.abandoned = true // kgo still holds it
		}
	}
	s.finish(sl)
}

func (s *stream) finish(sl *slot) {
	if sl.charged > 0 {
		sl.mem.Release(sl.charged)
		sl.charged, sl.mem = 0, nil
	}
	putSlot(sl)
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

// appendResult appends a record's result line.
func appendResult(dst []byte, cluster string, sl *slot) []byte {
	err := sl.fail
	code, msg := 0, ""
	switch {
	case err != nil:
		code, msg = failure(err)
	case sl.err != nil:
		code, msg = deliveryFailure(sl.err)
	}
	if code != 0 {
		dst = append(dst, `{"error_code":`...)
		dst = strconv.AppendInt(dst, int64(code), 10)
		dst = append(dst, `,"message":`...)
		dst = codec.AppendQuote(dst, msg)
		return append(dst, "}\r\n"...)
	}
	dst = append(dst, `{"error_code":200,`...)
	dst = appendSuccess(dst, cluster, &sl.rec, &sl.key, &sl.value)
	return append(dst, "\r\n"...)
}
