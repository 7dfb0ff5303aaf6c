package v2

import (
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/proxy/admin"
	"github.com/krest-dev/krest/proxy/consumer"
	"github.com/krest-dev/krest/proxy/identity"
	"github.com/krest-dev/krest/proxy/produce"
	"github.com/krest-dev/krest/proxy/rest"
)

// Kafka are the Kafka clients a request runs with: krest's own, or the
// caller's when krest acts in Kafka as each caller.
type Kafka struct {
	Producer *produce.Producer
	Admin    *admin.Client
	Fetcher  *consumer.Fetcher
	// ConsumerOpts are the options of the caller's consumer instances
	// (with its credentials); nil for krest's own.
	ConsumerOpts []kgo.Opt
	// Close closes a caller's clients (nil for krest's own).
	Close func()
}

// kafka returns the clients of the request's caller, and the function to
// call when the request is done with them.
func (a *API) kafka(ctx *fasthttp.RequestCtx) (*Kafka, func(), error) {
	if a.Callers != nil {
		if c, ok := ctx.UserValue(rest.CredentialsKey).(identity.Credentials); ok {
			return a.Callers.Acquire(c)
		}
	}
	a.ownOnce.Do(func() { a.own = &Kafka{Producer: a.Producer, Admin: a.Admin, Fetcher: a.Fetcher} })
	return a.own, noRelease, nil
}

func noRelease() {}

// principal is the request's authenticated caller, "" for an open door.
func principal(ctx *fasthttp.RequestCtx) string {
	p, _ := ctx.UserValue(rest.PrincipalKey).(string)
	return p
}
