package admin

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Errors of the consumer group calls.
var (
	// ErrGroupNotFound means the cluster has no consumer group of that id
	// (or the caller may not describe it).
	ErrGroupNotFound = errors.New("consumer group not found")
	// ErrNoGroupOffsets means the group has committed no offsets.
	ErrNoGroupOffsets = errors.New("consumer group has no committed offsets")
)

// GroupNotEmptyError is a delete or an offset reset of a group that has
// active members (Kafka's NON_EMPTY_GROUP). Its message is for the
// caller.
type GroupNotEmptyError struct{ Group string }

func (e *GroupNotEmptyError) Error() string {
	return fmt.Sprintf("Consumer group %s is not empty: stop its active members first.", e.Group)
}

// Unwrap is Kafka's NON_EMPTY_GROUP.
func (e *GroupNotEmptyError) Unwrap() error { return kerr.NonEmptyGroup }

// Group is a consumer group as Kafka's admin client describes it.
type Group struct {
	ID string
	// Simple is a classic group without a protocol type: one that only
	// has offsets, committed by clients outside any group membership.
	Simple bool
	// Assignor is the partition assignor: the classic group's protocol or
	// the consumer group's server-side assignor.
	Assignor string
	// State is UNKNOWN, PREPARING_REBALANCE, COMPLETING_REBALANCE,
	// ASSIGNING, RECONCILING, STABLE, DEAD or EMPTY.
	State string
	// Type is CLASSIC or CONSUMER.
	Type string
	// Mixed is a CONSUMER group some of whose members still use the
	// classic protocol.
	Mixed       bool
	Coordinator int32
	// Members are sorted by id.
	Members []Member
}

// Member is one member of a group.
type Member struct {
	ID         string
	InstanceID *string // static membership
	ClientID   string
	Host       string
	// Assigned are the member's partitions, by topic then partition.
	Assigned []TopicPartition
}

// TopicPartition names a partition of a topic.
type TopicPartition struct {
	Topic     string
	Partition int32
}

func compareTP(a, b TopicPartition) int {
	if c := strings.Compare(a.Topic, b.Topic); c != 0 {
		return c
	}
	return cmp.Compare(a.Partition, b.Partition)
}

// Groups describes every consumer group of the cluster (classic groups of
// protocol type "consumer" or none, and KIP-848 consumer groups), sorted
// by id. Groups the caller may not describe are left out.
func (c *Client) Groups(ctx context.Context) ([]Group, error) {
	listed, err := c.adm.ListGroupsByType(ctx, []string{"classic", "consumer"})
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, g := range listed.Sorted() {
		if g.ProtocolType == "consumer" || g.ProtocolType == "" {
			ids = append(ids, g.Group)
		}
	}
	return c.describeGroups(ctx, ids)
}

// Group describes one consumer group; one the cluster lacks is
// ErrGroupNotFound.
func (c *Client) Group(ctx context.Context, id string) (Group, error) {
	gs, err := c.describeGroups(ctx, []string{id})
	if err != nil {
		return Group{}, err
	}
	if len(gs) == 0 {
		return Group{}, ErrGroupNotFound
	}
	return gs[0], nil
}

