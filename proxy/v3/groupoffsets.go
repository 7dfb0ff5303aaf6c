package v3

import (
	"cmp"
	"slices"

	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/codec"
	"github.com/krest-dev/krest/proxy/admin"
	"github.com/krest-dev/krest/proxy/rest"
)

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

// offsetResetRequest is the body of krest's offset reset.
type offsetResetRequest struct {
	To        *jstring            `json:"to"`
	Offset    optInt64            `json:"offset"`
	Timestamp *jstring            `json:"timestamp"`
	ShiftBy   optInt64            `json:"shift_by"`
	Topics    []offsetResetTopics `json:"topics"`
	DryRun    jbool               `json:"dry_run"`
}

type offsetResetTopics struct {
	TopicName  *jstring `json:"topic_name"`
	Partitions []jint32 `json:"partitions"`
}

// reset checks an offset reset request.
func (req *offsetResetRequest) reset() (admin.OffsetReset, error) {
	r := admin.OffsetReset{DryRun: bool(req.DryRun)}
	if req.To == nil {
		return r, errPayload("to is required: earliest, latest, offset, timestamp or shift.")
	}
	r.To = string(*req.To)
	switch r.To {
	case admin.ResetEarliest, admin.ResetLatest, admin.ResetOffset, admin.ResetTimestamp, admin.ResetShift:
	default:
		return r, errPayload(`to must be earliest, latest, offset, timestamp or shift, not "` + r.To + `".`)
	}
	// Each of these fields goes with one mode, and that mode needs it.
	for _, f := range []struct {
		field, mode string
		given       bool
	}{
		{"offset", admin.ResetOffset, req.Offset.Set},
		{"timestamp", admin.ResetTimestamp, req.Timestamp != nil},
		{"shift_by", admin.ResetShift, req.ShiftBy.Set},
	} {
		switch {
		case r.To == f.mode && !f.given:
			return r, errPayload(f.field + " is required with to=" + f.mode + ".")
		case r.To != f.mode && f.given:
			return r, errPayload(f.field + " is only valid with to=" + f.mode + ".")
		}
	}
	switch r.To {
	case admin.ResetOffset:
		if req.Offset.V < 0 {
			return r, errPayload("offset must not be negative.")
		}
		r.Offset = int64(req.Offset.V)
	case admin.ResetTimestamp:
		t, ok := codec.ParseTime([]byte(*req.Timestamp), false)
		if !ok {
			return r, errPayload(`timestamp must be an ISO-8601 date and time with a zone, such as "2024-05-01T12:00:00Z", not "` + string(*req.Timestamp) + `".`)
		}
		r.Timestamp = t
	case admin.ResetShift:
		r.ShiftBy = int64(req.ShiftBy.V)
	}
	if len(req.Topics) > 0 {
		r.Topics = make(map[string][]int32, len(req.Topics))
		for _, t := range req.Topics {
			if t.TopicName == nil || *t.TopicName == "" {
				return r, errPayload("topics[].topic_name is required.")
			}
			topic := string(*t.TopicName)
			if _, dup := r.Topics[topic]; dup {
				return r, errPayload("Topic " + topic + " is listed twice.")
			}
			for _, p := range t.Partitions {
				if p < 0 {
					return r, errPayload("topics[].partitions must not be negative.")
				}
			}
			r.Topics[topic] = int32s(t.Partitions)
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
