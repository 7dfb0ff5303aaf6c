package v3

import (
	"errors"
	"slices"

	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/codec"
	"github.com/krest-dev/krest/proxy/admin"
	"github.com/krest-dev/krest/proxy/rest"
)

// consumerGroupData is Confluent's ConsumerGroupData.
type consumerGroupData struct {
	Kind                 string   `json:"kind"`
	Metadata             Metadata `json:"metadata"`
	ClusterID            string   `json:"cluster_id"`
	ConsumerGroupID      string   `json:"consumer_group_id"`
	IsSimple             bool     `json:"is_simple"`
	PartitionAssignor    string   `json:"partition_assignor"`
	State                string   `json:"state"`
	Type                 string   `json:"type"`
	IsMixedConsumerGroup bool     `json:"is_mixed_consumer_group"`
	Coordinator          Related  `json:"coordinator"`
	Consumers            Related  `json:"consumers"`
	LagSummary           Related  `json:"lag_summary"`
}

// consumerData is Confluent's ConsumerData plus krest_instance: the name
// of the krest v2 consumer instance that is the member, when the caller
// created it on this krest.
type consumerData struct {
	Kind            string   `json:"kind"`
	Metadata        Metadata `json:"metadata"`
	ClusterID       string   `json:"cluster_id"`
	ConsumerGroupID string   `json:"consumer_group_id"`
	ConsumerID      string   `json:"consumer_id"`
	InstanceID      *string  `json:"instance_id"`
	ClientID        string   `json:"client_id"`
	Assignments     Related  `json:"assignments"`
	KrestInstance   string   `json:"krest_instance,omitempty"`
}

// consumerAssignmentData is Confluent's ConsumerAssignmentData.
type consumerAssignmentData struct {
	Kind            string   `json:"kind"`
	Metadata        Metadata `json:"metadata"`
	ClusterID       string   `json:"cluster_id"`
	ConsumerGroupID string   `json:"consumer_group_id"`
	ConsumerID      string   `json:"consumer_id"`
	TopicName       string   `json:"topic_name"`
	PartitionID     int32    `json:"partition_id"`
	Partition       Related  `json:"partition"`
	Lag             Related  `json:"lag"`
}

func (u urls) group(cluster string, g admin.Group) consumerGroupData {
	return consumerGroupData{
		Kind: "KafkaConsumerGroup", Metadata: u.meta([]string{"consumer-groups", g.ID}, "consumer-group", g.ID),
		ClusterID: cluster, ConsumerGroupID: g.ID, IsSimple: g.Simple, PartitionAssignor: g.Assignor,
		State: g.State, Type: g.Type, IsMixedConsumerGroup: g.Mixed,
		Coordinator: u.rel("brokers", admin.FormatID(g.Coordinator)),
		Consumers:   u.rel("consumer-groups", g.ID, "consumers"),
		LagSummary:  u.rel("consumer-groups", g.ID, "lag-summary"),
	}
}

func (u urls) consumer(cluster, group string, m admin.Member, names map[string]string) consumerData {
	return consumerData{
		Kind:      "KafkaConsumer",
		Metadata:  u.meta([]string{"consumer-groups", group, "consumers", m.ID}, "consumer-group", group, "consumer", m.ID),
		ClusterID: cluster, ConsumerGroupID: group, ConsumerID: m.ID, InstanceID: m.InstanceID, ClientID: m.ClientID,
		Assignments:   u.rel("consumer-groups", group, "consumers", m.ID, "assignments"),
		KrestInstance: names[m.ID],
	}
}

func (u urls) assignment(cluster, group, member string, tp admin.TopicPartition) consumerAssignmentData {
	p := admin.FormatID(tp.Partition)
	return consumerAssignmentData{
		Kind: "KafkaConsumerAssignment",
		Metadata: u.meta([]string{"consumer-groups", group, "consumers", member, "assignments", tp.Topic, "partitions", p},
			"consumer-group", group, "consumer", member, "assignment", tp.Topic, "partition", p),
		ClusterID: cluster, ConsumerGroupID: group, ConsumerID: member, TopicName: tp.Topic, PartitionID: tp.Partition,
		Partition: u.rel("topics", tp.Topic, "partitions", p),
		Lag:       u.rel("consumer-groups", group, "lags", tp.Topic, "partitions", p),
	}
}

