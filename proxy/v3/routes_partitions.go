package v3

import "github.com/krest-dev/krest/proxy/rest"

// partitionRoutes are the partition, replica, offset and reassignment
// endpoints.
func (a *API) partitionRoutes(c string) []rest.Route { return nil }
