package v3

import (
	"strconv"

	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/proxy/admin"
	"github.com/krest-dev/krest/proxy/rest"
)

// topicData is Confluent's TopicData.
type topicData struct {
	Kind                   string   `json:"kind"`
	Metadata               Metadata `json:"metadata"`
	ClusterID              string   `json:"cluster_id"`
	TopicName              string   `json:"topic_name"`
	IsInternal             bool     `json:"is_internal"`
	ReplicationFactor      int      `json:"replication_factor"`
	PartitionsCount        int      `json:"partitions_count"`
	Partitions             Related  `json:"partitions"`
	Configs                Related  `json:"configs"`
	PartitionReassignments Related  `json:"partition_reassignments"`
	AuthorizedOperations   []string `json:"authorized_operations"`
}

func (u urls) topic(cluster, name string, internal bool, rf, partitions int, ops []string) topicData {
	if ops == nil {
		ops = []string{}
	}
	return topicData{
		Kind: "KafkaTopic", Metadata: u.meta([]string{"topics", name}, "topic", name),
		ClusterID: cluster, TopicName: name, IsInternal: internal, ReplicationFactor: rf, PartitionsCount: partitions,
		Partitions: u.rel("topics", name, "partitions"), Configs: u.rel("topics", name, "configs"),
		PartitionReassignments: u.rel("topics", name, "partitions", "-", "reassignment"),
		AuthorizedOperations:   ops,
	}
}

func (u urls) topicInfo(cluster string, t admin.TopicInfo) topicData {
	return u.topic(cluster, t.Name, t.Internal, t.ReplicationFactor(), len(t.Partitions), t.AuthorizedOperations)
}

// clusterOf is the {cluster} of a request whose cluster begin checked.
func clusterOf(ctx *fasthttp.RequestCtx) string {
	id, _ := rest.PathParam(ctx, "cluster")
	return id
}

// ListTopics is GET …/topics, sorted by name; includeAuthorizedOperations
// (camelCase, as Confluent spells it here) adds what the caller may do.
func (a *API) ListTopics(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	cl, err := a.begin(ctx, true)
	if err != nil {
		return err
	}
	defer cl.end()
	topics, err := cl.kc.Admin.Topics(cl.c, boolQuery(ctx, "includeAuthorizedOperations"))
	if err != nil {
		return err
	}
	cluster := clusterOf(ctx)
	data := make([]topicData, 0, len(topics))
	for _, t := range topics {
		data = append(data, cl.u.topicInfo(cluster, t))
	}
	return writeJSON(ctx, 200, newList("KafkaTopicList", cl.u.self("topics"), data))
}

// GetTopic is GET …/topics/{topic}; include_authorized_operations (snake
// case here, as in Confluent's proxy) adds what the caller may do.
func (a *API) GetTopic(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	topic, err := rest.TopicParam(ctx)
	if err != nil {
		return err
	}
	cl, err := a.begin(ctx, true)
	if err != nil {
		return err
	}
	defer cl.end()
	return a.writeTopic(ctx, cl, topic, boolQuery(ctx, "include_authorized_operations"))
}

func (a *API) writeTopic(ctx *fasthttp.RequestCtx, cl *call, topic string, ops bool) error {
	topics, err := cl.kc.Admin.Topics(cl.c, ops, topic)
	if err != nil {
		return err
	}
	return writeJSON(ctx, 200, cl.u.topicInfo(clusterOf(ctx), topics[0]))
}

type createTopicRequest struct {
	TopicName           *jstring            `json:"topic_name"`
	PartitionsCount     optInt32            `json:"partitions_count"`
	ReplicationFactor   optInt16            `json:"replication_factor"`
	ReplicasAssignments map[string][]jint32 `json:"replicas_assignments"`
	Configs             []configEntry       `json:"configs"`
	ValidateOnly        jbool               `json:"validate_only"`
}

// configEntry is a config of a created topic.
type configEntry struct {
	Name  jstring  `json:"name"`
	Value *jstring `json:"value"`
}

