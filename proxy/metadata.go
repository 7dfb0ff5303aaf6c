package proxy

import (
	"context"
	"slices"

	"github.com/bytedance/sonic"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/valyala/fasthttp"
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

func writeJSON(ctx *fasthttp.RequestCtx, v any) error {
	b, err := sonic.ConfigDefault.Marshal(v)
	if err != nil {
		return err
	}
	ctx.SetBody(b)
	return nil
}

func adminContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), adminTimeout)
}

// root is GET / and POST /: an empty object, as Confluent's liveness no-op.
func (s *Server) root(ctx *fasthttp.RequestCtx) error {
	ctx.SetBodyString("{}")
	return nil
}

// listBrokers is GET /brokers.
func (s *Server) listBrokers(ctx *fasthttp.RequestCtx) error {
	c, cancel := adminContext()
	defer cancel()
	brokers, err := s.admin.ListBrokers(c)
	if err != nil {
		return err
	}
	ids := brokers.NodeIDs()
	slices.Sort(ids)
	return writeJSON(ctx, brokerList{Brokers: ids})
}

// listTopics is GET /topics: topic names, internal topics excluded.
func (s *Server) listTopics(ctx *fasthttp.RequestCtx) error {
	c, cancel := adminContext()
	defer cancel()
	topics, err := s.admin.ListTopics(c)
	if err != nil {
		return err
	}
	names := topics.Names()
	slices.Sort(names)
	if names == nil {
		names = []string{}
	}
	return writeJSON(ctx, names)
}

// topicDetail fetches the metadata of one existing topic.
func (s *Server) topicDetail(c context.Context, topic string) (kadm.TopicDetail, error) {
	md, err := s.admin.Metadata(c, topic)
	if err != nil {
		return kadm.TopicDetail{}, err
	}
	td, ok := md.Topics[topic]
	if !ok {
		return kadm.TopicDetail{}, errTopicNotFound
	}
	if td.Err != nil {
		return kadm.TopicDetail{}, td.Err
	}
	return td, nil
}

// getTopic is GET /topics/{topic}: configs (defaults included) and
// partitions.
func (s *Server) getTopic(ctx *fasthttp.RequestCtx) error {
	topic, err := pathParam(ctx, "topic")
	if err != nil {
		return err
	}
	c, cancel := adminContext()
	defer cancel()
	td, err := s.topicDetail(c, topic)
	if err != nil {
		return err
	}
	rcs, err := s.admin.DescribeTopicConfigs(c, topic)
	if err != nil {
		return err
	}
	rc, err := rcs.On(topic, nil)
	if err == nil {
		err = rc.Err
	}
	if err != nil {
		return err
	}
	configs := make(map[string]string, len(rc.Configs))
	for _, cfg := range rc.Configs {
		if cfg.Value != nil {
			configs[cfg.Key] = *cfg.Value
		}
	}
	return writeJSON(ctx, topicInfo{Name: topic, Configs: configs, Partitions: partitionsOf(td)})
}

// listPartitions is GET /topics/{topic}/partitions.
func (s *Server) listPartitions(ctx *fasthttp.RequestCtx) error {
	topic, err := pathParam(ctx, "topic")
	if err != nil {
		return err
	}
	c, cancel := adminContext()
	defer cancel()
	td, err := s.topicDetail(c, topic)
	if err != nil {
		return err
	}
	return writeJSON(ctx, partitionsOf(td))
}

// getPartition is GET /topics/{topic}/partitions/{partition}.
func (s *Server) getPartition(ctx *fasthttp.RequestCtx) error {
	topic, p, err := s.topicPartition(ctx)
	if err != nil {
		return err
	}
	c, cancel := adminContext()
	defer cancel()
	td, err := s.topicDetail(c, topic)
	if err != nil {
		return err
	}
	for _, pi := range partitionsOf(td) {
		if pi.Partition == p {
			return writeJSON(ctx, pi)
		}
	}
	return errPartitionNotFound
}

// getPartitionOffsets is GET /topics/{topic}/partitions/{partition}/offsets.
func (s *Server) getPartitionOffsets(ctx *fasthttp.RequestCtx) error {
	topic, p, err := s.topicPartition(ctx)
	if err != nil {
		return err
	}
	c, cancel := adminContext()
	defer cancel()
	start, end, err := s.partitionRange(c, topic, p)
	if err != nil {
		return err
	}
	return writeJSON(ctx, partitionOffsets{Beginning: start, End: end})
}

// partitionRange returns the first and the next offset of an existing
// partition: 40403 for an unknown topic, 40402 for an unknown partition.
func (s *Server) partitionRange(c context.Context, topic string, p int32) (start, end int64, err error) {
	td, err := s.topicDetail(c, topic)
	if err != nil {
		return 0, 0, err
	}
	if _, ok := td.Partitions[p]; !ok {
		return 0, 0, errPartitionNotFound
	}
	starts, err := s.admin.ListStartOffsets(c, topic)
	if err != nil {
		return 0, 0, err
	}
	ends, err := s.admin.ListEndOffsets(c, topic)
	if err != nil {
		return 0, 0, err
	}
	so, ok1 := starts.Lookup(topic, p)
	eo, ok2 := ends.Lookup(topic, p)
	switch {
	case !ok1 || !ok2:
		return 0, 0, errPartitionNotFound
	case so.Err != nil:
		return 0, 0, so.Err
	case eo.Err != nil:
		return 0, 0, eo.Err
	}
	return so.Offset, eo.Offset, nil
}

func (s *Server) topicPartition(ctx *fasthttp.RequestCtx) (string, int32, error) {
	topic, err := pathParam(ctx, "topic")
	if err != nil {
		return "", 0, err
	}
	p, err := partitionParam(ctx)
	return topic, p, err
}

func partitionsOf(td kadm.TopicDetail) []partitionInfo {
	out := make([]partitionInfo, 0, len(td.Partitions))
	for _, pd := range td.Partitions.Sorted() {
		pi := partitionInfo{Partition: pd.Partition, Leader: pd.Leader, Replicas: make([]replicaInfo, 0, len(pd.Replicas))}
		if pd.Err == kerr.LeaderNotAvailable || pd.Leader < 0 {
			pi.Leader = -1
		}
		for _, r := range pd.Replicas {
			pi.Replicas = append(pi.Replicas, replicaInfo{Broker: r, Leader: r == pd.Leader, InSync: slices.Contains(pd.ISR, r)})
		}
		out = append(out, pi)
	}
	return out
}
