package v3

import "github.com/krest-dev/krest/proxy/rest"

// produceRoutes are the streaming and batch produce endpoints.
func (a *API) produceRoutes(c string) []rest.Route { return nil }
