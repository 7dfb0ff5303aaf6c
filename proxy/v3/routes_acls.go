package v3

import "github.com/krest-dev/krest/proxy/rest"

// aclRoutes are the ACL endpoints.
func (a *API) aclRoutes(c string) []rest.Route { return nil }
