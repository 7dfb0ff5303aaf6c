package rest

import (
	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/proxy/identity"
)

// Credentials returns the Kafka credentials of the request's caller, set
// before routing when krest acts in Kafka as each caller; false: krest
// acts as itself. Its results are what clients.Picker.For takes.
func Credentials(ctx *fasthttp.RequestCtx) (identity.Credentials, bool) {
	c, ok := ctx.UserValue(CredentialsKey).(identity.Credentials)
	return c, ok
}
