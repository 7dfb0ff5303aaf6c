package rest

import (
	"io"
	"net"
	"time"

	"github.com/valyala/fasthttp"
)

// Body framings of a hijacked reply (fasthttp's Content-Length values).
const (
	// Chunked frames the reply as Transfer-Encoding: chunked.
	Chunked = -1
	// UntilClose sends the reply unframed; the connection's close ends it
	// (Server-Sent Events and NDJSON streams).
	UntilClose = -2
)

// Hijack takes the connection over once the handler returns, for a reply
// that streams for longer than a handler may run: f gets the connection
// and the reply's head (status line and headers, as the handler set them
// in ctx.Response, with what the middleware adds after it, such as CORS)
// ready to write. framing is Chunked or UntilClose. The connection closes
// when f returns.
//
// fasthttp's own stream writer is not used: it is not waited for when a
// write fails, so anything it still reads or writes after that races with
// the connection's next use.
func Hijack(ctx *fasthttp.RequestCtx, framing int, f func(c net.Conn, head []byte)) {
	ctx.Response.Header.SetContentLength(framing)
	ctx.Response.Header.SetServer("krest")
	ctx.Response.Header.SetConnectionClose()
	ctx.HijackSetNoResponse(true)
	ctx.Hijack(func(c net.Conn) {
		// fasthttp keeps ctx until this returns and uses it nowhere else
		// meanwhile: its head is read here, once, and ctx never after.
		head := ctx.Response.Header.AppendBytes(nil)
		f(c, head)
	})
}

// lingerTime bounds how long a refused request's unread body is drained.
const lingerTime = 5 * time.Second

// DrainAndClose sends the reply the handler set, with Connection: close,
// and then reads and discards what is left of the request body (at most
// max bytes, for at most lingerTime) before the connection closes. A
// connection closed with unread bytes in its receive queue ends in a TCP
// reset, and a reset that reaches the client before it has read the reply
// destroys the reply: a client refused before its body was read (429 over
// request.memory.max.bytes, a rate limit) would see a broken connection
// instead of the answer. Nothing read is kept or charged.
func DrainAndClose(ctx *fasthttp.RequestCtx, max int) {
	stream := ctx.RequestBodyStream()
	ctx.Response.Header.SetConnectionClose()
	ctx.HijackSetNoResponse(true)
	ctx.Hijack(func(c net.Conn) {
		// As in Hijack: ctx is read here, once, with what the middleware
		// added after the handler.
		body := ctx.Response.Body()
		ctx.Response.Header.SetContentLength(len(body))
		head := ctx.Response.Header.AppendBytes(nil)
		_ = c.SetWriteDeadline(time.Now().Add(lingerTime))
		if _, err := c.Write(append(head, body...)); err != nil || stream == nil {
			return
		}
		_ = c.SetReadDeadline(time.Now().Add(lingerTime))
		_, _ = io.Copy(io.Discard, io.LimitReader(stream, int64(max)))
	})
}
