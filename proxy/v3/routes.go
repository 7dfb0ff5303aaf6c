package v3

import "github.com/krest-dev/krest/proxy/rest"

// Prefix is where v3 is mounted.
const Prefix = "/v3/clusters"

// Routes are the v3 endpoints, named as Confluent's @ResourceName.
func (a *API) Routes() []rest.Route {
	const c = Prefix + "/{cluster}"
	rs := []rest.Route{
		get("/v3/clusters", "api.v3.clusters.list", a.ListClusters),
		get(c, "api.v3.clusters.get", a.GetCluster),
		get(c+"/brokers", "api.v3.brokers.list", a.ListBrokers),
		get(c+"/brokers/{broker}", "api.v3.brokers.get", a.GetBroker),

		get(c+"/topics", "api.v3.topics.list", a.ListTopics),
		withBody("POST", c+"/topics", "api.v3.topics.create", a.CreateTopic),
		get(c+"/topics/{topic}", "api.v3.topics.get", a.GetTopic),
		withBody("PATCH", c+"/topics/{topic}", "api.v3.topics.partitions", a.UpdatePartitionCount),
		plain("DELETE", c+"/topics/{topic}", "api.v3.topics.delete", a.DeleteTopic),
	}
	rs = append(rs, a.configRoutes(c)...)
	rs = append(rs, a.partitionRoutes(c)...)
	rs = append(rs, a.groupRoutes(c)...)
	rs = append(rs, a.aclRoutes(c)...)
	rs = append(rs, a.produceRoutes(c)...)
	rs = append(rs, a.recordRoutes(c)...)
	return rs
}

func get(path, name string, h rest.Handler) rest.Route { return plain("GET", path, name, h) }

// plain is a route without a request body.
func plain(method, path, name string, h rest.Handler) rest.Route {
	return rest.Route{Method: method, Path: path, Name: name, Body: rest.BodyNone, Answer: rest.AnswerPlain, Version: 3, Handler: h}
}

// withBody is a route whose JSON entity the chain reads whole.
func withBody(method, path, name string, h rest.Handler) rest.Route {
	return rest.Route{Method: method, Path: path, Name: name, Body: rest.BodyJSON, Answer: rest.AnswerPlain, Version: 3, Handler: h}
}
