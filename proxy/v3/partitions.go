package v3

import (
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/proxy/admin"
	"github.com/krest-dev/krest/proxy/rest"
)

// partitionData is Confluent's PartitionData.
type partitionData struct {
	Kind         string   `json:"kind"`
	Metadata     Metadata `json:"metadata"`
	ClusterID    string   `json:"cluster_id"`
	TopicName    string   `json:"topic_name"`
	PartitionID  int32    `json:"partition_id"`
	Leader       *Related `json:"leader"`
	Replicas     Related  `json:"replicas"`
	Reassignment Related  `json:"reassignment"`
}

// partitionWithOffsetsData is Confluent's PartitionWithOffsetsData.
type partitionWithOffsetsData struct {
	Kind           string   `json:"kind"`
	Metadata       Metadata `json:"metadata"`
	ClusterID      string   `json:"cluster_id"`
	TopicName      string   `json:"topic_name"`
	PartitionID    int32    `json:"partition_id"`
	EarliestOffset int64    `json:"earliest_offset"`
	LatestOffset   int64    `json:"latest_offset"`
}

// replicaData is Confluent's ReplicaData.
type replicaData struct {
	Kind        string   `json:"kind"`
	Metadata    Metadata `json:"metadata"`
	ClusterID   string   `json:"cluster_id"`
	TopicName   string   `json:"topic_name"`
	PartitionID int32    `json:"partition_id"`
	BrokerID    int32    `json:"broker_id"`
	IsLeader    bool     `json:"is_leader"`
	IsInSync    bool     `json:"is_in_sync"`
	Broker      Related  `json:"broker"`
}

// reassignmentData is Confluent's ReassignmentData.
type reassignmentData struct {
	Kind             string   `json:"kind"`
	Metadata         Metadata `json:"metadata"`
	ClusterID        string   `json:"cluster_id"`
	TopicName        string   `json:"topic_name"`
	PartitionID      int32    `json:"partition_id"`
	AddingReplicas   []int32  `json:"adding_replicas"`
	RemovingReplicas []int32  `json:"removing_replicas"`
	Replicas         Related  `json:"replicas"`
}

// lowWatermarkData is krest's answer to a records delete: the partition's
// new earliest offset.
type lowWatermarkData struct {
	Kind         string   `json:"kind"`
	Metadata     Metadata `json:"metadata"`
	ClusterID    string   `json:"cluster_id"`
	TopicName    string   `json:"topic_name"`
	PartitionID  int32    `json:"partition_id"`
	LowWatermark int64    `json:"low_watermark"`
	Partition    Related  `json:"partition"`
}

// partitionPath is the path of a partition's resource, with more parts.
func partitionPath(topic string, p int32, more ...string) []string {
	return append([]string{"topics", topic, "partitions", admin.FormatID(p)}, more...)
}

func (u urls) partition(cluster, topic string, p admin.Partition) partitionData {
	id := admin.FormatID(p.ID)
	d := partitionData{
		Kind: "KafkaPartition", Metadata: u.meta(partitionPath(topic, p.ID), "topic", topic, "partition", id),
		ClusterID: cluster, TopicName: topic, PartitionID: p.ID,
		Replicas: u.rel(partitionPath(topic, p.ID, "replicas")...), Reassignment: u.rel(partitionPath(topic, p.ID, "reassignment")...),
	}
	for _, r := range p.Replicas {
		if r.Leader {
			l := u.rel(partitionPath(topic, p.ID, "replicas", admin.FormatID(r.Broker))...)
			d.Leader = &l
		}
	}
	return d
}

func (u urls) replica(cluster, topic string, p int32, r admin.Replica) replicaData {
	b := admin.FormatID(r.Broker)
	return replicaData{
		Kind:      "KafkaReplica",
		Metadata:  u.meta(partitionPath(topic, p, "replicas", b), "topic", topic, "partition", admin.FormatID(p), "replica", b),
		ClusterID: cluster, TopicName: topic, PartitionID: p, BrokerID: r.Broker, IsLeader: r.Leader, IsInSync: r.InSync,
		Broker: u.rel("brokers", b),
	}
}

