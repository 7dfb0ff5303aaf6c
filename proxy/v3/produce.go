package v3

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net"
	"os"
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
	errBadCharset     = rest.Errorf(400, rest.CodeBadRequest, "Unsupported charset in Content-Type header. Supports \"UTF-8\" and \"ISO-8859-1\".")
)

// ProduceRecords is POST …/topics/{topic}/records: Confluent's streaming
// produce. The body is a sequence of JSON records, read as it arrives;
// each record is sent to Kafka as soon as it is parsed, and its result is
// written, in input order, as soon as Kafka answers, each followed by
// "\r\n", on a 200 chunked reply. One request can carry records for
// hours; memory stays bounded because a stream holds at most
// api.v3.produce.stream.max.in.flight records, and stops reading while
// the client does not read its results. Any cluster id is accepted.
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
	kc, release, err := a.Clients.For(ctx)
	if err != nil {
		return err
	}
	var body io.Reader = ctx.RequestBodyStream()
	if body == nil { // a server without StreamRequestBody, as in tests
		body = bytes.NewReader(ctx.Request.Body())
	}
	if bytes.EqualFold(bytes.TrimSpace(ctx.Request.Header.ContentEncoding()), []byte("gzip")) {
		zr, err := gzip.NewReader(body)
		if err != nil {
			release()
			return rest.Errorf(400, rest.CodeBadRequest, "Bad Request: invalid gzip body: %v", err)
		}
		body = zr
	}
	cfg := a.Config
	s := &stream{
		b: builder{a: a, topic: topic}, kc: kc, release: release, cluster: cluster, body: body,
		conn: ctx.Conn(), idle: cfg.IdleTimeout, maxBytes: cfg.V3Produce.MaxStreamBytes,
		maxRecord: cfg.MaxRequestBytes, mem: a.Memory, start: time.Now(),
		maxDuration: cfg.V3Produce.MaxDuration, grace: cfg.V3Produce.Grace,
		slots: make(chan *slot, cfg.V3Produce.InFlight),
	}
	// The stream writer below owns the connection's deadlines from now
	// on: the server's own would end a long stream.
	_ = ctx.SetWriteDeadline(time.Time{})
	_ = ctx.SetReadDeadline(time.Now().Add(s.idle))
	ctx.SetStatusCode(fasthttp.StatusOK)
	ctx.SetContentType(rest.MediaJSON)
	ctx.SetBodyStreamWriter(s.run)
	return nil
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
	conn    net.Conn // for deadlines: net.Conn's methods are safe to call from any goroutine
	idle    time.Duration

	maxBytes    int64 // 0: no cap
	maxRecord   int
	mem         *pool.Budget
	start       time.Time
	maxDuration time.Duration
	grace       time.Duration

	slots   chan *slot // in input order
	stopped atomic.Bool
	out     []byte
}

// writeTimeout bounds each flush of results to the client.
const writeTimeout = 2 * time.Minute

