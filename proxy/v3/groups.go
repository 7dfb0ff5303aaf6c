package v3

import (
	"cmp"
	"errors"
	"slices"
	"time"

	"github.com/valyala/fasthttp"

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

// consumerLagData is Confluent's ConsumerLagData.
type consumerLagData struct {
	Kind            string   `json:"kind"`
	Metadata        Metadata `json:"metadata"`
	ClusterID       string   `json:"cluster_id"`
	ConsumerGroupID string   `json:"consumer_group_id"`
	TopicName       string   `json:"topic_name"`
	PartitionID     int32    `json:"partition_id"`
	ConsumerID      string   `json:"consumer_id"`
	InstanceID      *string  `json:"instance_id"`
	ClientID        string   `json:"client_id"`
	CurrentOffset   int64    `json:"current_offset"`
	LogEndOffset    int64    `json:"log_end_offset"`
	Lag             int64    `json:"lag"`
}

// consumerGroupLagSummaryData is Confluent's ConsumerGroupLagSummaryData.
type consumerGroupLagSummaryData struct {
	Kind              string   `json:"kind"`
	Metadata          Metadata `json:"metadata"`
	ClusterID         string   `json:"cluster_id"`
	ConsumerGroupID   string   `json:"consumer_group_id"`
	MaxLag            int64    `json:"max_lag"`
	TotalLag          int64    `json:"total_lag"`
	MaxLagConsumerID  string   `json:"max_lag_consumer_id"`
	MaxLagConsumer    Related  `json:"max_lag_consumer"`
	MaxLagClientID    string   `json:"max_lag_client_id"`
	MaxLagInstanceID  *string  `json:"max_lag_instance_id"`
	MaxLagTopicName   string   `json:"max_lag_topic_name"`
	MaxLagPartitionID int32    `json:"max_lag_partition_id"`
	MaxLagPartition   Related  `json:"max_lag_partition"`
}

// offsetResetData is one partition moved by krest's offset reset.
type offsetResetData struct {
	ClusterID       string `json:"cluster_id"`
	ConsumerGroupID string `json:"consumer_group_id"`
	TopicName       string `json:"topic_name"`
	PartitionID     int32  `json:"partition_id"`
	CurrentOffset   *int64 `json:"current_offset"`
	NewOffset       int64  `json:"new_offset"`
}

// link is the URL of the cluster's resource at parts, leaving out empty
// ones, as Confluent's UrlFactory does.
func (u urls) link(parts ...string) Related {
	return u.rel(slices.DeleteFunc(parts, func(p string) bool { return p == "" })...)
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

func (u urls) lag(cluster, group string, l admin.Lag) consumerLagData {
	p := admin.FormatID(l.Partition)
	d := consumerLagData{
		Kind: "KafkaConsumerLag",
		Metadata: u.meta([]string{"consumer-groups", group, "lags", l.Topic, "partitions", p},
			"consumer-group", group, "lag", l.Topic, "partition", p),
		ClusterID: cluster, ConsumerGroupID: group, TopicName: l.Topic, PartitionID: l.Partition,
		CurrentOffset: l.Current, LogEndOffset: l.End, Lag: l.Lag(),
	}
	if l.Member != nil {
		d.ConsumerID, d.InstanceID, d.ClientID = l.Member.ID, l.Member.InstanceID, l.Member.ClientID
	}
	return d
}

// Path parameters and the 404s of Confluent's group resources, which word
// a missing group differently per resource.
func groupParam(ctx *fasthttp.RequestCtx) (string, error) {
	return rest.PathParam(ctx, "consumer_group")
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

// lags begins a call and returns the {consumer_group}'s lags.
func (a *API) lags(ctx *fasthttp.RequestCtx) (*call, string, []admin.Lag, error) {
	group, err := groupParam(ctx)
	if err != nil {
		return nil, "", nil, err
	}
	cl, err := a.beginGroups(ctx)
	if err != nil {
		return nil, "", nil, err
	}
	lags, err := cl.kc.Admin.Lags(cl.c, group)
	if err != nil {
		cl.end()
		return nil, "", nil, groupNotFound(err, groupMissing, group)
	}
	return cl, group, lags, nil
}

// ListConsumerLags is GET …/consumer-groups/{consumer_group}/lags, by lag
// descending, then topic and partition.
func (a *API) ListConsumerLags(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	cl, group, lags, err := a.lags(ctx)
	if err != nil {
		return err
	}
	defer cl.end()
	if len(lags) == 0 {
		return rest.Errorf(404, rest.CodeNotFound, "Consumer lags not found.")
	}
	slices.SortStableFunc(lags, func(x, y admin.Lag) int { return cmp.Compare(y.Lag(), x.Lag()) })
	cluster := clusterOf(ctx)
	data := make([]consumerLagData, 0, len(lags))
	for _, l := range lags {
		data = append(data, cl.u.lag(cluster, group, l))
	}
	return writeJSON(ctx, 200, newList("KafkaConsumerLagList", cl.u.self("consumer-groups", group, "lags"), data))
}

// GetConsumerLag is GET
// …/consumer-groups/{consumer_group}/lags/{topic}/partitions/{partition}.
func (a *API) GetConsumerLag(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	tp, err := topicPartition(ctx)
	if err != nil {
		return err
	}
	cl, group, lags, err := a.lags(ctx)
	if err != nil {
		return err
	}
	defer cl.end()
	i := slices.IndexFunc(lags, func(l admin.Lag) bool { return l.TopicPartition == tp })
	if i < 0 {
		return rest.ErrNotFound
	}
	return writeJSON(ctx, 200, cl.u.lag(clusterOf(ctx), group, lags[i]))
}

// GetConsumerGroupLagSummary is GET
// …/consumer-groups/{consumer_group}/lag-summary: the total lag and the
// partition that lags most (the first by topic and partition of equals).
func (a *API) GetConsumerGroupLagSummary(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	cl, group, lags, err := a.lags(ctx)
	if err != nil {
		return err
	}
	defer cl.end()
	if len(lags) == 0 {
		return rest.ErrNotFound
	}
	var maxLag admin.Lag
	var total int64
	for i, l := range lags {
		if i == 0 || l.Lag() > maxLag.Lag() {
			maxLag = l
		}
		total += l.Lag()
	}
	cluster := clusterOf(ctx)
	d := consumerGroupLagSummaryData{
		Kind: "KafkaConsumerGroupLagSummary",
		Metadata: Metadata{
			Self:         cl.u.self("consumer-groups", group, "lag-summary"),
			ResourceName: cl.u.crn("consumer-group", group) + "/lag-summary",
		},
		ClusterID: cluster, ConsumerGroupID: group, MaxLag: maxLag.Lag(), TotalLag: total,
		MaxLagTopicName: maxLag.Topic, MaxLagPartitionID: maxLag.Partition,
		MaxLagPartition: cl.u.rel("topics", maxLag.Topic, "partitions", admin.FormatID(maxLag.Partition)),
	}
	if m := maxLag.Member; m != nil {
		d.MaxLagConsumerID, d.MaxLagClientID, d.MaxLagInstanceID = m.ID, m.ClientID, m.InstanceID
	}
	d.MaxLagConsumer = cl.u.link("consumer-groups", group, "consumers", d.MaxLagConsumerID)
	return writeJSON(ctx, 200, d)
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

// offsetResetRequest is the body of krest's offset reset.
type offsetResetRequest struct {
	To        *string             `json:"to"`
	Offset    *int64              `json:"offset"`
	Timestamp *string             `json:"timestamp"`
	ShiftBy   *int64              `json:"shift_by"`
	Topics    []offsetResetTopics `json:"topics"`
	DryRun    bool                `json:"dry_run"`
}

type offsetResetTopics struct {
	TopicName  *string `json:"topic_name"`
	Partitions []int32 `json:"partitions"`
}

// reset checks an offset reset request.
func (req *offsetResetRequest) reset() (admin.OffsetReset, error) {
	r := admin.OffsetReset{DryRun: req.DryRun}
	if req.To == nil {
		return r, errPayload("to is required: earliest, latest, offset, timestamp or shift.")
	}
	r.To = *req.To
	needs := map[string]string{admin.ResetOffset: "offset", admin.ResetTimestamp: "timestamp", admin.ResetShift: "shift_by"}
	given := map[string]bool{"offset": req.Offset != nil, "timestamp": req.Timestamp != nil, "shift_by": req.ShiftBy != nil}
	switch r.To {
	case admin.ResetEarliest, admin.ResetLatest, admin.ResetOffset, admin.ResetTimestamp, admin.ResetShift:
	default:
		return r, errPayload(`to must be earliest, latest, offset, timestamp or shift, not "` + r.To + `".`)
	}
	for _, f := range []string{"offset", "timestamp", "shift_by"} {
		switch {
		case needs[r.To] == f && !given[f]:
			return r, errPayload(f + " is required with to=" + r.To + ".")
		case needs[r.To] != f && given[f]:
			return r, errPayload(f + " is only valid with to=" + map[string]string{"offset": "offset", "timestamp": "timestamp", "shift_by": "shift"}[f] + ".")
		}
	}
	switch r.To {
	case admin.ResetOffset:
		if *req.Offset < 0 {
			return r, errPayload("offset must not be negative.")
		}
		r.Offset = *req.Offset
	case admin.ResetTimestamp:
		t, err := time.Parse(time.RFC3339Nano, *req.Timestamp)
		if err != nil {
			return r, errPayload(`timestamp must be an ISO-8601 date and time with a zone, such as "2024-05-01T12:00:00Z", not "` + *req.Timestamp + `".`)
		}
		r.Timestamp = t
	case admin.ResetShift:
		r.ShiftBy = *req.ShiftBy
	}
	if len(req.Topics) > 0 {
		r.Topics = make(map[string][]int32, len(req.Topics))
		for _, t := range req.Topics {
			if t.TopicName == nil || *t.TopicName == "" {
				return r, errPayload("topics[].topic_name is required.")
			}
			if _, dup := r.Topics[*t.TopicName]; dup {
				return r, errPayload("Topic " + *t.TopicName + " is listed twice.")
			}
			r.Topics[*t.TopicName] = t.Partitions
		}
	}
	return r, nil
}

// ResetConsumerGroupOffsets is krest's POST
// …/consumer-groups/{consumer_group}/offsets:reset: it moves the committed
// offsets of a group without members (409 otherwise) and answers 200 with
// each partition's move; dry_run only computes them.
func (a *API) ResetConsumerGroupOffsets(ctx *fasthttp.RequestCtx, r rest.Request) error {
	group, err := groupParam(ctx)
	if err != nil {
		return err
	}
	var req offsetResetRequest
	if err := decode(r.Body, &req, errPayload("Request body is empty. Data is required.")); err != nil {
		return err
	}
	reset, err := req.reset()
	if err != nil {
		return err
	}
	cl, err := a.beginGroups(ctx)
	if err != nil {
		return err
	}
	defer cl.end()
	moves, err := cl.kc.Admin.ResetOffsets(cl.c, group, reset)
	if err != nil {
		return groupNotFound(err, groupMissing, group)
	}
	cluster := clusterOf(ctx)
	data := make([]offsetResetData, 0, len(moves))
	for _, m := range moves {
		data = append(data, offsetResetData{
			ClusterID: cluster, ConsumerGroupID: group, TopicName: m.Topic, PartitionID: m.Partition,
			CurrentOffset: m.Current, NewOffset: m.New,
		})
	}
	self := cl.u.self("consumer-groups", group) + "/offsets:reset"
	return writeJSON(ctx, 200, newList("KafkaConsumerGroupOffsetResetList", self, data))
}
