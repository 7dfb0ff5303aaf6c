package rest

import (
	"bufio"
	"io"
	"net"
	"net/http/httputil"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
	"go.opentelemetry.io/otel/trace"

	"github.com/krest-dev/krest/proxy/tracing"
)

// Framing is how a streamed reply frames what it carries.
type Framing int

const (
	// FrameChunked is Transfer-Encoding: chunked: each Flush sends what
	// was written since as chunks, and Close sends the last chunk. It has
	// no heartbeat; Fail's line ends in "\r\n", as the streaming
	// produce's result lines do.
	FrameChunked Framing = iota + 1
	// FrameSSE is Server-Sent Events, unframed until the connection
	// closes: the reply opens with "retry: 1000\n\n" (how long a
	// reconnecting EventSource waits), its heartbeat is the comment
	// ":\n\n", and Fail sends an "error" event.
	FrameSSE
	// FrameNDJSON is newline-delimited JSON, unframed until the
	// connection closes: its heartbeat is an empty line, and Fail's a last
	// line.
	FrameNDJSON
)

// DefaultStreamWriteTimeout is StreamOptions.WriteTimeout's default.
const DefaultStreamWriteTimeout = 2 * time.Minute

// StreamOptions configure a StreamWriter.
type StreamOptions struct {
	Framing Framing
	// WriteTimeout bounds every write to the connection: a client that
	// reads nothing for this long is given up on (the write fails, and
	// Gone closes). Zero is DefaultStreamWriteTimeout.
	WriteTimeout time.Duration
	// Heartbeat is how long the stream may stay silent: Idle sends the
	// framing's heartbeat once nothing went out for this long. Zero sends
	// none, and so does FrameChunked.
	Heartbeat time.Duration
	// BufferSize is the size of the buffer Write fills; zero is 32 KiB.
	BufferSize int
	// WatchClient reads the connection until the client leaves, and then
	// closes Gone. Only for a reply whose request was read whole: a stream
	// that reads its request body from the connection (the streaming
	// produce) leaves it off, and learns that its client left from its
	// own reads and from Write and Flush.
	WatchClient bool
}

// StreamWriter writes one streamed reply on a hijacked connection: the
// response head, the framing, a write deadline on every write, the
// heartbeat, and the client's leaving.
//
// A StreamWriter belongs to the one goroutine that runs Stream's f (or
// that called NewStreamWriter): only it calls Write, Flush, Send, Idle,
// Fail and Close. Gone may be waited on from any goroutine, and the
// connection's read deadline (Conn) set from any goroutine, as net.Conn
// allows.
type StreamWriter struct {
	conn    net.Conn
	direct  deadlineWriter // the connection, unbuffered (Send)
	framing Framing
	out     *bufio.Writer  // to the connection: the head, and the chunk framing
	chunks  io.WriteCloser // FrameChunked: the chunk writer over out
	w       *bufio.Writer  // what Write fills: out, or a buffer over chunks
	beat    time.Duration
	last    time.Time // when something last went out
	err     error     // the first failed write; nothing is written after it

	gone     chan struct{}
	goneOnce sync.Once
	watching chan struct{} // closed when the watcher's read ends; nil without WatchClient
	span     trace.Span    // nil: tracing off
}

// Stream answers the request with a reply that streams for longer than a
// handler may run (see Hijack): once the handler returns, f gets a
// StreamWriter on the connection, with the reply's head (status and
// headers as the handler set them) buffered, and the framing's opening
// after it. The first Flush sends them. The writer is closed (Close) and
// the connection with it when f returns; f must not keep it.
//
// While tracing is on, the stream has a span of its own, the child of the
// request's server span named by its route with ".stream" (Span), ended
// by Close.
func Stream(ctx *fasthttp.RequestCtx, o StreamOptions, f func(w *StreamWriter)) {
	length := UntilClose
	if o.Framing == FrameChunked {
		length = Chunked
	}
	parent, name := Span(ctx), "stream"
	if rt, ok := ctx.UserValue(RouteKey).(*Route); ok {
		name = rt.Name + ".stream"
	}
	Hijack(ctx, length, func(c net.Conn, head []byte) {
		w := NewStreamWriter(c, head, o)
		w.span = tracing.StartStream(parent, name)
		defer w.Close()
		f(w)
	})
}

// Span is the stream's span (see Stream), nil when tracing is off.
func (w *StreamWriter) Span() trace.Span { return w.span }

// NewStreamWriter returns a writer of a streamed reply on c, with head
// (the reply's status line and headers) and the framing's opening
// buffered. Stream calls it; call it directly only on a connection
// already taken over with Hijack, with the matching framing.
func NewStreamWriter(c net.Conn, head []byte, o StreamOptions) *StreamWriter {
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = DefaultStreamWriteTimeout
	}
	if o.BufferSize <= 0 {
		o.BufferSize = 32 << 10
	}
	dw := deadlineWriter{c: c, timeout: o.WriteTimeout}
	w := &StreamWriter{conn: c, direct: dw, framing: o.Framing, beat: o.Heartbeat, gone: make(chan struct{})}
	if o.Framing == FrameChunked {
		w.out = bufio.NewWriterSize(dw, 16<<10)
		w.chunks = httputil.NewChunkedWriter(w.out)
		w.w = bufio.NewWriterSize(w.chunks, o.BufferSize)
		w.beat = 0
	} else {
		w.out = bufio.NewWriterSize(dw, o.BufferSize)
		w.w = w.out
	}
	w.out.Write(head)
	if o.Framing == FrameSSE {
		w.out.WriteString("retry: 1000\n\n")
	}
	if o.WatchClient {
		w.watching = make(chan struct{})
		go func() {
			defer close(w.watching)
			// The client sends nothing more: the read ends when it leaves
			// (or when Close sets the read deadline).
			_, _ = io.Copy(io.Discard, c)
			w.leave()
		}()
	}
	w.last = time.Now()
	return w
}

