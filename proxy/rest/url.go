package rest

import (
	"net"

	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/proxy/config"
)

// BaseURL is the scheme and authority of the absolute URLs krest puts in
// replies (consumer base_uri, v3 links), as Confluent's UrlFactory builds
// them: the request's scheme, and the first advertised listener of that
// scheme, else host.name with the first listener's port, else the
// request's Host.
func BaseURL(ctx *fasthttp.RequestCtx, cfg *config.Config) string {
	scheme := "http"
	if ctx.IsTLS() {
		scheme = "https"
	}
	authority := ""
	for _, u := range cfg.AdvertisedListeners {
		if u.Scheme == scheme {
			authority = u.Host
			break
		}
	}
	if authority == "" && cfg.HostName != "" {
		authority = cfg.HostName
		if _, port, err := net.SplitHostPort(cfg.Listeners[0].Addr); err == nil {
			authority = net.JoinHostPort(cfg.HostName, port)
		}
	}
	if authority == "" {
		authority = string(ctx.Host())
	}
	return scheme + "://" + authority
}
