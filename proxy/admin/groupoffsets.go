package admin

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

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
			ro.New = addClamped(cur, r.ShiftBy)
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

// addClamped is a + b, held at the int64 limits instead of wrapping
// around: a shift by an absurd amount moves to the partition's end (or
// start), not past the other side.
func addClamped(a, b int64) int64 {
	switch {
	case b > 0 && a > math.MaxInt64-b:
		return math.MaxInt64
	case b < 0 && a < math.MinInt64-b:
		return math.MinInt64
	}
	return a + b
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
