package v3

import (
	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/proxy/rest"
)

// Prefix is where v3 is mounted.
const Prefix = "/v3/clusters"

// Routes are the v3 endpoints, named as Confluent's @ResourceName, and
// krest's own (reassignment start and cancel, records delete, group delete
// and offset reset, the stateless read of a partition and the streamed
// tail of a topic). The router prefers a literal segment ("-",
// "configs:alter") to a parameter: the "-" routes take precedence over
// {topic}, {broker} and {partition}, as in Confluent's proxy.
func (a *API) Routes() []rest.Route {
	const (
		c  = Prefix + "/{cluster}"
		tc = c + "/topics/{topic}/configs"
		bc = c + "/brokers/{broker}/configs"
		t  = c + "/topics/{topic}/partitions"
		p  = t + "/{partition}"
		g  = c + "/consumer-groups/{consumer_group}"
		m  = g + "/consumers/{consumer}"
	)
	return []rest.Route{
		get("/v3/clusters", "api.v3.clusters.list", a.ListClusters),
		get(c, "api.v3.clusters.get", a.GetCluster),
		get(c+"/brokers", "api.v3.brokers.list", a.ListBrokers),
		get(c+"/brokers/{broker}", "api.v3.brokers.get", a.GetBroker),

		get(c+"/topics", "api.v3.topics.list", a.ListTopics),
		withBody("POST", c+"/topics", "api.v3.topics.create", a.CreateTopic),
		get(c+"/topics/{topic}", "api.v3.topics.get", a.GetTopic),
		withBody("PATCH", c+"/topics/{topic}", "api.v3.topics.partitions", a.UpdatePartitionCount),
		plain("DELETE", c+"/topics/{topic}", "api.v3.topics.delete", a.DeleteTopic),

		// Topic, broker and cluster configs.
		get(c+"/topics/-/configs", "api.v3.topic-configs.list", a.ListAllTopicsConfigs),
		withBody("POST", c+"/topics/-/configs:alter", "api.v3.topic-configs.alter-multi", a.AlterTopicsConfigs),
		get(tc, "api.v3.topic-configs.list", a.ListTopicConfigs),
		withBody("POST", tc+":alter", "api.v3.topic-configs.alter", a.AlterTopicConfigs),
		get(tc+"/{config}", "api.v3.topic-configs.get", a.GetTopicConfig),
		withBody("PUT", tc+"/{config}", "api.v3.topic-configs.update", a.UpdateTopicConfig),
		plain("DELETE", tc+"/{config}", "api.v3.topic-configs.delete", a.ResetTopicConfig),

		get(c+"/brokers/-/configs", "api.v3.brokers-configs.list", a.ListAllBrokersConfigs),
		get(bc, "api.v3.broker-configs.list", a.ListBrokerConfigs),
		withBody("POST", bc+":alter", "api.v3.broker-configs.alter", a.AlterBrokerConfigs),
		get(bc+"/{config}", "api.v3.broker-configs.get", a.GetBrokerConfig),
		withBody("PUT", bc+"/{config}", "api.v3.broker-configs.update", a.UpdateBrokerConfig),
		plain("DELETE", bc+"/{config}", "api.v3.broker-configs.delete", a.ResetBrokerConfig),

		get(c+"/broker-configs", "api.v3.cluster-configs.list", a.ListClusterConfigs),
		withBody("POST", c+"/broker-configs:alter", "api.v3.cluster-configs.alter", a.AlterClusterConfigs),
		get(c+"/broker-configs/{config}", "api.v3.cluster-configs.get", a.GetClusterConfig),
		withBody("PUT", c+"/broker-configs/{config}", "api.v3.cluster-configs.update", a.UpdateClusterConfig),
		plain("DELETE", c+"/broker-configs/{config}", "api.v3.cluster-configs.delete", a.DeleteClusterConfig),

		// Partitions, replicas, offsets, reassignments and records delete.
		get(t, "api.v3.partitions.list", a.ListPartitions),
		get(p, "api.v3.partitions.get", a.GetPartition),
		get(p+"/offset", "api.v3.partitions.list.offsets", a.ListPartitionOffsets),
		get(p+"/replicas", "api.v3.replicas.list", a.ListReplicas),
		get(p+"/replicas/{broker}", "api.v3.replicas.get", a.GetReplica),
		get(c+"/brokers/{broker}/partition-replicas", "api.v3.replicas.search-by-broker", a.SearchReplicasByBroker),

		get(c+"/topics/-/partitions/-/reassignment", "api.v3.partition-reassignments.list", a.ListAllReassignments),
		get(t+"/-/reassignment", "api.v3.partition-reassignments.search-by-topic", a.SearchReassignmentsByTopic),
		get(p+"/reassignment", "api.v3.partition-reassignments.get", a.GetReassignment),
		withBody("POST", p+"/reassignment", "api.v3.partition-reassignments.alter", onePartition(a.AlterReassignment)),
		plain("DELETE", p+"/reassignment", "api.v3.partition-reassignments.cancel", onePartition(a.CancelReassignment)),

		withBody("POST", p+"/records:delete", "api.v3.partition-records.delete", a.DeleteRecords),

		// Consumer groups, plus krest's group delete and offset reset.
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

		// ACLs.
		get(c+"/acls", "api.v3.acls.list", a.SearchACLs),
		withBody("POST", c+"/acls", "api.v3.acls.create", a.CreateACL),
		plain("DELETE", c+"/acls", "api.v3.acls.delete", a.DeleteACLs),
		withBody("POST", c+"/acls:batch", "api.v3.acls.batch-create", a.CreateACLs),

		// Streaming and batch produce.
		{Method: "POST", Path: c + "/topics/{topic}/records", Name: "api.v3.produce.produce-to-topic",
			Body: rest.BodyStream, Answer: rest.AnswerPlain, Version: 3, Handler: a.ProduceRecords},
		withBody("POST", c+"/topics/{topic}/records:batch", "api.v3.batch-produce.produce-to-topic", a.ProduceBatch),

		// krest's own reads: the stateless read of a partition, and the
		// streamed tail of a whole topic.
		get(p+"/records", "api.v3.records.read", a.ReadRecords),
		{Method: "GET", Path: c + "/topics/{topic}/records", Name: "api.v3.records.tail",
			Body: rest.BodyNone, Answer: rest.AnswerStream, Version: 3, Handler: a.TailRecords},
	}
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

// onePartition keeps krest's POST and DELETE of one partition's
// reassignment off the read-only lists …/topics/-/partitions/-/reassignment
// and …/topics/{topic}/partitions/-/reassignment: the router matches them
// to {partition} "-" for want of a POST or DELETE route of their own, and
// they answer 405, as Confluent's proxy answers any method but GET there.
func onePartition(h rest.Handler) rest.Handler {
	return func(ctx *fasthttp.RequestCtx, r rest.Request) error {
		if p, _ := ctx.UserValue("partition").(string); p == "-" {
			return rest.ErrMethodNotAllowed
		}
		return h(ctx, r)
	}
}