// reassignment renders r under the name last: "reassignment" for the one
// partition's, "reassignments" in lists, where Confluent's proxy names its
// items so (a URL that routes nowhere).
func (u urls) reassignment(cluster string, r admin.Reassignment, last string) reassignmentData {
	m := u.meta(partitionPath(r.Topic, r.Partition, last), "topic", r.Topic, "partition", admin.FormatID(r.Partition))
	m.ResourceName += "/" + last
	return reassignmentData{
		Kind: "KafkaReassignment", Metadata: m, ClusterID: cluster, TopicName: r.Topic, PartitionID: r.Partition,
		AddingReplicas: r.Adding, RemovingReplicas: r.Removing,
		Replicas: u.rel(partitionPath(r.Topic, r.Partition, "replicas")...),
	}
}

// notHosted is Confluent's 404 for a partition of a topic the cluster
// lacks (PartitionManager.getPartition); other errors pass.
func notHosted(err error, topic string, p int32) error {
	if errors.Is(err, admin.ErrTopicNotFound) || errors.Is(err, kerr.UnknownTopicOrPartition) {
		return rest.Errorf(404, rest.CodeTopicNotFound, "This server does not host topic-partition %d for topic %s", p, topic)
	}
	return err
}

// partitionParams parses {topic} and {partition}.
func partitionParams(ctx *fasthttp.RequestCtx) (string, int32, error) {
	topic, err := rest.TopicParam(ctx)
	if err != nil {
		return "", 0, err
	}
	p, err := partitionParam(ctx)
	return topic, p, err
}

// ListPartitions is GET …/topics/{topic}/partitions, by id.
func (a *API) ListPartitions(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	topic, err := rest.TopicParam(ctx)
	if err != nil {
		return err
	}
	cl, err := a.begin(ctx, true)
	if err != nil {
		return err
	}
	defer cl.end()
	parts, err := cl.kc.Admin.Partitions(cl.c, topic)
	if err != nil {
		return err
	}
	cluster := clusterOf(ctx)
	data := make([]partitionData, 0, len(parts))
	for _, p := range parts {
		data = append(data, cl.u.partition(cluster, topic, p))
	}
	return writeJSON(ctx, 200, newList("KafkaPartitionList", cl.u.self("topics", topic, "partitions"), data))
}

// GetPartition is GET …/topics/{topic}/partitions/{partition}.
func (a *API) GetPartition(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	topic, p, err := partitionParams(ctx)
	if err != nil {
		return err
	}
	cl, err := a.begin(ctx, true)
	if err != nil {
		return err
	}
	defer cl.end()
	part, err := cl.kc.Admin.Partition(cl.c, topic, p)
	switch {
	case errors.Is(err, admin.ErrPartitionNotFound):
		return rest.ErrNotFound
	case err != nil:
		return notHosted(err, topic, p)
	}
	return writeJSON(ctx, 200, cl.u.partition(clusterOf(ctx), topic, part))
}

// earliestAndLatest is the one offset_type Confluent's proxy knows, and
// its default.
const earliestAndLatest = "earliest_and_latest"

// ListPartitionOffsets is GET …/partitions/{partition}/offset: the
// partition's earliest and latest offsets.
func (a *API) ListPartitionOffsets(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	topic, p, err := partitionParams(ctx)
	if err != nil {
		return err
	}
	if args := ctx.QueryArgs(); args.Has("offset_type") && string(args.Peek("offset_type")) != earliestAndLatest {
		return rest.Errorf(400, rest.CodeBadRequest, "offset_type:%s is invalid", args.Peek("offset_type"))
	}
	cl, err := a.begin(ctx, true)
	if err != nil {
		return err
	}
	defer cl.end()
	start, end, err := cl.kc.Admin.Offsets(cl.c, topic, p)
	if err != nil {
		return notHosted(err, topic, p) // ErrPartitionNotFound: 40402
	}
	id := admin.FormatID(p)
	return writeJSON(ctx, 200, partitionWithOffsetsData{
		Kind:      "KafkaPartitionWithOffsets",
		Metadata:  cl.u.meta(partitionPath(topic, p, "offset"), "topic", topic, "partition", id, "offset_type", earliestAndLatest),
		ClusterID: clusterOf(ctx), TopicName: topic, PartitionID: p, EarliestOffset: start, LatestOffset: end,
	})
}

