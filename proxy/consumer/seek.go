package consumer

import (
	"context"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// checkAssigned returns an *IllegalStateError for the first partition not
// currently assigned, as Kafka's seek does.
func (c *Instance) checkAssigned(tps []TopicPartition) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, tp := range tps {
		if !c.assigned[tp.Topic][tp.Partition] {
			return illegalState("No current assignment for partition %s-%d", tp.Topic, tp.Partition)
		}
	}
	return nil
}

// Seek moves the given partitions (topic → partition → offset) to offsets;
// records buffered for them are dropped, so the next read starts exactly
// there. The instance must be Consuming; a partition not currently assigned
// is an *IllegalStateError.
func (c *Instance) Seek(offsets map[string]map[int32]int64) error {
	var tps []TopicPartition
	for t, ps := range offsets {
		for p := range ps {
			tps = append(tps, TopicPartition{t, p})
		}
	}
	if err := c.checkAssigned(tps); err != nil {
		return err
	}
	set := map[string]map[int32]kgo.EpochOffset{}
	for t, ps := range offsets {
		set[t] = map[int32]kgo.EpochOffset{}
		for p, o := range ps {
			set[t][p] = kgo.EpochOffset{Epoch: -1, Offset: o}
		}
	}
	c.mu.Lock()
	c.buf = slices.DeleteFunc(c.buf, func(r *kgo.Record) bool {
		_, moved := offsets[r.Topic][r.Partition]
		return moved
	})
	c.mu.Unlock()
	c.cl.SetOffsets(set)
	return nil
}

// SeekToBeginning moves partitions to their start, as Seek does.
func (c *Instance) SeekToBeginning(ctx context.Context, tps []TopicPartition) error {
	return c.seekTo(ctx, tps, true)
}

// SeekToEnd moves partitions to their end, as Seek does.
func (c *Instance) SeekToEnd(ctx context.Context, tps []TopicPartition) error {
	return c.seekTo(ctx, tps, false)
}

// seekTo moves partitions to their start (beginning) or end.
func (c *Instance) seekTo(ctx context.Context, tps []TopicPartition, beginning bool) error {
	if err := c.checkAssigned(tps); err != nil {
		return err
	}
	topics := map[string]bool{}
	for _, tp := range tps {
		topics[tp.Topic] = true
	}
	names := make([]string, 0, len(topics))
	for t := range topics {
		names = append(names, t)
	}
	var listed kadm.ListedOffsets
	var err error
	if beginning {
		listed, err = c.m.admin.ListStartOffsets(ctx, names...)
	} else {
		listed, err = c.m.admin.ListEndOffsets(ctx, names...)
	}
	if err != nil {
		return err
	}
	return c.seekListed(tps, func(TopicPartition) kadm.ListedOffsets { return listed })
}

// SeekToTimes moves each partition to the first offset at or after its
// timestamp; partitions with no such record move to their end. Otherwise
// it is as Seek.
func (c *Instance) SeekToTimes(ctx context.Context, times map[TopicPartition]time.Time) error {
	tps := make([]TopicPartition, 0, len(times))
	for tp := range times {
		tps = append(tps, tp)
	}
	if err := c.checkAssigned(tps); err != nil {
		return err
	}
	lookups := map[TopicPartition]kadm.ListedOffsets{}
	for tp, ts := range times {
		listed, err := c.m.admin.ListOffsetsAfterMilli(ctx, ts.UnixMilli(), tp.Topic)
		if err != nil {
			return err
		}
		lookups[tp] = listed
	}
	return c.seekListed(tps, func(tp TopicPartition) kadm.ListedOffsets { return lookups[tp] })
}

// seekListed seeks each partition to the offset listed for it.
func (c *Instance) seekListed(tps []TopicPartition, listed func(TopicPartition) kadm.ListedOffsets) error {
	offsets := map[string]map[int32]int64{}
	for _, tp := range tps {
		o, ok := listed(tp).Lookup(tp.Topic, tp.Partition)
		if !ok {
			return ErrPartitionNotFound
		}
		if o.Err != nil {
			return o.Err
		}
		if offsets[tp.Topic] == nil {
			offsets[tp.Topic] = map[int32]int64{}
		}
		offsets[tp.Topic][tp.Partition] = o.Offset
	}
	return c.Seek(offsets)
}
