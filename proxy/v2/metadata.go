package v2

import (
	"github.com/bytedance/sonic"
	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/proxy/admin"
	"github.com/krest-dev/krest/proxy/rest"
)

// Response shapes of the v1/v2 metadata endpoints (Confluent's
// GetTopicResponse and GetPartitionResponse, identical in v1 and v2).
type (
	brokerList struct {
		Brokers []int32 `json:"brokers"`
	}
	topicInfo struct {
		Name       string            `json:"name"`
		Configs    map[string]string `json:"configs"`
		Partitions []partitionInfo   `json:"partitions"`
	}
	partitionInfo struct {
		Partition int32         `json:"partition"`
		Leader    int32         `json:"leader"`
		Replicas  []replicaInfo `json:"replicas"`
	}
	replicaInfo struct {
		Broker int32 `json:"broker"`
		Leader bool  `json:"leader"`
		InSync bool  `json:"in_sync"`
	}
	partitionOffsets struct {
		Beginning int64 `json:"beginning_offset"`
		End       int64 `json:"end_offset"`
	}
)

// entities writes v2's JSON entities as Confluent's v2 (Jackson's
// defaults) does: no HTML escaping, map keys in no set order. The
// Content-Type is the negotiated one.
var entities = rest.Entities{JSON: sonic.ConfigDefault}

func writeJSON(ctx *fasthttp.RequestCtx, v any) error { return entities.Write(ctx, 0, v) }

// Root is GET / and POST /: an empty object, as Confluent's liveness no-op.
func (a *API) Root(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	ctx.SetBodyString("{}")
	return nil
}

// ListBrokers is GET /brokers.
func (a *API) ListBrokers(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	cl, err := a.begin(ctx)
	if err != nil {
		return err
	}
	defer cl.end()
	ids, err := cl.kc.Admin.Brokers(cl.c)
	if err != nil {
		return err
	}
	return writeJSON(ctx, brokerList{Brokers: ids})
}

// ListTopics is GET /topics: topic names, internal topics excluded.
func (a *API) ListTopics(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	cl, err := a.begin(ctx)
	if err != nil {
		return err
	}
	defer cl.end()
	names, err := cl.kc.Admin.TopicNames(cl.c)
	if err != nil {
		return err
	}
	return writeJSON(ctx, names)
}

// GetTopic is GET /topics/{topic}: configs (defaults included) and
// partitions.
func (a *API) GetTopic(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	cl, err := a.begin(ctx)
	if err != nil {
		return err
	}
	defer cl.end()
	topic, err := rest.TopicParam(ctx)
	if err != nil {
		return err
	}
	t, err := cl.kc.Admin.Topic(cl.c, topic)
	if err != nil {
		return err
	}
	return writeJSON(ctx, topicInfo{Name: t.Name, Configs: t.Configs, Partitions: convert(t.Partitions, fromPartition)})
}

// ListPartitions is GET /topics/{topic}/partitions.
func (a *API) ListPartitions(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	cl, err := a.begin(ctx)
	if err != nil {
		return err
	}
	defer cl.end()
	topic, err := rest.TopicParam(ctx)
	if err != nil {
		return err
	}
	parts, err := cl.kc.Admin.Partitions(cl.c, topic)
	if err != nil {
		return err
	}
	return writeJSON(ctx, convert(parts, fromPartition))
}

// GetPartition is GET /topics/{topic}/partitions/{partition}.
func (a *API) GetPartition(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	cl, err := a.begin(ctx)
	if err != nil {
		return err
	}
	defer cl.end()
	topic, p, err := pathTopicPartition(ctx)
	if err != nil {
		return err
	}
	pi, err := cl.kc.Admin.Partition(cl.c, topic, p)
	if err != nil {
		return err
	}
	return writeJSON(ctx, fromPartition(pi))
}

// GetPartitionOffsets is GET /topics/{topic}/partitions/{partition}/offsets.
func (a *API) GetPartitionOffsets(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	cl, err := a.begin(ctx)
	if err != nil {
		return err
	}
	defer cl.end()
	topic, p, err := pathTopicPartition(ctx)
	if err != nil {
		return err
	}
	start, end, err := cl.kc.Admin.Offsets(cl.c, topic, p)
	if err != nil {
		return err
	}
	return writeJSON(ctx, partitionOffsets{Beginning: start, End: end})
}

func pathTopicPartition(ctx *fasthttp.RequestCtx) (string, int32, error) {
	topic, err := rest.TopicParam(ctx)
	if err != nil {
		return "", 0, err
	}
	p, err := partitionParam(ctx)
	return topic, p, err
}

func fromPartition(p admin.Partition) partitionInfo {
	return partitionInfo{Partition: p.ID, Leader: p.Leader, Replicas: convert(p.Replicas, fromReplica)}
}

func fromReplica(r admin.Replica) replicaInfo { return replicaInfo(r) }