// Path parameters and the 404s of Confluent's group resources, which word
// a missing group differently per resource.
func groupParam(ctx *fasthttp.RequestCtx) (string, error) {
	g, err := rest.PathParam(ctx, "consumer_group")
	if err == nil && admin.NameTooLong(g) {
		return "", rest.Errorf(400, rest.CodeKafkaBadRequest, "Consumer group id is illegal, it can't be longer than %d characters, consumer group id: %s", admin.MaxGroupNameLength, codec.Clip(g, 40))
	}
	return g, err
}

func groupNotFound(err error, format, group string) error {
	if errors.Is(err, admin.ErrGroupNotFound) {
		return rest.Errorf(404, rest.CodeNotFound, format, group)
	}
	return err
}

const (
	groupMissing   = "Consumer Group %s could not be found."
	groupNotExists = "Consumer Group %s does not exist."
)

// beginGroups begins a call for a consumer group resource; Confluent's
// group manager words a wrong {cluster} "could not be found".
func (a *API) beginGroups(ctx *fasthttp.RequestCtx) (*call, error) {
	cl, err := a.begin(ctx, false)
	if err != nil {
		return nil, err
	}
	id, err := a.cluster(cl)
	if err != nil {
		cl.end()
		return nil, err
	}
	if cluster := clusterOf(ctx); cluster != id {
		cl.end()
		return nil, rest.Errorf(404, rest.CodeNotFound, "Cluster %s could not be found.", cluster)
	}
	return cl, nil
}

// memberNames returns the krest instance names of the group's members (see
// consumer.Manager.MemberNames).
func (a *API) memberNames(ctx *fasthttp.RequestCtx, cl *call, group string) map[string]string {
	if a.Consumers == nil {
		return nil
	}
	owner, _ := ctx.UserValue(rest.PrincipalKey).(string)
	return a.Consumers.MemberNames(cl.c, group, owner)
}

// ListConsumerGroups is GET …/consumer-groups, sorted by id.
func (a *API) ListConsumerGroups(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	cl, err := a.beginGroups(ctx)
	if err != nil {
		return err
	}
	defer cl.end()
	groups, err := cl.kc.Admin.Groups(cl.c)
	if err != nil {
		return err
	}
	cluster := clusterOf(ctx)
	data := make([]consumerGroupData, 0, len(groups))
	for _, g := range groups {
		data = append(data, cl.u.group(cluster, g))
	}
	return writeJSON(ctx, 200, newList("KafkaConsumerGroupList", cl.u.self("consumer-groups"), data))
}

// describeGroup begins a call and describes the {consumer_group}; a missing
// group is a 404 worded by format (none: JAX-RS's bare 404).
func (a *API) describeGroup(ctx *fasthttp.RequestCtx, format string) (*call, admin.Group, error) {
	group, err := groupParam(ctx)
	if err != nil {
		return nil, admin.Group{}, err
	}
	cl, err := a.beginGroups(ctx)
	if err != nil {
		return nil, admin.Group{}, err
	}
	g, err := cl.kc.Admin.Group(cl.c, group)
	if err != nil {
		cl.end()
		if format == "" && errors.Is(err, admin.ErrGroupNotFound) {
			return nil, admin.Group{}, rest.ErrNotFound
		}
		return nil, admin.Group{}, groupNotFound(err, format, group)
	}
	return cl, g, nil
}

// GetConsumerGroup is GET …/consumer-groups/{consumer_group}.
func (a *API) GetConsumerGroup(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	cl, g, err := a.describeGroup(ctx, "")
	if err != nil {
		return err
	}
	defer cl.end()
	return writeJSON(ctx, 200, cl.u.group(clusterOf(ctx), g))
}