// replicasOf is the partition's replicas, with Confluent's 404s.
func (a *API) replicasOf(ctx *fasthttp.RequestCtx, cl *call, topic string, p int32) ([]admin.Replica, error) {
	part, err := cl.kc.Admin.Partition(cl.c, topic, p)
	switch {
	case errors.Is(err, admin.ErrPartitionNotFound):
		return nil, rest.Errorf(404, rest.CodeNotFound, "Partition %d of topic %s could not be found on cluster %s.", p, topic, clusterOf(ctx))
	case err != nil:
		return nil, notHosted(err, topic, p)
	}
	return part.Replicas, nil
}

// ListReplicas is GET …/partitions/{partition}/replicas.
func (a *API) ListReplicas(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	topic, p, err := partitionParams(ctx)
	if err != nil {
		return err
	}
	cl, err := a.begin(ctx, true)
	if err != nil {
		return err
	}
	defer cl.end()
	replicas, err := a.replicasOf(ctx, cl, topic, p)
	if err != nil {
		return err
	}
	cluster := clusterOf(ctx)
	data := make([]replicaData, 0, len(replicas))
	for _, r := range replicas {
		data = append(data, cl.u.replica(cluster, topic, p, r))
	}
	return writeJSON(ctx, 200, newList("KafkaReplicaList", cl.u.self(partitionPath(topic, p, "replicas")...), data))
}

// GetReplica is GET …/partitions/{partition}/replicas/{broker}.
func (a *API) GetReplica(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	topic, p, err := partitionParams(ctx)
	if err != nil {
		return err
	}
	broker, err := idParam(ctx, "broker")
	if err != nil {
		return err
	}
	cl, err := a.begin(ctx, true)
	if err != nil {
		return err
	}
	defer cl.end()
	replicas, err := a.replicasOf(ctx, cl, topic, p)
	if err != nil {
		return err
	}
	for _, r := range replicas {
		if r.Broker == broker {
			return writeJSON(ctx, 200, cl.u.replica(clusterOf(ctx), topic, p, r))
		}
	}
	return rest.ErrNotFound
}

// SearchReplicasByBroker is GET …/brokers/{broker}/partition-replicas: the
// replicas on a broker, internal topics' included, by topic and partition.
func (a *API) SearchReplicasByBroker(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	broker, err := idParam(ctx, "broker")
	if err != nil {
		return err
	}
	cl, err := a.begin(ctx, true)
	if err != nil {
		return err
	}
	defer cl.end()
	replicas, err := cl.kc.Admin.BrokerReplicas(cl.c, broker)
	if errors.Is(err, admin.ErrBrokerNotFound) {
		return rest.Errorf(404, rest.CodeNotFound, "Broker %d cannot be found.", broker)
	}
	if err != nil {
		return err
	}
	cluster := clusterOf(ctx)
	data := make([]replicaData, 0, len(replicas))
	for _, r := range replicas {
		data = append(data, cl.u.replica(cluster, r.Topic, r.Partition, r.Replica))
	}
	self := cl.u.self("brokers", admin.FormatID(broker), "partition-replicas")
	return writeJSON(ctx, 200, newList("KafkaReplicaList", self, data))
}

// listReassignments answers the reassignments in progress of topic, or
// all of them when topic is "". The list, like its items, is named
// "reassignments", as in Confluent's proxy (a URL that routes nowhere).
func (a *API) listReassignments(ctx *fasthttp.RequestCtx, topic string) error {
	cl, err := a.begin(ctx, true)
	if err != nil {
		return err
	}
	defer cl.end()
	rs, err := cl.kc.Admin.Reassignments(cl.c, topic, -1)
	if err != nil {
		return err
	}
	cluster := clusterOf(ctx)
	data := make([]reassignmentData, 0, len(rs))
	for _, r := range rs {
		data = append(data, cl.u.reassignment(cluster, r, "reassignments"))
	}
	in := topic
	if in == "" {
		in = "-"
	}
	return writeJSON(ctx, 200, newList("KafkaReassignmentList", cl.u.self("topics", in, "partitions", "-", "reassignments"), data))
}

// ListAllReassignments is GET …/topics/-/partitions/-/reassignment: every
// reassignment in progress, by topic and partition.
func (a *API) ListAllReassignments(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	return a.listReassignments(ctx, "")
}

// SearchReassignmentsByTopic is GET …/topics/{topic}/partitions/-/reassignment:
// the topic's reassignments in progress (none for a topic the cluster
// lacks), by partition.
func (a *API) SearchReassignmentsByTopic(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	topic, err := rest.PathParam(ctx, "topic")
	if err != nil {
		return err
	}
	return a.listReassignments(ctx, topic)
}