// run answers the stream's records in input order (fasthttp's stream
// writer: w goes to the client as chunks).
func (s *stream) run(w *bufio.Writer) {
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
				if s.flush(w) != nil {
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
		_ = s.flush(w)
	}
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

func (s *stream) flush(w *bufio.Writer) error {
	if w.Buffered() == 0 {
		return nil
	}
	_ = s.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	return w.Flush()
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
	putSlot(sl)
}

// stop makes the reader stop at its next read.
func (s *stream) stop() {
	s.stopped.Store(true)
	_ = s.conn.SetReadDeadline(time.Now())
}

// readStep is how much the reader asks of the connection at a time.
const readStep = 32 << 10

// read parses the body into records and sends them, until the body ends,
// fails or the stream is stopped. It closes s.slots when done.
func (s *stream) read() {
	defer close(s.slots)
	buf := pool.GetBuffer()
	defer pool.PutBuffer(buf)
	var charged int64
	defer func() {
		if s.mem != nil {
			s.mem.Release(charged)
		}
	}()
	sc := newObjectScanner()
	var total int64
	for !s.stopped.Load() {
		for {
			start, end, st := sc.next(buf.B)
			if st == scanMore {
				break
			}
			if st == scanBad {
				s.refuse(rest.Errorf(400, rest.CodeBadRequest, "Unexpected character (%s) at offset %d: expected a JSON object", strconv.QuoteRune(rune(buf.B[end-1])), total-int64(len(buf.B)-end)-1))
				return
			}
			if !s.record(buf.B[start:end]) {
				return
			}
		}
		// Drop what is parsed.
		keep := sc.pending()
		if keep < 0 {
			keep = sc.pos
		}
		if keep > 0 {
			n := copy(buf.B, buf.B[keep:])
			buf.B = buf.B[:n]
			sc.shift(keep)
		}
		if len(buf.B) > s.maxRecord {
			s.refuse(rest.ErrBodyTooLarge(s.maxRecord))
			return
		}
		if cap(buf.B)-len(buf.B) < readStep {
			grow := int64(max(cap(buf.B), readStep))
			if s.mem != nil && !s.mem.TryAcquire(grow) {
				s.refuse(rest.Errorf(429, rest.CodeTooManyRequests, "Request memory budget exhausted (request.memory.max.bytes): retry later"))
				return
			}
			charged += grow
			buf.Grow(readStep)
		}
		now := time.Now()
		if elapsed := now.Sub(s.start); elapsed > s.maxDuration+s.grace {
			return
		}
		_ = s.conn.SetReadDeadline(minTime(now.Add(s.idle), s.start.Add(s.maxDuration+s.grace)))
		n, err := s.body.Read(buf.B[len(buf.B):cap(buf.B)])
		buf.B = buf.B[:len(buf.B)+n]
		total += int64(n)
		if s.maxBytes > 0 && total > s.maxBytes {
			s.refuse(errStreamTooLarge)
			return
		}
		if err != nil {
			if errors.Is(err, io.EOF) && sc.pending() >= 0 {
				// Scan what the last read brought first.
				for {
					start, end, st := sc.next(buf.B)
					if st != scanObject {
						break
					}
					if !s.record(buf.B[start:end]) {
						return
					}
				}
				if sc.pending() >= 0 {
					s.refuse(rest.Errorf(400, rest.CodeBadRequest, "Unexpected end-of-input: the last record is incomplete"))
				}
				return
			}
			if errors.Is(err, io.EOF) {
				for {
					start, end, st := sc.next(buf.B)
					if st == scanBad {
						s.refuse(rest.Errorf(400, rest.CodeBadRequest, "Unexpected character at the end of the stream: expected a JSON object"))
						return
					}
					if st != scanObject {
						break
					}
					if !s.record(buf.B[start:end]) {
						return
					}
				}
			}
			if !errors.Is(err, io.EOF) && !errors.Is(err, os.ErrDeadlineExceeded) && !s.stopped.Load() {
				s.refuse(rest.Errorf(400, rest.CodeBadRequest, "Error reading the request: %v", err))
			}
			return
		}
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// record builds and sends one record, and queues its slot; false ends the
// stream.
func (s *stream) record(raw []byte) bool {
	sl := getSlot()
	if time.Since(s.start) > s.maxDuration {
		sl.fail = errStreamTooLong
		s.slots <- sl
		return true // refused until the grace period ends the stream
	}
	var err error
	sl.buf, err = s.b.build(raw, false, &sl.rec, sl.buf, &sl.key, &sl.value)
	if err != nil {
		sl.fail = err
		s.slots <- sl
		return true
	}
	sl.sent = time.Now()
	if err := s.kc.Producer.Send(&sl.rec, sl); err != nil {
		sl.fail = err
	}
	s.slots <- sl
	return true
}

// refuse answers one last error result and ends the stream.
func (s *stream) refuse(err error) {
	sl := getSlot()
	sl.fail = err
	s.slots <- sl
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
