package produce

import "github.com/twmb/franz-go/pkg/kgo"

// AutoPartition marks a record whose request named no partition.
const AutoPartition = -1

// requestPartitioner sends records to the partition their request named and
// partitions the rest as the Java producer does (murmur2 of the key, sticky
// batches for keyless records): kgo's default partitioner.
type requestPartitioner struct{ def kgo.Partitioner }

func newPartitioner() kgo.Partitioner {
	return requestPartitioner{def: kgo.UniformBytesPartitioner(64<<10, true, true, nil)}
}

func (p requestPartitioner) ForTopic(topic string) kgo.TopicPartitioner {
	def := p.def.ForTopic(topic)
	tp := &topicPartitioner{def: def}
	tp.backup, _ = def.(kgo.TopicBackupPartitioner)
	tp.onNew, _ = def.(kgo.TopicPartitionerOnNewBatch)
	return tp
}

type topicPartitioner struct {
	def    kgo.TopicPartitioner
	backup kgo.TopicBackupPartitioner
	onNew  kgo.TopicPartitionerOnNewBatch
}

var (
	_ kgo.TopicBackupPartitioner     = (*topicPartitioner)(nil)
	_ kgo.TopicPartitionerOnNewBatch = (*topicPartitioner)(nil)
)

// RequiresConsistency makes kgo index partitions by their id, so a requested
// partition is taken literally, and out-of-range ids fail the record.
func (t *topicPartitioner) RequiresConsistency(r *kgo.Record) bool {
	return r.Partition != AutoPartition || t.def.RequiresConsistency(r)
}

func (t *topicPartitioner) Partition(r *kgo.Record, n int) int {
	if r.Partition != AutoPartition {
		return int(r.Partition)
	}
	return t.def.Partition(r, n)
}

func (t *topicPartitioner) PartitionByBackup(r *kgo.Record, n int, it kgo.TopicBackupIter) int {
	if r.Partition != AutoPartition {
		return int(r.Partition)
	}
	if t.backup != nil {
		return t.backup.PartitionByBackup(r, n, it)
	}
	return t.def.Partition(r, n)
}

func (t *topicPartitioner) OnNewBatch() {
	if t.onNew != nil {
		t.onNew.OnNewBatch()
	}
}