// describeGroups describes groups as Kafka's admin client does: with
// ConsumerGroupDescribe, falling back to DescribeGroups for classic groups
// and brokers without it. Groups that do not exist, that are not consumer
// groups or that the caller may not describe are left out.
func (c *Client) describeGroups(ctx context.Context, ids []string) ([]Group, error) {
	if len(ids) == 0 {
		return []Group{}, nil
	}
	out := make([]Group, 0, len(ids))
	var classic []string
	req := kmsg.NewPtrConsumerGroupDescribeRequest()
	req.Groups = ids
	for _, shard := range c.cl.RequestSharded(ctx, req) {
		sent, _ := shard.Req.(*kmsg.ConsumerGroupDescribeRequest)
		if shard.Err != nil {
			if sent == nil || !fallBack(shard.Err) {
				return nil, shard.Err
			}
			classic = append(classic, sent.Groups...)
			continue
		}
		resp := shard.Resp.(*kmsg.ConsumerGroupDescribeResponse)
		for _, rg := range resp.Groups {
			switch err := kerr.ErrorForCode(rg.ErrorCode); {
			case err == nil:
				out = append(out, consumerGroup(rg, shard.Meta.NodeID))
			case errors.Is(err, kerr.GroupIDNotFound), errors.Is(err, kerr.UnsupportedVersion):
				classic = append(classic, rg.Group)
			case errors.Is(err, kerr.GroupAuthorizationFailed):
			default:
				return nil, withMessage(err, unptr(rg.ErrorMessage))
			}
		}
	}
	if len(classic) > 0 {
		gs, err := c.describeClassic(ctx, classic)
		if err != nil {
			return nil, err
		}
		out = append(out, gs...)
	}
	slices.SortFunc(out, func(a, b Group) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// fallBack reports whether a failed ConsumerGroupDescribe is a broker
// without the API (before Kafka 4.0), whose groups are all classic.
func fallBack(err error) bool {
	return errors.Is(err, kerr.UnsupportedVersion) || strings.Contains(err.Error(), "too old")
}

func (c *Client) describeClassic(ctx context.Context, ids []string) ([]Group, error) {
	req := kmsg.NewPtrDescribeGroupsRequest()
	req.Groups = ids
	var out []Group
	for _, shard := range c.cl.RequestSharded(ctx, req) {
		if shard.Err != nil {
			return nil, shard.Err
		}
		resp := shard.Resp.(*kmsg.DescribeGroupsResponse)
		for _, rg := range resp.Groups {
			switch err := kerr.ErrorForCode(rg.ErrorCode); {
			case err == nil:
			case errors.Is(err, kerr.GroupIDNotFound), errors.Is(err, kerr.GroupAuthorizationFailed):
				continue
			default:
				return nil, withMessage(err, unptr(rg.ErrorMessage))
			}
			simple := rg.ProtocolType == ""
			if simple && rg.State == "Dead" || !simple && rg.ProtocolType != "consumer" {
				continue // no such group (before DescribeGroups v6), or not a consumer group
			}
			g := Group{
				ID: rg.Group, Simple: simple, Assignor: rg.Protocol, State: groupState(rg.State),
				Type: "CLASSIC", Coordinator: shard.Meta.NodeID, Members: make([]Member, 0, len(rg.Members)),
			}
			for _, rm := range rg.Members {
				m := Member{ID: rm.MemberID, InstanceID: rm.InstanceID, ClientID: rm.ClientID, Host: rm.ClientHost, Assigned: []TopicPartition{}}
				var a kmsg.ConsumerMemberAssignment
				if len(rm.MemberAssignment) > 0 && a.ReadFrom(rm.MemberAssignment) == nil {
					for _, t := range a.Topics {
						for _, p := range t.Partitions {
							m.Assigned = append(m.Assigned, TopicPartition{t.Topic, p})
						}
					}
				}
				g.Members = append(g.Members, m)
			}
			out = append(out, sortMembers(g))
		}
	}
	return out, nil
}

func consumerGroup(rg kmsg.ConsumerGroupDescribeResponseGroup, coordinator int32) Group {
	g := Group{
		ID: rg.Group, Assignor: rg.AssignorName, State: groupState(rg.State), Type: "CONSUMER",
		Coordinator: coordinator, Members: make([]Member, 0, len(rg.Members)),
	}
	for _, rm := range rg.Members {
		// Kafka's admin client counts a member whose type is unknown (-1)
		// or classic (0) as not upgraded.
		if rm.MemberType != 1 {
			g.Mixed = true
		}
		m := Member{ID: rm.MemberID, InstanceID: rm.InstanceID, ClientID: rm.ClientID, Host: rm.ClientHost, Assigned: []TopicPartition{}}
		for _, t := range rm.Assignment.TopicPartitions {
			for _, p := range t.Partitions {
				m.Assigned = append(m.Assigned, TopicPartition{t.Topic, p})
			}
		}
		g.Members = append(g.Members, m)
	}
	return sortMembers(g)
}

func sortMembers(g Group) Group {
	for _, m := range g.Members {
		slices.SortFunc(m.Assigned, compareTP)
	}
	slices.SortFunc(g.Members, func(a, b Member) int { return strings.Compare(a.ID, b.ID) })
	return g
}

// groupState renders Kafka's group state ("PreparingRebalance", "stable")
// as Confluent's proxy does (PREPARING_REBALANCE, STABLE).
func groupState(s string) string {
	switch strings.ToUpper(strings.ReplaceAll(s, "_", "")) {
	case "PREPARINGREBALANCE":
		return "PREPARING_REBALANCE"
	case "COMPLETINGREBALANCE":
		return "COMPLETING_REBALANCE"
	case "ASSIGNING":
		return "ASSIGNING"
	case "RECONCILING":
		return "RECONCILING"
	case "STABLE":
		return "STABLE"
	case "DEAD":
		return "DEAD"
	case "EMPTY":
		return "EMPTY"
	}
	return "UNKNOWN"
}

func unptr(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// DeleteGroup deletes a consumer group and its committed offsets. A group
// with members is *GroupNotEmptyError; one the cluster lacks
// ErrGroupNotFound.
func (c *Client) DeleteGroup(ctx context.Context, group string) error {
	resp, err := c.adm.DeleteGroups(ctx, group)
	if err != nil {
		return err
	}
	r, err := resp.On(group, nil)
	if err == nil {
		err = r.Err
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, kerr.GroupIDNotFound):
		return ErrGroupNotFound
	case errors.Is(err, kerr.NonEmptyGroup):
		return &GroupNotEmptyError{Group: group}
	}
	return withMessage(err, r.ErrMessage)
}