// GetReassignment is GET …/partitions/{partition}/reassignment: 404 when
// the partition has no reassignment in progress.
func (a *API) GetReassignment(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	topic, err := rest.PathParam(ctx, "topic")
	if err != nil {
		return err
	}
	p, err := partitionParam(ctx)
	if err != nil {
		return err
	}
	cl, err := a.begin(ctx, true)
	if err != nil {
		return err
	}
	defer cl.end()
	rs, err := cl.kc.Admin.Reassignments(cl.c, topic, p)
	if err != nil {
		return err
	}
	if len(rs) == 0 {
		return rest.ErrNotFound
	}
	return writeJSON(ctx, 200, cl.u.reassignment(clusterOf(ctx), rs[0], "reassignment"))
}

// AlterReassignment is krest's POST …/partitions/{partition}/reassignment
// with {"replicas":[1,2,3]}: Kafka moves the partition onto those brokers
// (the first the preferred leader). 202 with the reassignment as Kafka
// lists it once accepted; empty adding_replicas and removing_replicas mean
// it has completed already.
func (a *API) AlterReassignment(ctx *fasthttp.RequestCtx, r rest.Request) error {
	topic, p, err := partitionParamToWrite(ctx)
	if err != nil {
		return err
	}
	var req struct {
		Replicas []jint32 `json:"replicas"`
	}
	if err := decode(r.Body, &req, errPayload("Request body is empty. Data is required.")); err != nil {
		return err
	}
	if req.Replicas == nil {
		return errPayload("Replicas is required. To cancel a reassignment, DELETE it.")
	}
	replicas := int32s(req.Replicas)
	if err := checkBrokerIDs(replicas); err != nil {
		return err
	}
	cl, err := a.begin(ctx, true)
	if err != nil {
		return err
	}
	defer cl.end()
	ra, err := cl.kc.Admin.Reassign(cl.c, topic, p, replicas)
	if err != nil {
		return err
	}
	return writeJSON(ctx, fasthttp.StatusAccepted, cl.u.reassignment(clusterOf(ctx), ra, "reassignment"))
}

// CancelReassignment is krest's DELETE …/partitions/{partition}/reassignment:
// the partition's reassignment in progress is cancelled; 204.
func (a *API) CancelReassignment(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	topic, p, err := partitionParamToWrite(ctx)
	if err != nil {
		return err
	}
	cl, err := a.begin(ctx, true)
	if err != nil {
		return err
	}
	defer cl.end()
	if err := cl.kc.Admin.CancelReassignment(cl.c, topic, p); err != nil {
		return err
	}
	return noContent(ctx)
}

// DeleteRecords is krest's POST …/partitions/{partition}/records:delete
// with {"before_offset":N}: the records before offset N (-1: all, up to
// the high watermark) are deleted. 200 with the new low watermark.
func (a *API) DeleteRecords(ctx *fasthttp.RequestCtx, r rest.Request) error {
	topic, p, err := partitionParams(ctx)
	if err != nil {
		return err
	}
	var req struct {
		BeforeOffset optInt64 `json:"before_offset"`
	}
	if err := decode(r.Body, &req, errPayload("Request body is empty. Data is required.")); err != nil {
		return err
	}
	if !req.BeforeOffset.Set {
		return errPayload("Before_offset is required.")
	}
	if req.BeforeOffset.V < -1 {
		// Kafka's answer to it (OFFSET_OUT_OF_RANGE), without asking.
		return rest.Errorf(400, rest.CodeKafkaBadRequest, "%s", kerr.OffsetOutOfRange.Description)
	}
	cl, err := a.begin(ctx, true)
	if err != nil {
		return err
	}
	defer cl.end()
	low, err := cl.kc.Admin.DeleteRecords(cl.c, topic, p, int64(req.BeforeOffset.V))
	if err != nil {
		return err
	}
	return writeJSON(ctx, 200, lowWatermarkData{
		Kind:      "KafkaPartitionLowWatermark",
		Metadata:  cl.u.meta(partitionPath(topic, p, "offset"), "topic", topic, "partition", admin.FormatID(p)),
		ClusterID: clusterOf(ctx), TopicName: topic, PartitionID: p, LowWatermark: low,
		Partition: cl.u.rel(partitionPath(topic, p)...),
	})
}