// CreateTopic is POST …/topics: 201 with the topic and its Location, or
// 200 when validate_only only checked it. replicas_assignments, when
// given, decide the partition count and the replication factor.
func (a *API) CreateTopic(ctx *fasthttp.RequestCtx, r rest.Request) error {
	var req createTopicRequest
	if err := decode(r.Body, &req, errPayload("Request body is empty. Data is required.")); err != nil {
		return err
	}
	if req.TopicName == nil || admin.CheckTopicName(string(*req.TopicName)) != nil {
		return errPayload("Invalid topic name.")
	}
	nt := admin.NewTopic{Name: string(*req.TopicName), Partitions: -1, ReplicationFactor: -1, ValidateOnly: bool(req.ValidateOnly)}
	// The decoder refused counts beyond int32 and int16, as numbers or as
	// strings; what Kafka refuses within them is refused here, in Kafka's
	// words, so that nothing absurd reaches the controller (or the dev
	// broker).
	if req.PartitionsCount.Set {
		n := int32(req.PartitionsCount.V)
		if n == 0 || n < -1 {
			return errPartitionsCount
		}
		nt.Partitions = n
	}
	if req.ReplicationFactor.Set {
		rf := int16(req.ReplicationFactor.V)
		if rf == 0 || rf < -1 {
			return errReplicationFactor
		}
		nt.ReplicationFactor = rf
	}
	if len(req.ReplicasAssignments) > 0 {
		nt.Assignments = make(map[int32][]int32, len(req.ReplicasAssignments))
		for k, v := range req.ReplicasAssignments {
			p, err := strconv.ParseInt(k, 10, 32)
			if err != nil {
				return rest.Errorf(400, rest.CodeBadRequest, "Cannot deserialize Map key of type `java.lang.Integer` from String %q", k)
			}
			if p < 0 || p >= int64(len(req.ReplicasAssignments)) {
				return rest.Errorf(400, rest.CodeKafkaBadRequest, "The manual partition assignment includes partition %d: partitions must be numbered 0 to %d.", p, len(req.ReplicasAssignments)-1)
			}
			ids := int32s(v)
			if err := checkBrokerIDs(ids); err != nil {
				return err
			}
			nt.Assignments[int32(p)] = ids
		}
	}
	if len(req.Configs) > 0 {
		nt.Configs = make(map[string]*string, len(req.Configs))
		for _, c := range req.Configs {
			nt.Configs[string(c.Name)] = c.Value.ptr()
		}
	}
	cl, err := a.begin(ctx, true)
	if err != nil {
		return err
	}
	defer cl.end()
	partitions, rf, err := cl.kc.Admin.CreateTopic(cl.c, nt)
	if err != nil {
		return err
	}
	switch {
	case rf > 0:
	case req.ReplicationFactor.Set:
		rf = int16(req.ReplicationFactor.V)
	case len(nt.Assignments) > 0:
		for _, v := range nt.Assignments {
			rf = int16(len(v))
			break
		}
	}
	if partitions <= 0 {
		switch {
		case len(nt.Assignments) > 0:
			partitions = int32(len(nt.Assignments))
		case req.PartitionsCount.Set:
			partitions = int32(req.PartitionsCount.V)
		}
	}
	data := cl.u.topic(clusterOf(ctx), nt.Name, false, int(rf), int(partitions), nil)
	ctx.Response.Header.Set(fasthttp.HeaderLocation, data.Metadata.Self)
	status := fasthttp.StatusCreated
	if req.ValidateOnly {
		status = fasthttp.StatusOK
	}
	return writeJSON(ctx, status, data)
}

// Kafka's refusals of counts it cannot use (InvalidPartitionsException
// and InvalidReplicationFactorException, 40002), answered before asking.
var (
	errPartitionsCount   = rest.Errorf(400, rest.CodeKafkaBadRequest, "Number of partitions was set to an invalid non-positive value.")
	errReplicationFactor = rest.Errorf(400, rest.CodeKafkaBadRequest, "Replication factor must be larger than 0, or -1 to use the default value.")
)

// checkBrokerIDs refuses a replica list naming a negative broker id, as
// Kafka refuses an unknown broker.
func checkBrokerIDs(ids []int32) error {
	for _, id := range ids {
		if id < 0 {
			return rest.Errorf(400, rest.CodeKafkaBadRequest, "The manual partition assignment includes broker %d, but no such broker is registered.", id)
		}
	}
	return nil
}

// UpdatePartitionCount is PATCH …/topics/{topic} with
// {"partitions_count":N}: the topic grows to N partitions. N is an int32,
// as Kafka's partition counts are (Jackson refuses a number outside an
// int in Confluent's proxy with a 400, as the decoder does here): a wider
// number must not wrap around into a count Kafka would take.
func (a *API) UpdatePartitionCount(ctx *fasthttp.RequestCtx, r rest.Request) error {
	topic, err := rest.TopicParam(ctx)
	if err != nil {
		return err
	}
	var req struct {
		PartitionsCount optInt32 `json:"partitions_count"`
	}
	empty := errPayload("Request body is empty. Partitions_count is required.")
	if err := decode(r.Body, &req, empty); err != nil {
		return err
	}
	if !req.PartitionsCount.Set {
		return empty
	}
	if req.PartitionsCount.V <= 0 {
		return errPartitionsCount
	}
	cl, err := a.begin(ctx, true)
	if err != nil {
		return err
	}
	defer cl.end()
	if err := cl.kc.Admin.SetPartitionCount(cl.c, topic, int(req.PartitionsCount.V)); err != nil {
		return err
	}
	return a.writeTopic(ctx, cl, topic, false)
}

// DeleteTopic is DELETE …/topics/{topic}: 204.
func (a *API) DeleteTopic(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	topic, err := rest.TopicParam(ctx)
	if err != nil {
		return err
	}
	cl, err := a.begin(ctx, true)
	if err != nil {
		return err
	}
	defer cl.end()
	if err := cl.kc.Admin.DeleteTopic(cl.c, topic); err != nil {
		return err
	}
	return noContent(ctx)
}
