package rest

import (
	"github.com/bytedance/sonic"
	"github.com/valyala/fasthttp"
)

// Entities writes one API version's JSON response entities. The versions
// marshal alike but for what shows in the bytes, which the configuration
// decides: v3 escapes <, > and & and sorts map keys (sonic.ConfigStd), v2
// does neither (sonic.ConfigDefault). Safe for concurrent use.
type Entities struct {
	JSON sonic.API
	// ContentType is the reply's Content-Type; empty leaves the one the
	// route negotiated (Chain sets it after the handler).
	ContentType string
}

// Write answers v: its JSON as the body, with status (0 leaves the status
// as set). Nothing is set when v does not marshal.
func (e Entities) Write(ctx *fasthttp.RequestCtx, status int, v any) error {
	b, err := e.JSON.Marshal(v)
	if err != nil {
		return err
	}
	if status != 0 {
		ctx.SetStatusCode(status)
	}
	if e.ContentType != "" {
		ctx.SetContentType(e.ContentType)
	}
	ctx.SetBody(b)
	return nil
}
