package admin

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ErrBrokerNotFound means the cluster has no broker of that id.
var ErrBrokerNotFound = errors.New("broker not found")

// Cluster is what the cluster says of itself.
type Cluster struct {
	ID string
	// Controller is the active controller's id, -1 when unknown.
	Controller int32
	// Brokers are sorted by id.
	Brokers []Broker
}

// Broker is one broker of the cluster.
type Broker struct {
	ID   int32
	Host string
	Port int32
	Rack *string
}

// Cluster describes the cluster (the one bootstrap.servers points at).
func (c *Client) Cluster(ctx context.Context) (Cluster, error) {
	md, err := c.adm.BrokerMetadata(ctx)
	if err != nil {
		return Cluster{}, err
	}
	out := Cluster{ID: md.Cluster, Controller: md.Controller, Brokers: make([]Broker, 0, len(md.Brokers))}
	for _, b := range md.Brokers {
		out.Brokers = append(out.Brokers, Broker{ID: b.NodeID, Host: b.Host, Port: b.Port, Rack: b.Rack})
	}
	slices.SortFunc(out.Brokers, func(a, b Broker) int { return int(a.ID - b.ID) })
	return out, nil
}

// TopicInfo is a topic's partition layout, as v3 describes topics.
type TopicInfo struct {
	Name       string
	Internal   bool
	Partitions []Partition // sorted by id
	// AuthorizedOperations are what the asking identity may do with the
	// topic, in Kafka's names (READ, WRITE, ...), when asked for.
	AuthorizedOperations []string
}

// ReplicationFactor is the replica count of partition 0, as Kafka's
// admin client reports it.
func (t TopicInfo) ReplicationFactor() int {
	if len(t.Partitions) == 0 {
		return 0
	}
	return len(t.Partitions[0].Replicas)
}

// Topics describes the named topics, or every non-internal topic when no
// name is given, sorted by name; withOps asks for the caller's authorized
// operations too. A named topic the cluster lacks is ErrTopicNotFound.
func (c *Client) Topics(ctx context.Context, withOps bool, names ...string) ([]TopicInfo, error) {
	if withOps {
		ctx = kadm.WithAuthorizedOps(ctx)
	}
	md, err := c.adm.Metadata(ctx, names...)
	if err != nil {
		return nil, err
	}
	out := make([]TopicInfo, 0, len(md.Topics))
	for _, td := range md.Topics {
		if len(names) == 0 && td.IsInternal {
			continue
		}
		if td.Err != nil {
			if errors.Is(td.Err, kerr.UnknownTopicOrPartition) {
				if len(names) == 0 {
					continue // deleted while listed
				}
				return nil, ErrTopicNotFound
			}
			return nil, td.Err
		}
		ti := TopicInfo{Name: td.Topic, Internal: td.IsInternal, Partitions: partitionsOf(td), AuthorizedOperations: []string{}}
		if withOps {
			for _, op := range td.AuthorizedOperations {
				ti.AuthorizedOperations = append(ti.AuthorizedOperations, op.String())
			}
			slices.Sort(ti.AuthorizedOperations)
		}
		out = append(out, ti)
	}
	for _, n := range names {
		if !slices.ContainsFunc(out, func(t TopicInfo) bool { return t.Name == n }) {
			return nil, ErrTopicNotFound
		}
	}
	slices.SortFunc(out, func(a, b TopicInfo) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	return out, nil
}

// NewTopic is a topic to create. Partitions and ReplicationFactor of -1
// take the broker's defaults; Assignments, when set, decide both.
type NewTopic struct {
	Name              string
	Partitions        int32
	ReplicationFactor int16
	// Assignments maps each partition to its replicas' broker ids.
	Assignments map[int32][]int32
	Configs     map[string]*string
	// ValidateOnly asks the controller to check without creating.
	ValidateOnly bool
}

// CreateTopic creates t and returns its partition count and replication
// factor as the controller reports them (0 where it does not say).
func (c *Client) CreateTopic(ctx context.Context, t NewTopic) (partitions int32, rf int16, err error) {
	req := kmsg.NewPtrCreateTopicsRequest()
	req.TimeoutMillis = 30000
	req.ValidateOnly = t.ValidateOnly
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic = t.Name
	rt.NumPartitions, rt.ReplicationFactor = t.Partitions, t.ReplicationFactor
	if len(t.Assignments) > 0 {
		rt.NumPartitions, rt.ReplicationFactor = -1, -1
		ids := make([]int32, 0, len(t.Assignments))
		for p := range t.Assignments {
			ids = append(ids, p)
		}
		slices.Sort(ids)
		for _, p := range ids {
			a := kmsg.NewCreateTopicsRequestTopicReplicaAssignment()
			a.Partition, a.Replicas = p, t.Assignments[p]
			rt.ReplicaAssignment = append(rt.ReplicaAssignment, a)
		}
	}
	names := make([]string, 0, len(t.Configs))
	for k := range t.Configs {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		cfg := kmsg.NewCreateTopicsRequestTopicConfig()
		cfg.Name, cfg.Value = k, t.Configs[k]
		rt.Configs = append(rt.Configs, cfg)
	}
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, c.cl)
	if err != nil {
		return 0, 0, err
	}
	if len(resp.Topics) != 1 {
		return 0, 0, errors.New("kafka answered CreateTopics without the topic")
	}
	r := resp.Topics[0]
	if err := kerr.ErrorForCode(r.ErrorCode); err != nil {
		msg := ""
		if r.ErrorMessage != nil {
			msg = *r.ErrorMessage
		}
		return 0, 0, withMessage(err, msg)
	}
	return max(r.NumPartitions, 0), max(r.ReplicationFactor, 0), nil
}

