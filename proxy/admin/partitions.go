package admin

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Errors of the partition administration calls. Each wraps the Kafka error
// it stands for, whose message it carries.
var (
	// ErrNoReassignment means a partition whose reassignment was to be
	// cancelled has none in progress.
	ErrNoReassignment = errors.New("no reassignment in progress")
	// ErrOffsetOutOfRange means records were to be deleted before an
	// offset past the partition's high watermark, or a negative one other
	// than -1.
	ErrOffsetOutOfRange = errors.New("offset out of range")
)

// PartitionReplica is one replica of a partition of a topic.
type PartitionReplica struct {
	Topic     string
	Partition int32
	Replica
}

// BrokerReplicas returns the partition replicas the cluster's metadata
// assigns to a broker, internal topics included, sorted by topic and
// partition; never nil. A broker the cluster lacks is ErrBrokerNotFound.
func (c *Client) BrokerReplicas(ctx context.Context, broker int32) ([]PartitionReplica, error) {
	md, err := c.adm.Metadata(ctx) // no topics: all of them, and the brokers
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(md.Brokers, func(b kadm.BrokerDetail) bool { return b.NodeID == broker }) {
		return nil, ErrBrokerNotFound
	}
	out := []PartitionReplica{}
	for _, td := range md.Topics {
		if td.Err != nil {
			continue // deleted while listed
		}
		for _, p := range partitionsOf(td) {
			for _, r := range p.Replicas {
				if r.Broker == broker {
					out = append(out, PartitionReplica{Topic: td.Topic, Partition: p.ID, Replica: r})
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b PartitionReplica) int {
		return cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
	return out, nil
}

// Reassignment is a partition reassignment in progress.
type Reassignment struct {
	Topic     string
	Partition int32
	// Adding and Removing are the replicas being added to and removed
	// from the partition; never nil.
	Adding, Removing []int32
}

// Reassignments lists the partition reassignments in progress, sorted by
// topic and partition: all of them when topic is "", else those of topic,
// else, when partition is not negative, that of the one partition. A topic
// the cluster lacks has none.
func (c *Client) Reassignments(ctx context.Context, topic string, partition int32) ([]Reassignment, error) {
	req := kmsg.NewPtrListPartitionReassignmentsRequest() // nil Topics: all of them
	req.TimeoutMillis = 30000
	resp, err := req.RequestWith(ctx, c.cl)
	if err != nil {
		return nil, err
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return nil, withMessage(err, reassignmentMessage(resp.ErrorMessage))
	}
	out := []Reassignment{}
	for _, t := range resp.Topics {
		if topic != "" && t.Topic != topic {
			continue
		}
		for _, p := range t.Partitions {
			if partition >= 0 && p.Partition != partition {
				continue
			}
			out = append(out, Reassignment{
				Topic: t.Topic, Partition: p.Partition,
				Adding: reassignmentBrokers(p.AddingReplicas), Removing: reassignmentBrokers(p.RemovingReplicas),
			})
		}
	}
	slices.SortFunc(out, func(a, b Reassignment) int {
		return cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
	return out, nil
}

// Reassign asks the controller to move a partition onto replicas (the
// first of them the preferred leader) and returns the reassignment as
// Kafka lists it once accepted: with nothing to add or remove when it has
// already completed.
func (c *Client) Reassign(ctx context.Context, topic string, p int32, replicas []int32) (Reassignment, error) {
	if replicas == nil {
		replicas = []int32{} // nil would cancel; Kafka refuses an empty list
	}
	if err := c.alterAssignment(ctx, topic, p, replicas); err != nil {
		return Reassignment{}, err
	}
	now, err := c.Reassignments(ctx, topic, p)
	if err != nil {
		return Reassignment{}, err
	}
	if len(now) == 1 {
		return now[0], nil
	}
	return Reassignment{Topic: topic, Partition: p, Adding: []int32{}, Removing: []int32{}}, nil
}

// CancelReassignment cancels the reassignment in progress of a partition,
// which returns to its replicas from before it; ErrNoReassignment when
// there is none.
func (c *Client) CancelReassignment(ctx context.Context, topic string, p int32) error {
	err := c.alterAssignment(ctx, topic, p, nil)
	if errors.Is(err, kerr.NoReassignmentInProgress) {
		return fmt.Errorf("%w: %w", ErrNoReassignment, err)
	}
	return err
}

// alterAssignment sends one AlterPartitionReassignments; nil replicas
// cancel.
func (c *Client) alterAssignment(ctx context.Context, topic string, p int32, replicas []int32) error {
	req := kadm.AlterPartitionAssignmentsReq{}
	if replicas == nil {
		req.CancelAssign(topic, p)
	} else {
		req.Assign(topic, p, replicas)
	}
	resp, err := c.adm.AlterPartitionAssignments(ctx, req)
	if err != nil {
		var em *kadm.ErrAndMessage
		if errors.As(err, &em) {
			return withMessage(em.Err, em.ErrMessage)
		}
		return err
	}
	r, ok := resp[topic][p]
	if !ok {
		return errors.New("kafka answered AlterPartitionReassignments without the partition")
	}
	if r.Err != nil {
		return withMessage(r.Err, r.ErrMessage)
	}
	return nil
}

// DeleteRecords deletes the records of an existing partition before offset
// (-1: up to its high watermark) and returns the partition's new low
// watermark, its earliest offset. An offset past the high watermark is
// ErrOffsetOutOfRange.
func (c *Client) DeleteRecords(ctx context.Context, topic string, p int32, before int64) (int64, error) {
	td, err := c.detail(ctx, topic)
	if err != nil {
		return 0, err
	}
	if _, ok := td.Partitions[p]; !ok {
		return 0, ErrPartitionNotFound
	}
	os := kadm.Offsets{}
	os.AddOffset(topic, p, before, -1)
	resp, err := c.adm.DeleteRecords(ctx, os)
	if err != nil {
		return 0, err
	}
	r, ok := resp[topic][p]
	switch {
	case !ok:
		return 0, errors.New("kafka answered DeleteRecords without the partition")
	case errors.Is(r.Err, kerr.OffsetOutOfRange):
		return 0, fmt.Errorf("%w: %w", ErrOffsetOutOfRange, r.Err)
	case r.Err != nil:
		return 0, r.Err
	}
	return r.LowWatermark, nil
}

// reassignmentBrokers is a list of broker ids of a reassignment, never
// nil.
func reassignmentBrokers(s []int32) []int32 {
	if s == nil {
		return []int32{}
	}
	return s
}

// reassignmentMessage is Kafka's optional error message.
func reassignmentMessage(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
