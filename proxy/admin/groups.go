package admin

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
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

// Lag is a group's committed offset of one partition against the
// partition's end.
type Lag struct {
	TopicPartition
	Current int64
	// End is the partition's last stable offset (READ_COMMITTED).
	End int64
	// Member is the member the partition is assigned to, if any.
	Member *Member
}

// Lag is how far behind the end it is; never negative.
func (l Lag) Lag() int64 { return max(0, l.End-l.Current) }

// Lags returns the group's lag on each partition it has committed an
// offset for, by topic then partition. A group the cluster lacks is
// ErrGroupNotFound; one without committed offsets ErrNoGroupOffsets.
func (c *Client) Lags(ctx context.Context, group string) ([]Lag, error) {
	g, err := c.Group(ctx, group)
	if err != nil {
		return nil, err
	}
	committed, err := c.committed(ctx, group)
	if err != nil {
		return nil, err
	}
	if len(committed) == 0 {
		return nil, ErrNoGroupOffsets
	}
	ends, err := c.adm.ListCommittedOffsets(ctx, topicsOf(committed)...)
	if err != nil && !partial(err) {
		return nil, err
	}
	owner := map[TopicPartition]*Member{}
	for i := range g.Members {
		for _, tp := range g.Members[i].Assigned {
			owner[tp] = &g.Members[i]
		}
	}
	out := make([]Lag, 0, len(committed))
	for _, o := range committed {
		e, ok := ends.Lookup(o.Topic, o.Partition)
		if !ok || e.Err != nil || e.Offset < 0 {
			continue // topic deleted, or its leader unknown: no end to measure against
		}
		out = append(out, Lag{TopicPartition: o.TopicPartition, Current: o.Current, End: e.Offset, Member: owner[o.TopicPartition]})
	}
	return out, nil
}

// partial is an error of some shards of a sharded request only: the
// partitions of the others were answered.
func partial(err error) bool {
	var se *kadm.ShardErrors
	return errors.As(err, &se) && !se.AllFailed
}

// committedOffset is a group's committed offset of a partition.
type committedOffset struct {
	TopicPartition
	Current int64
}

// committed returns the group's committed offsets, by topic then
// partition.
func (c *Client) committed(ctx context.Context, group string) ([]committedOffset, error) {
	fetched, err := c.adm.FetchOffsets(ctx, group)
	if err != nil {
		if errors.Is(err, kerr.GroupIDNotFound) {
			return nil, nil
		}
		return nil, err
	}
	var out []committedOffset
	for t, ps := range fetched {
		for p, o := range ps {
			if o.Err != nil {
				return nil, o.Err
			}
			if o.At >= 0 {
				out = append(out, committedOffset{TopicPartition{t, p}, o.At})
			}
		}
	}
	slices.SortFunc(out, func(a, b committedOffset) int { return compareTP(a.TopicPartition, b.TopicPartition) })
	return out, nil
}

