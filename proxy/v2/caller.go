package v2

import (
	"context"

	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/proxy/clients"
	"github.com/krest-dev/krest/proxy/rest"
)

// kafka returns the clients of the request's caller, and the function to
// call when the request is done with them.
func (a *API) kafka(ctx *fasthttp.RequestCtx) (*clients.Set, func(), error) {
	return a.Clients.For(rest.Credentials(ctx))
}

// call is one request's view of Kafka: the caller's clients and a context
// for the Kafka calls, bounded by rest.KafkaTimeout. end releases it.
type call struct {
	kc      *clients.Set
	release func()
	c       context.Context
	cancel  context.CancelFunc
}

func (cl *call) end() {
	cl.cancel()
	cl.release()
}

// begin starts a call for the request's caller; the handler defers its
// end.
func (a *API) begin(ctx *fasthttp.RequestCtx) (call, error) {
	kc, release, err := a.kafka(ctx)
	if err != nil {
		return call{}, err
	}
	c, cancel := rest.KafkaContext()
	return call{kc: kc, release: release, c: c, cancel: cancel}, nil
}

// principal is the request's authenticated caller, "" for an open door.
func principal(ctx *fasthttp.RequestCtx) string {
	p, _ := ctx.UserValue(rest.PrincipalKey).(string)
	return p
}
