package proxy

import (
	"slices"
	"strings"

	"github.com/fasthttp/router"
	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/proxy/auth"
	"github.com/krest-dev/krest/proxy/metrics"
	"github.com/krest-dev/krest/proxy/policy"
	"github.com/krest-dev/krest/proxy/rest"
)

// routes mounts krest's routes through chain: the v1/v2 and v3 tables
// (their packages' Routes), the OpenAPI document of them all, and the ops
// endpoints, each with its stable name, metrics and policy. Unknown paths,
// wrong methods and panics get JSON errors. A path with a trailing slash
// is served as the path without it (no redirect), as Jersey matches them.
func routes(chain *rest.Chain, v2routes, v3routes []rest.Route, trust *peerTrust, door *auth.Door, propagate bool, pol *policy.Policy, obs *observer, ops []rest.Route) (fasthttp.RequestHandler, []rest.Route) {
	table := slices.Concat(v2routes, v3routes)
	var doc []byte
	table = append(table, openAPIRoute(&doc))
	table = append(table, ops...)
	version, _ := metrics.Build()
	doc = openAPIDocument(table, version)
	r := router.New()
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
	// OPTIONS on a known path answers 200 with Allow, as Jersey does (CORS
	// preflights are answered before routing, see observer).
	r.HandleOPTIONS = true
	r.GlobalOPTIONS = func(ctx *fasthttp.RequestCtx) { ctx.SetStatusCode(fasthttp.StatusOK) }
	r.NotFound = chain.NotFound
	r.MethodNotAllowed = chain.MethodNotAllowed
	r.PanicHandler = chain.Panic
	for i := range table {
		if strings.HasPrefix(table[i].Name, "ops.") {
			continue // probes and scrapes are never switched off or limited
		}
		sep := ""
		switch {
		case table[i].Body == rest.BodyProduce:
			sep = "."
		case table[i].Answer == rest.AnswerRecords:
			sep = "-"
		}
		table[i].Policy = pol.Endpoint(table[i].Name, sep)
		if strings.HasPrefix(table[i].Name, "api.v3.produce.") || strings.HasPrefix(table[i].Name, "api.v3.batch-produce.") {
			table[i].Policy.Unlimited() // api.v3.produce.rate.limit.* limits each record instead
		}
	}
	for _, rt := range table {
		rt.Metrics = obs.metrics.Route(rt.Name)
		h := chain.Handler(rt)
		r.Handle(rt.Method, rt.Path, h)
		if rt.Method == "GET" && rt.Answer == rest.AnswerPlain {
			// HEAD is the GET without its body (fasthttp leaves it out),
			// as Jersey answers it; reads of records are not repeated
			// for it (they would consume, or stream).
			r.Handle("HEAD", rt.Path, h)
		}
	}
	return obs.wrap(front(r.Handler, door, propagate, trust)), table
}

func route(method, path, name string, body rest.BodyKind, answer rest.Answer, version int, h rest.Handler) rest.Route {
	return rest.Route{Method: method, Path: path, Name: name, Body: body, Answer: answer, Version: version, Handler: h}
}
