package v3

import "github.com/krest-dev/krest/proxy/rest"

// groupRoutes are the consumer group endpoints.
func (a *API) groupRoutes(c string) []rest.Route { return nil }
