package v3

import (
	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/proxy/rest"
)

// partitionRoutes are the partition, replica, offset and reassignment
// endpoints, and krest's own: reassignment start and cancel, and records
// delete. The literal "-" routes take precedence over {topic} and
// {partition}, as in Confluent's proxy.
func (a *API) partitionRoutes(c string) []rest.Route {
	t := c + "/topics/{topic}/partitions"
	p := t + "/{partition}"
	return []rest.Route{
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
	}
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
