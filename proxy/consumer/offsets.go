package consumer

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

// Commit is one entry of a commit: the offset of the last record processed
// (Confluent's API) and what Kafka stores (that + 1).
type Commit struct {
	Topic     string
	Partition int32
	Consumed  int64  // the last record processed
	Committed int64  // what Kafka stores: Consumed + 1
	Metadata  string // stored with the offset
}

// Commit commits the given offsets (each the last processed record, so
// offset+1 is stored; Commit fills in Committed and returns explicit), or,
// with none given, everything Read delivered so far and nothing still
// buffered here. An instance that is not Consuming commits nothing, and
// fails with an *IllegalStateError when offsets are given.
func (c *Instance) Commit(ctx context.Context, explicit []Commit) ([]Commit, error) {
	if c.cl == nil {
		if len(explicit) == 0 {
			return []Commit{}, nil
		}
		return nil, illegalState("This consumer is not subscribed to any topic or assigned any partition")
	}
	if len(explicit) == 0 {
		return c.commitDeliveredList(ctx)
	}
	offs := make(map[string]map[int32]kgo.EpochOffset)
	var ko kadm.Offsets
	for i := range explicit {
		e := &explicit[i]
		e.Committed = e.Consumed + 1
		if offs[e.Topic] == nil {
			offs[e.Topic] = map[int32]kgo.EpochOffset{}
		}
		offs[e.Topic][e.Partition] = kgo.EpochOffset{Epoch: -1, Offset: e.Committed}
		ko.Add(kadm.Offset{Topic: e.Topic, Partition: e.Partition, At: e.Committed, LeaderEpoch: -1, Metadata: e.Metadata})
	}
	if err := c.commitOffsets(ctx, offs, ko); err != nil {
		return nil, err
	}
	return explicit, nil
}

func (c *Instance) commitDeliveredList(ctx context.Context) ([]Commit, error) {
	c.mu.Lock()
	var out []Commit
	for t, ps := range c.delivered {
		for p, next := range ps {
			out = append(out, Commit{Topic: t, Partition: p, Consumed: next - 1, Committed: next})
		}
	}
	c.mu.Unlock()
	if err := c.commitDelivered(ctx); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b Commit) int { return compareTP(a.Topic, a.Partition, b.Topic, b.Partition) })
	if out == nil {
		out = []Commit{}
	}
	return out, nil
}

// commitDelivered commits the offsets after the last delivered record of
// every partition that has moved since the last commit.
func (c *Instance) commitDelivered(ctx context.Context) error {
	c.mu.Lock()
	offs := make(map[string]map[int32]kgo.EpochOffset)
	var ko kadm.Offsets
	for t, ps := range c.delivered {
		for p, next := range ps {
			if c.committed[t][p] == next {
				continue
			}
			if offs[t] == nil {
				offs[t] = map[int32]kgo.EpochOffset{}
			}
			offs[t][p] = kgo.EpochOffset{Epoch: -1, Offset: next}
			ko.Add(kadm.Offset{Topic: t, Partition: p, At: next, LeaderEpoch: -1})
		}
	}
	c.mu.Unlock()
	if len(offs) == 0 {
		return nil
	}
	return c.commitOffsets(ctx, offs, ko)
}