// ListConsumers is GET …/consumer-groups/{consumer_group}/consumers,
// sorted by consumer_id.
func (a *API) ListConsumers(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	cl, g, err := a.describeGroup(ctx, groupNotExists)
	if err != nil {
		return err
	}
	defer cl.end()
	names := a.memberNames(ctx, cl, g.ID)
	cluster := clusterOf(ctx)
	data := make([]consumerData, 0, len(g.Members))
	for _, m := range g.Members {
		data = append(data, cl.u.consumer(cluster, g.ID, m, names))
	}
	return writeJSON(ctx, 200, newList("KafkaConsumerList", cl.u.self("consumer-groups", g.ID, "consumers"), data))
}

// member is the {consumer} of the group; a missing one is a 404 worded by
// format (none: JAX-RS's bare 404).
func member(ctx *fasthttp.RequestCtx, g admin.Group, format string) (admin.Member, error) {
	id, err := rest.PathParam(ctx, "consumer")
	if err != nil {
		return admin.Member{}, err
	}
	for _, m := range g.Members {
		if m.ID == id {
			return m, nil
		}
	}
	if format == "" {
		return admin.Member{}, rest.ErrNotFound
	}
	return admin.Member{}, rest.Errorf(404, rest.CodeNotFound, format, id)
}

// GetConsumer is GET …/consumer-groups/{consumer_group}/consumers/{consumer}.
func (a *API) GetConsumer(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	cl, g, err := a.describeGroup(ctx, groupNotExists)
	if err != nil {
		return err
	}
	defer cl.end()
	m, err := member(ctx, g, "")
	if err != nil {
		return err
	}
	return writeJSON(ctx, 200, cl.u.consumer(clusterOf(ctx), g.ID, m, a.memberNames(ctx, cl, g.ID)))
}

// ListConsumerAssignments is GET …/consumers/{consumer}/assignments, by
// topic then partition.
func (a *API) ListConsumerAssignments(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	cl, g, err := a.describeGroup(ctx, groupNotExists)
	if err != nil {
		return err
	}
	defer cl.end()
	m, err := member(ctx, g, "Consumer %s does not exist.")
	if err != nil {
		return err
	}
	cluster := clusterOf(ctx)
	data := make([]consumerAssignmentData, 0, len(m.Assigned))
	for _, tp := range m.Assigned {
		data = append(data, cl.u.assignment(cluster, g.ID, m.ID, tp))
	}
	self := cl.u.self("consumer-groups", g.ID, "consumers", m.ID, "assignments")
	return writeJSON(ctx, 200, newList("KafkaConsumerAssignmentList", self, data))
}

// topicPartition is the {topic} and {partition} of a path; a partition
// that is not a number names nothing (404).
func topicPartition(ctx *fasthttp.RequestCtx) (admin.TopicPartition, error) {
	topic, err := rest.PathParam(ctx, "topic")
	if err != nil {
		return admin.TopicPartition{}, err
	}
	p, err := partitionParam(ctx)
	if err != nil {
		return admin.TopicPartition{}, err
	}
	return admin.TopicPartition{Topic: topic, Partition: p}, nil
}

// GetConsumerAssignment is GET
// …/consumers/{consumer}/assignments/{topic}/partitions/{partition}.
func (a *API) GetConsumerAssignment(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	tp, err := topicPartition(ctx)
	if err != nil {
		return err
	}
	cl, g, err := a.describeGroup(ctx, groupNotExists)
	if err != nil {
		return err
	}
	defer cl.end()
	m, err := member(ctx, g, "Consumer %s does not exist.")
	if err != nil {
		return err
	}
	if !slices.Contains(m.Assigned, tp) {
		return rest.ErrNotFound
	}
	return writeJSON(ctx, 200, cl.u.assignment(clusterOf(ctx), g.ID, m.ID, tp))
}

// DeleteConsumerGroup is krest's DELETE …/consumer-groups/{consumer_group}:
// 204, the group and its committed offsets gone; 409 while it has members.
func (a *API) DeleteConsumerGroup(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	group, err := groupParam(ctx)
	if err != nil {
		return err
	}
	cl, err := a.beginGroups(ctx)
	if err != nil {
		return err
	}
	defer cl.end()
	if err := cl.kc.Admin.DeleteGroup(cl.c, group); err != nil {
		return groupNotFound(err, groupMissing, group)
	}
	return noContent(ctx)
}
