package v2

import (
	"strings"

	"github.com/krest-dev/krest/proxy/rest"
)

// Routes are the v1/v2 endpoints, named as Confluent's @ResourceName. The
// routes of one consumer instance are marked Instance, for forwarding to
// the krest that owns it.
func (a *API) Routes() []rest.Route {
	const (
		none     = rest.BodyNone
		produce  = rest.BodyProduce
		entity   = rest.BodyJSON
		plain    = rest.AnswerPlain
		records  = rest.AnswerRecords
		messages = rest.AnswerMessages
		inst     = "/consumers/{group}/instances/{instance}"
	)
	rs := []rest.Route{
		route("GET", "/", "api.v2.root.get", none, plain, 2, a.Root),
		route("POST", "/", "api.v2.root.post", none, plain, 2, a.Root),
		route("GET", "/brokers", "api.v2.brokers.list", none, plain, 2, a.ListBrokers),
		route("GET", "/topics", "api.v2.topics.list", none, plain, 2, a.ListTopics),
		route("GET", "/topics/{topic}", "api.v2.topics.get", none, plain, 2, a.GetTopic),
		route("POST", "/topics/{topic}", "api.v2.produce-to-topic", produce, plain, 2, a.ProduceToTopic),
		route("GET", "/topics/{topic}/partitions", "api.v2.partitions.list", none, plain, 2, a.ListPartitions),
		route("GET", "/topics/{topic}/partitions/{partition}", "api.v2.partitions.get", none, plain, 2, a.GetPartition),
		route("POST", "/topics/{topic}/partitions/{partition}", "api.v2.produce-to-partition", produce, plain, 2, a.ProduceToPartition),
		route("GET", "/topics/{topic}/partitions/{partition}/offsets", "api.v2.partitions.get-offsets", none, plain, 2, a.GetPartitionOffsets),
		route("GET", "/topics/{topic}/partitions/{partition}/messages", "api.v2.partitions.read-messages", none, messages, 2, a.ReadMessages),

		route("POST", "/consumers/{group}", "api.v2.consumers.create", entity, plain, 2, a.CreateConsumer),
		route("DELETE", inst, "api.v2.consumers.delete", none, plain, 2, a.DeleteConsumer),
		route("POST", inst+"/subscription", "api.v2.consumers.subscribe", entity, plain, 2, a.Subscribe),
		route("GET", inst+"/subscription", "api.v2.consumers.get-subscription", entity, plain, 2, a.GetSubscription),
		route("DELETE", inst+"/subscription", "api.v2.consumers.unsubscribe", entity, plain, 2, a.Unsubscribe),
		route("POST", inst+"/assignments", "api.v2.consumers.assign", entity, plain, 2, a.Assign),
		route("GET", inst+"/assignments", "api.v2.consumers.get-assignments", entity, plain, 2, a.GetAssignments),
		route("POST", inst+"/positions", "api.v2.consumers.seek-to-offset", entity, plain, 2, a.Seek),
		route("POST", inst+"/positions/beginning", "api.v2.consumers.seek-to-beginning", entity, plain, 2, a.SeekToBeginning),
		route("POST", inst+"/positions/end", "api.v2.consumers.seek-to-end", entity, plain, 2, a.SeekToEnd),
		route("POST", inst+"/offsets", "api.v2.consumers.commit-offsets", entity, plain, 2, a.CommitOffsets),
		route("GET", inst+"/offsets", "api.v2.consumers.get-committed-offsets", entity, plain, 2, a.GetCommittedOffsets),
		route("GET", inst+"/records", "api.v2.consumers.consume", entity, records, 2, a.ReadRecords),
		route("GET", inst+"/topics/{topic}", "api.v1.consumers.consume-topic", entity, records, 1, a.ReadTopicV1),
	}
	for i := range rs {
		rs[i].Instance = strings.HasPrefix(rs[i].Path, inst)
	}
	return rs
}

func route(method, path, name string, body rest.BodyKind, answer rest.Answer, version int, h rest.Handler) rest.Route {
	return rest.Route{Method: method, Path: path, Name: name, Body: body, Answer: answer, Version: version, Handler: h}
}