// commitOffsets commits through the group session when subscribed (so the
// commit carries the member's generation) and through the admin API for a
// manual assignment.
func (c *Instance) commitOffsets(ctx context.Context, offs map[string]map[int32]kgo.EpochOffset, ko kadm.Offsets) error {
	var err error
	if c.mode == modeSubscribed {
		// franz-go stores its member id as commit metadata; store the
		// client's metadata (or none), as Kafka's Java consumer does.
		ctx = kgo.PreCommitFnContext(ctx, func(req *kmsg.OffsetCommitRequest) error {
			for i := range req.Topics {
				t := &req.Topics[i]
				for j := range t.Partitions {
					md := ko[t.Topic][t.Partitions[j].Partition].Metadata
					t.Partitions[j].Metadata = &md
				}
			}
			return nil
		})
		// CommitOffsetsSync calls its callback before returning.
		c.cl.CommitOffsetsSync(ctx, offs, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, cerr error) {
			err = cerr
			if err == nil && resp != nil {
				for _, t := range resp.Topics {
					for _, p := range t.Partitions {
						if perr := kerr.ErrorForCode(p.ErrorCode); perr != nil && err == nil {
							err = perr
						}
					}
				}
			}
		})
	} else {
		err = retryRetriable(ctx, func() error {
			resp, err := c.m.admin.CommitOffsets(ctx, c.group, ko)
			if err == nil {
				err = resp.Error()
			}
			return err
		})
	}
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.committed == nil {
		c.committed = map[string]map[int32]int64{}
	}
	for t, ps := range offs {
		if c.committed[t] == nil {
			c.committed[t] = map[int32]int64{}
		}
		for p, o := range ps {
			c.committed[t][p] = o.Offset
		}
	}
	return nil
}

// CommittedOffset is a group's committed offset of one partition.
type CommittedOffset struct {
	Topic     string
	Partition int32
	Offset    int64  // the next record to read, as Kafka stores it
	Metadata  string // stored with the offset
}

// CommittedOffsets returns the group's committed offsets for tps (all
// currently assigned partitions when tps is empty); partitions without a
// commit are left out, as in Confluent's proxy. The result is never nil.
func (c *Instance) CommittedOffsets(ctx context.Context, tps []TopicPartition) ([]CommittedOffset, error) {
	if len(tps) == 0 {
		tps = c.Assignment()
	}
	fetched, err := fetchGroupOffsets(ctx, c.m.admin, c.group)
	if err != nil {
		return nil, err
	}
	out := []CommittedOffset{}
	for _, tp := range tps {
		o, ok := fetched.Lookup(tp.Topic, tp.Partition)
		if !ok || o.Err != nil || o.At < 0 {
			continue
		}
		out = append(out, CommittedOffset{Topic: tp.Topic, Partition: tp.Partition, Offset: o.At, Metadata: o.Metadata})
	}
	return out, nil
}

// autoCommitInterval is Kafka's default auto.commit.interval.ms.
const autoCommitInterval = 5 * time.Second

// maybeAutoCommitManual auto-commits delivered offsets of a manually assigned
// instance (franz-go auto-commits only group members), at most every
// autoCommitInterval, at the start of a read as Kafka's consumer does in
// poll().
func (c *Instance) maybeAutoCommitManual() {
	if !c.s.AutoCommit || c.mode != modeAssigned || time.Since(c.lastAuto) < autoCommitInterval {
		return
	}
	c.mu.Lock()
	pending := c.pendingAC
	c.pendingAC = false
	c.mu.Unlock()
	if !pending {
		return
	}
	c.lastAuto = time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
	defer cancel()
	if err := c.commitDelivered(ctx); err != nil {
		c.m.log.Warn("auto-commit failed", "group", c.group, "instance", c.s.Name, "error", err)
	}
}

// fetchGroupOffsets returns a group's committed offsets; a group that does
// not exist yet has none.
func fetchGroupOffsets(ctx context.Context, adm *kadm.Client, group string) (kadm.OffsetResponses, error) {
	var out kadm.OffsetResponses
	err := retryRetriable(ctx, func() error {
		var err error
		out, err = adm.FetchOffsets(ctx, group)
		if errors.Is(err, kerr.GroupIDNotFound) {
			out, err = kadm.OffsetResponses{}, nil
		}
		return err
	})
	return out, err
}

// retryRetriable retries f while it fails with a retriable Kafka error (such
// as COORDINATOR_NOT_AVAILABLE while a fresh cluster creates its offsets
// topic), until ctx ends.
func retryRetriable(ctx context.Context, f func() error) error {
	for {
		err := f()
		if err == nil || !kerr.IsRetriable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
}
