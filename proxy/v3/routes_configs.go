package v3

import "github.com/krest-dev/krest/proxy/rest"

// configRoutes are the topic, broker and cluster config endpoints.
func (a *API) configRoutes(c string) []rest.Route { return nil }
