// Package admin answers krest's metadata and administration questions about
// the Kafka cluster with franz-go's kadm (and kmsg where kadm lacks a call),
// as plain Go values: the cluster and its brokers, topics (create, delete,
// grow), partitions, offsets and record deletion, configs (describe and
// incremental alter), partition reassignments, consumer groups (describe,
// lags, delete, offset reset) and ACLs. It knows nothing of HTTP: failures
// are error values (ErrTopicNotFound, ErrPartitionNotFound, KafkaError with
// Kafka's own message, ...) that the HTTP layer maps to status codes.
package admin

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Errors of the queries.
var (
	// ErrTopicNotFound means the cluster has no topic of that name.
	ErrTopicNotFound = errors.New("topic not found")
	// ErrPartitionNotFound means the topic has no partition of that id.
	ErrPartitionNotFound = errors.New("partition not found")
)

// Client queries one cluster. It is safe for concurrent use.
type Client struct {
	cl  *kgo.Client
	adm *kadm.Client
	// OnDelete, when set, runs after a topic is deleted through the
	// client: krest purges the topic from its other clients there.
	OnDelete func(topic string)
}

// PurgeTopic makes the client forget topic (its id and partitions), so
// that a topic created again under the name is seen as new.
func (c *Client) PurgeTopic(topic string) { c.cl.PurgeTopicsFromClient(topic) }

// New returns a Client over cl, a client that must not auto-create topics
// (so that a question about a missing topic never creates it).
func New(cl *kgo.Client) *Client { return &Client{cl: cl, adm: kadm.NewClient(cl)} }

// Kadm returns the underlying kadm client, for packages that need its
// group and offset calls.
func (c *Client) Kadm() *kadm.Client { return c.adm }

// Topic is a topic's metadata.
type Topic struct {
	Name string
	// Configs are the topic's configs, defaults included; keys without a
	// value (sensitive ones) are left out.
	Configs    map[string]string
	Partitions []Partition
}

// Partition is a partition's metadata.
type Partition struct {
	ID       int32
	Leader   int32 // -1 when the partition has no leader
	Replicas []Replica
}

// Replica is one replica of a partition.
type Replica struct {
	Broker int32
	Leader bool
	InSync bool
}

// Brokers returns the ids of the cluster's brokers, sorted.
func (c *Client) Brokers(ctx context.Context) ([]int32, error) {
	brokers, err := c.adm.ListBrokers(ctx)
	if err != nil {
		return nil, err
	}
	ids := brokers.NodeIDs()
	slices.Sort(ids)
	return ids, nil
}

// TopicNames returns the names of the cluster's topics, internal topics
// excluded, sorted; never nil. It asks the cluster each time, as
// Confluent's proxy does, rather than franz-go's metadata cache: a topic
// that a produce (on another client) has just created is listed at once.
func (c *Client) TopicNames(ctx context.Context) ([]string, error) {
	req := kmsg.NewPtrMetadataRequest() // nil Topics: all of them
	resp, err := req.RequestWith(ctx, c.cl)
	if err != nil {
		return nil, err
	}
	names := []string{}
	for _, t := range resp.Topics {
		if t.Topic == nil || t.IsInternal || t.ErrorCode != 0 {
			continue
		}
		names = append(names, *t.Topic)
	}
	slices.Sort(names)
	return names, nil
}

// detail fetches the metadata of one existing topic.
func (c *Client) detail(ctx context.Context, topic string) (kadm.TopicDetail, error) {
	md, err := c.adm.Metadata(ctx, topic)
	if err != nil {
		return kadm.TopicDetail{}, err
	}
	td, ok := md.Topics[topic]
	if !ok {
		return kadm.TopicDetail{}, ErrTopicNotFound
	}
	if td.Err != nil {
		return kadm.TopicDetail{}, td.Err
	}
	return td, nil
}

// Topic returns a topic's configs and partitions.
func (c *Client) Topic(ctx context.Context, topic string) (Topic, error) {
	td, err := c.detail(ctx, topic)
	if err != nil {
		return Topic{}, err
	}
	rcs, err := c.adm.DescribeTopicConfigs(ctx, topic)
	if err != nil {
		return Topic{}, err
	}
	rc, err := rcs.On(topic, nil)
	if err == nil {
		err = rc.Err
	}
	if err != nil {
		return Topic{}, err
	}
	configs := make(map[string]string, len(rc.Configs))
	for _, cfg := range rc.Configs {
		if cfg.Value != nil {
			configs[cfg.Key] = *cfg.Value
		}
	}
	return Topic{Name: topic, Configs: configs, Partitions: partitionsOf(td)}, nil
}

// Partitions returns a topic's partitions, by id.
func (c *Client) Partitions(ctx context.Context, topic string) ([]Partition, error) {
	td, err := c.detail(ctx, topic)
	if err != nil {
		return nil, err
	}
	return partitionsOf(td), nil
}

// Partition returns one partition of a topic.
func (c *Client) Partition(ctx context.Context, topic string, p int32) (Partition, error) {
	parts, err := c.Partitions(ctx, topic)
	if err != nil {
		return Partition{}, err
	}
	for _, pi := range parts {
		if pi.ID == p {
			return pi, nil
		}
	}
	return Partition{}, ErrPartitionNotFound
}

// Offsets returns the first and the next offset of an existing partition.
func (c *Client) Offsets(ctx context.Context, topic string, p int32) (start, end int64, err error) {
	td, err := c.detail(ctx, topic)
	if err != nil {
		return 0, 0, err
	}
	if _, ok := td.Partitions[p]; !ok {
		return 0, 0, ErrPartitionNotFound
	}
	starts, err := c.adm.ListStartOffsets(ctx, topic)
	if err != nil {
		return 0, 0, err
	}
	ends, err := c.adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return 0, 0, err
	}
	so, ok1 := starts.Lookup(topic, p)
	eo, ok2 := ends.Lookup(topic, p)
	switch {
	case !ok1 || !ok2:
		return 0, 0, ErrPartitionNotFound
	case so.Err != nil:
		return 0, 0, so.Err
	case eo.Err != nil:
		return 0, 0, eo.Err
	}
	return so.Offset, eo.Offset, nil
}

// OffsetAfter returns the offset of the first record of a partition whose
// timestamp is at or after t, or the partition's end offset when there is
// none.
func (c *Client) OffsetAfter(ctx context.Context, topic string, p int32, t time.Time) (int64, error) {
	listed, err := c.adm.ListOffsetsAfterMilli(ctx, t.UnixMilli(), topic)
	if err != nil {
		return 0, err
	}
	o, ok := listed.Lookup(topic, p)
	switch {
	case !ok:
		if _, missing := listed.Lookup(topic, -1); missing {
			return 0, ErrTopicNotFound
		}
		return 0, ErrPartitionNotFound
	case o.Err != nil:
		return 0, o.Err
	}
	return o.Offset, nil
}

func partitionsOf(td kadm.TopicDetail) []Partition {
	out := make([]Partition, 0, len(td.Partitions))
	for _, pd := range td.Partitions.Sorted() {
		pi := Partition{ID: pd.Partition, Leader: pd.Leader, Replicas: make([]Replica, 0, len(pd.Replicas))}
		if pd.Err == kerr.LeaderNotAvailable || pd.Leader < 0 {
			pi.Leader = -1
		}
		for _, r := range pd.Replicas {
			pi.Replicas = append(pi.Replicas, Replica{Broker: r, Leader: r == pd.Leader, InSync: slices.Contains(pd.ISR, r)})
		}
		out = append(out, pi)
	}
	return out
}
