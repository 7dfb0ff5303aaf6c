package rest

import (
	"net"

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