// DeleteTopic deletes a topic.
func (c *Client) DeleteTopic(ctx context.Context, topic string) error {
	resp, err := c.adm.DeleteTopics(ctx, topic)
	if err != nil {
		return err
	}
	r, ok := resp[topic]
	if err := topicResult(ok, r.Err, r.ErrMessage); err != nil {
		return err
	}
	// Clients keep a topic's id until it is purged: one created again
	// under the name would be refused (UNKNOWN_TOPIC_ID).
	c.cl.PurgeTopicsFromClient(topic)
	if c.OnDelete != nil {
		c.OnDelete(topic)
	}
	return nil
}

// topicResult is the outcome of a request about one topic: ok says whether
// Kafka answered for the topic at all.
func topicResult(ok bool, err error, msg string) error {
	if !ok || errors.Is(err, kerr.UnknownTopicOrPartition) {
		return ErrTopicNotFound
	}
	if err != nil {
		return withMessage(err, msg)
	}
	return nil
}

// SetPartitionCount raises a topic's partition count to n. It returns once
// the brokers' metadata shows the new partitions (up to 5 s), so that a
// describe right after it, the answer to the request included, counts them:
// the controller commits them before every broker has learnt of them.
func (c *Client) SetPartitionCount(ctx context.Context, topic string, n int) error {
	resp, err := c.adm.UpdatePartitions(ctx, n, topic)
	if err != nil {
		return err
	}
	r, ok := resp[topic]
	if err := topicResult(ok, r.Err, r.ErrMessage); err != nil {
		return err
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if td, err := c.detail(ctx, topic); err != nil || len(td.Partitions) >= n {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

// KafkaError is an error Kafka answered with its own message, which says
// more than the error code's description ("Topic 't' already exists.").
type KafkaError struct {
	Err     *kerr.Error
	Message string
}

func (e *KafkaError) Error() string { return e.Message }
func (e *KafkaError) Unwrap() error { return e.Err }

// withMessage attaches Kafka's message to a Kafka error code, if it sent
// one.
func withMessage(err error, msg string) error {
	var ke *kerr.Error
	if msg == "" || !errors.As(err, &ke) {
		return err
	}
	return &KafkaError{Err: ke, Message: msg}
}

// FormatID renders a broker or partition id for a path or a message.
func FormatID(id int32) string { return strconv.FormatInt(int64(id), 10) }
