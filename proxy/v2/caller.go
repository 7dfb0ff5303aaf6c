package v2

import (
	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/proxy/clients"
	"github.com/krest-dev/krest/proxy/rest"
)

// kafka returns the clients of the request's caller, and the function to
// call when the request is done with them.
func (a *API) kafka(ctx *fasthttp.RequestCtx) (*clients.Set, func(), error) {
	return a.Clients.For(rest.Credentials(ctx))
}

// principal is the request's authenticated caller, "" for an open door.
func principal(ctx *fasthttp.RequestCtx) string {
	p, _ := ctx.UserValue(rest.PrincipalKey).(string)
	return p
}