func topicsOf(os []committedOffset) []string {
	var ts []string
	for _, o := range os {
		if len(ts) == 0 || ts[len(ts)-1] != o.Topic {
			ts = append(ts, o.Topic)
		}
	}
	return ts
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

// Reset modes of OffsetReset.
const (
	ResetEarliest  = "earliest"
	ResetLatest    = "latest"
	ResetOffset    = "offset"
	ResetTimestamp = "timestamp"
	ResetShift     = "shift"
)

// OffsetReset moves a group's committed offsets.
type OffsetReset struct {
	// To is one of the Reset modes.
	To string
	// Offset is the offset of ResetOffset.
	Offset int64
	// Timestamp is the time of ResetTimestamp: each partition moves to
	// its first record at or after it (or its end).
	Timestamp time.Time
	// ShiftBy is what ResetShift adds to each committed offset.
	ShiftBy int64
	// Topics are the partitions to move, by topic (nil partitions: all
	// of the topic's); none: every partition the group has an offset for.
	Topics map[string][]int32
	// DryRun computes the new offsets without committing them.
	DryRun bool
}

// OffsetMove is one partition's move.
type OffsetMove struct {
	TopicPartition
	// Current is the committed offset before the reset; nil when the group
	// had none for the partition.
	Current *int64
	New     int64
}

// NoOffsetToShiftError is a shift of a partition the group has no
// committed offset for. Its message is for the caller.
type NoOffsetToShiftError struct{ TopicPartition }

func (e *NoOffsetToShiftError) Error() string {
	return fmt.Sprintf("Cannot shift partition %d of topic %s: the group has no committed offset for it.", e.Partition, e.Topic)
}

// ResetOffsets moves the committed offsets of a group without members, as
// kafka-consumer-groups --reset-offsets does, each new offset kept within
// the partition's earliest and latest offsets, and returns the moves by
// topic then partition. A group with members is *GroupNotEmptyError. A
// group the cluster lacks is ErrGroupNotFound unless r names its topics:
// then the reset creates the group's offsets. A named topic or partition
// the cluster lacks is ErrTopicNotFound or ErrPartitionNotFound.
func (c *Client) ResetOffsets(ctx context.Context, group string, r OffsetReset) ([]OffsetMove, error) {
	g, err := c.Group(ctx, group)
	switch {
	case errors.Is(err, ErrGroupNotFound) && len(r.Topics) > 0:
	case err != nil:
		return nil, err
	case len(g.Members) > 0:
		return nil, &GroupNotEmptyError{Group: group}
	}
	committed, err := c.committed(ctx, group)
	if err != nil {
		return nil, err
	}
	current := make(map[TopicPartition]int64, len(committed))
	for _, o := range committed {
		current[o.TopicPartition] = o.Current
	}
	scope, err := c.resetScope(ctx, r.Topics, committed)
	if err != nil {
		return nil, err
	}
	out := make([]OffsetMove, 0, len(scope))
	if len(scope) == 0 {
		return out, nil
	}
	topics := make([]string, 0, len(scope))
	for _, tp := range scope {
		if len(topics) == 0 || topics[len(topics)-1] != tp.Topic {
			topics = append(topics, tp.Topic)
		}
	}
	starts, err := c.adm.ListStartOffsets(ctx, topics...)
	if err != nil {
		return nil, err
	}
	ends, err := c.adm.ListEndOffsets(ctx, topics...)
	if err != nil {
		return nil, err
	}
	var after kadm.ListedOffsets
	if r.To == ResetTimestamp {
		if after, err = c.adm.ListOffsetsAfterMilli(ctx, r.Timestamp.UnixMilli(), topics...); err != nil {
			return nil, err
		}
	}
	commit := make(kadm.Offsets)
	for _, tp := range scope {
		lo, err := listedOffset(starts, tp)
		if err != nil {
			return nil, err
		}
		hi, err := listedOffset(ends, tp)
		if err != nil {
			return nil, err
		}
		ro := OffsetMove{TopicPartition: tp}
		cur, has := current[tp]
		if has {
			ro.Current = &cur
		}
		switch r.To {
		case ResetEarliest:
			ro.New = lo
		case ResetLatest:
			ro.New = hi
		case ResetOffset:
			ro.New = r.Offset
		case ResetTimestamp:
			if ro.New, err = listedOffset(after, tp); err != nil {
				return nil, err
			}
		case ResetShift:
			if !has {
				return nil, &NoOffsetToShiftError{tp}
			}
			ro.New = cur + r.ShiftBy
		default:
			return nil, fmt.Errorf("unknown offset reset mode %q", r.To)
		}
		ro.New = min(max(ro.New, lo), hi)
		out = append(out, ro)
		commit.Add(kadm.Offset{Topic: tp.Topic, Partition: tp.Partition, At: ro.New, LeaderEpoch: -1})
	}
	if r.DryRun {
		return out, nil
	}
	resp, err := c.adm.CommitOffsets(ctx, group, commit)
	if err != nil {
		return nil, err
	}
	if err := resp.Error(); err != nil {
		// Members joined since the check: the coordinator refuses a
		// commit from outside the generation.
		if errors.Is(err, kerr.UnknownMemberID) || errors.Is(err, kerr.IllegalGeneration) ||
			errors.Is(err, kerr.RebalanceInProgress) || errors.Is(err, kerr.StaleMemberEpoch) {
			return nil, &GroupNotEmptyError{Group: group}
		}
		return nil, err
	}
	return out, nil
}

// resetScope is the partitions a reset moves, by topic then partition.
func (c *Client) resetScope(ctx context.Context, topics map[string][]int32, committed []committedOffset) ([]TopicPartition, error) {
	var scope []TopicPartition
	if len(topics) == 0 {
		for _, o := range committed {
			scope = append(scope, o.TopicPartition)
		}
		if len(scope) == 0 {
			return nil, nil
		}
		// Leave out the offsets of deleted topics.
		md, err := c.adm.Metadata(ctx, topicsOf(committed)...)
		if err != nil {
			return nil, err
		}
		return slices.DeleteFunc(scope, func(tp TopicPartition) bool {
			td, ok := md.Topics[tp.Topic]
			if !ok || td.Err != nil {
				return true
			}
			_, ok = td.Partitions[tp.Partition]
			return !ok
		}), nil
	}
	names := make([]string, 0, len(topics))
	for t := range topics {
		names = append(names, t)
	}
	slices.Sort(names)
	infos, err := c.Topics(ctx, false, names...)
	if err != nil {
		return nil, err
	}
	for _, ti := range infos {
		want := topics[ti.Name]
		if len(want) == 0 {
			for _, p := range ti.Partitions {
				scope = append(scope, TopicPartition{ti.Name, p.ID})
			}
			continue
		}
		for _, p := range want {
			if !slices.ContainsFunc(ti.Partitions, func(pi Partition) bool { return pi.ID == p }) {
				return nil, ErrPartitionNotFound
			}
			scope = append(scope, TopicPartition{ti.Name, p})
		}
	}
	slices.SortFunc(scope, compareTP)
	return slices.Compact(scope), nil
}

func listedOffset(l kadm.ListedOffsets, tp TopicPartition) (int64, error) {
	o, ok := l.Lookup(tp.Topic, tp.Partition)
	switch {
	case !ok:
		return 0, ErrPartitionNotFound
	case o.Err != nil:
		return 0, o.Err
	}
	return o.Offset, nil
}
