package v3

import "github.com/krest-dev/krest/proxy/rest"

// groupRoutes are the consumer group endpoints, plus krest's group delete
// and offset reset.
func (a *API) groupRoutes(c string) []rest.Route {
	g := c + "/consumer-groups/{consumer_group}"
	m := g + "/consumers/{consumer}"
	return []rest.Route{
		get(c+"/consumer-groups", "api.v3.consumer-groups.list", a.ListConsumerGroups),
		get(g, "api.v3.consumer-groups.get", a.GetConsumerGroup),
		plain("DELETE", g, "api.v3.consumer-groups.delete", a.DeleteConsumerGroup),
		withBody("POST", g+"/offsets:reset", "api.v3.consumer-groups.reset-offsets", a.ResetConsumerGroupOffsets),
		get(g+"/consumers", "api.v3.consumers.list", a.ListConsumers),
		get(m, "api.v3.consumers.get", a.GetConsumer),
		get(m+"/assignments", "api.v3.consumer-assignments.list", a.ListConsumerAssignments),
		get(m+"/assignments/{topic}/partitions/{partition}", "api.v3.consumer-assignments.get", a.GetConsumerAssignment),
		get(g+"/lags", "api.v3.consumer-lags.list", a.ListConsumerLags),
		get(g+"/lags/{topic}/partitions/{partition}", "api.v3.consumer-lags.get", a.GetConsumerLag),
		get(g+"/lag-summary", "api.v3.consumer-group-lag-summary.get", a.GetConsumerGroupLagSummary),
	}
}