// deadlineWriter sets the write deadline before every write to the
// connection, so that a write the buffer makes by itself between two
// Flushes never meets a deadline long past.
type deadlineWriter struct {
	c       net.Conn
	timeout time.Duration
}

func (d deadlineWriter) Write(p []byte) (int, error) {
	_ = d.c.SetWriteDeadline(time.Now().Add(d.timeout))
	return d.c.Write(p)
}

// Conn is the connection: for reading a request body that arrives after
// the head, and for setting its read deadline. Write to it only through
// the StreamWriter.
func (w *StreamWriter) Conn() net.Conn { return w.conn }

// Gone is closed once the client has left: its connection's read ended
// (WatchClient), or a write to it failed.
func (w *StreamWriter) Gone() <-chan struct{} { return w.gone }

// Err is the first write that failed, nil while all went out.
func (w *StreamWriter) Err() error { return w.err }

func (w *StreamWriter) leave() { w.goneOnce.Do(func() { close(w.gone) }) }

// fail records the first failed write.
func (w *StreamWriter) fail(err error) error {
	if w.err == nil {
		w.err = err
		w.leave()
	}
	return w.err
}

// Write buffers p; it reaches the client at the next Flush, or before
// when the buffer fills. Once a write failed, every Write fails with it.
func (w *StreamWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	n, err := w.w.Write(p)
	if err != nil {
		return n, w.fail(err)
	}
	return n, nil
}

// WriteString is Write of a string.
func (w *StreamWriter) WriteString(s string) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	n, err := w.w.WriteString(s)
	if err != nil {
		return n, w.fail(err)
	}
	return n, nil
}

// Flush sends what is buffered (as chunks, for FrameChunked).
func (w *StreamWriter) Flush() error {
	if w.err != nil {
		return w.err
	}
	if w.w != w.out {
		if err := w.w.Flush(); err != nil {
			return w.fail(err)
		}
	}
	if w.out.Buffered() == 0 {
		return nil
	}
	if err := w.out.Flush(); err != nil {
		return w.fail(err)
	}
	w.last = time.Now()
	return nil
}

// Send flushes what is buffered and then writes p straight to the
// connection, and says how much of p reached it: a stream that counts
// what its client got (records delivered) counts what fits in n. With
// FrameChunked, p is one chunk and n is all or nothing.
func (w *StreamWriter) Send(p []byte) (int, error) {
	if err := w.Flush(); err != nil {
		return 0, err
	}
	if w.framing == FrameChunked {
		w.Write(p)
		if err := w.Flush(); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	n, err := w.direct.Write(p)
	if err != nil {
		return n, w.fail(err)
	}
	w.last = time.Now()
	return n, nil
}

// Idle tells the writer that its stream has nothing to send now: once
// nothing went out for the heartbeat period, it sends the heartbeat.
func (w *StreamWriter) Idle() error {
	if w.err != nil {
		return w.err
	}
	if w.beat <= 0 || time.Since(w.last) < w.beat {
		return nil
	}
	if w.framing == FrameSSE {
		w.WriteString(":\n\n") // an SSE comment
	} else {
		w.WriteString("\n")
	}
	return w.Flush()
}

// Fail ends the stream with an error, in the JSON error body
// {"error_code":…,"message":…}: an SSE "error" event, or a last line; and
// flushes it.
func (w *StreamWriter) Fail(code int, message string) error {
	if w.err != nil {
		return w.err
	}
	var b []byte
	if w.framing == FrameSSE {
		b = append(b, "event: error\ndata: "...)
	}
	b = AppendErrorBody(b, code, message)
	switch w.framing {
	case FrameSSE:
		b = append(b, "\n\n"...)
	case FrameChunked:
		b = append(b, "\r\n"...)
	default:
		b = append(b, '\n')
	}
	w.Write(b)
	return w.Flush()
}

// Close ends the reply: what is buffered goes out, and, with
// FrameChunked, the last chunk, unless a write failed before. It stops
// watching the client and waits until the watcher's read ended: fasthttp
// reuses the connection's reader once the hijack's f returns. The
// connection itself closes when Stream's f returns.
func (w *StreamWriter) Close() error {
	err := w.Flush()
	if err == nil && w.chunks != nil {
		if err = w.chunks.Close(); err == nil { // "0\r\n"
			_, err = w.out.WriteString("\r\n")
		}
		if err == nil {
			err = w.out.Flush()
		}
		if err != nil {
			w.fail(err)
		}
	}
	if w.watching != nil {
		_ = w.conn.SetReadDeadline(time.Now())
		<-w.watching
	}
	if w.span != nil {
		w.span.End()
		w.span = nil
	}
	return err
}
