package v3

import "github.com/krest-dev/krest/proxy/rest"

// aclRoutes are the ACL endpoints.
func (a *API) aclRoutes(c string) []rest.Route {
	return []rest.Route{
		get(c+"/acls", "api.v3.acls.list", a.SearchACLs),
		withBody("POST", c+"/acls", "api.v3.acls.create", a.CreateACL),
		plain("DELETE", c+"/acls", "api.v3.acls.delete", a.DeleteACLs),
		withBody("POST", c+"/acls:batch", "api.v3.acls.batch-create", a.CreateACLs),
	}
}
