package consumer

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Fetcher reads ranges of records from partitions without a consumer
// instance or group: the stateless read. Every read goes over one shared
// client, as a Fetch request to the partition's leader, so a read costs a
// metadata and a fetch round trip, not a client of its own. It is safe for
// concurrent use.
type Fetcher struct {
	cl           *kgo.Client
	adm          *kadm.Client
	isolation    kgo.IsolationLevel
	maxBytes     int32
	maxPartBytes int32
	decompressor kgo.Decompressor
}

// PurgeTopic makes the fetcher's client forget topic (its id and
// partitions), so that a topic created again under the name is read as
// the new one.
func (f *Fetcher) PurgeTopic(topic string) { f.cl.PurgeTopicsFromClient(topic) }

// fetchWait is how long the broker may hold a fetch that finds no data.
const fetchWait = 100 * time.Millisecond

// NewFetcher returns a Fetcher over cl, a client built with the consumer
// options (its isolation level and fetch sizes apply); it never joins a
// group or consumes through cl.
func NewFetcher(cl *kgo.Client) *Fetcher {
	f := &Fetcher{cl: cl, adm: kadm.NewClient(cl), decompressor: kgo.DefaultDecompressor()}
	f.isolation, _ = cl.OptValue(kgo.FetchIsolationLevel).(kgo.IsolationLevel)
	f.maxBytes, _ = cl.OptValue(kgo.FetchMaxBytes).(int32)
	f.maxPartBytes, _ = cl.OptValue(kgo.FetchMaxPartitionBytes).(int32)
	return f
}

// Fetch returns up to n records of topic partition p from offset on. It
// returns fewer only when the partition's high watermark comes first.
// ctx bounds the whole read; its expiry is returned as ctx.Err().
func (f *Fetcher) Fetch(ctx context.Context, topic string, p int32, offset, n int64) ([]*kgo.Record, error) {
	return f.FetchBytes(ctx, topic, p, offset, n, math.MaxInt64)
}

// FetchBytes is Fetch that also returns fewer records when more would take
// their keys and values past maxBytes; the first record is returned even
// when it alone is larger. Each Fetch request asks for at most maxBytes of
// the partition (the broker still sends at least one batch).
func (f *Fetcher) FetchBytes(ctx context.Context, topic string, p int32, offset, n, maxBytes int64) ([]*kgo.Record, error) {
	var (
		out    []*kgo.Record
		bytes  int64
		leader = int32(-1)
		epoch  int32
		id     [16]byte
		next   = offset
	)
	partMax := f.maxPartBytes
	if maxBytes < int64(partMax) {
		partMax = int32(max(maxBytes, 1))
	}
	for int64(len(out)) < n {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if leader < 0 {
			var err error
			if leader, epoch, id, err = f.leader(ctx, topic, p); err != nil {
				return nil, err
			}
		}
		rp, err := f.fetch(ctx, leader, topic, id, p, epoch, next, partMax)
		if err != nil {
			if !retriable(err) {
				return nil, err
			}
			leader = -1 // look the leader up again
			if !sleep(ctx, fetchWait) {
				return nil, ctx.Err()
			}
			continue
		}
		fp, after := kgo.ProcessFetchPartition(kgo.ProcessFetchPartitionOpts{
			Offset: next, IsolationLevel: f.isolation, Topic: topic, Partition: p,
		}, rp, f.decompressor, nil)
		if fp.Err != nil {
			if !retriable(fp.Err) {
				return nil, fp.Err
			}
			leader = -1
			if !sleep(ctx, fetchWait) {
				return nil, ctx.Err()
			}
			continue
		}
		for _, r := range fp.Records {
			if r.Offset < offset || int64(len(out)) >= n {
				continue
			}
			size := int64(len(r.Key) + len(r.Value))
			if len(out) > 0 && bytes+size > maxBytes {
				return out, nil
			}
			bytes += size
			out = append(out, r)
		}
		switch {
		case after > next:
			next = after
		case len(fp.Records) == 0 && next >= fp.HighWatermark:
			return out, nil // nothing more to read
		}
	}
	return out, nil
}

// leader returns the leader, its epoch and the topic id of a partition.
func (f *Fetcher) leader(ctx context.Context, topic string, p int32) (leader, epoch int32, id [16]byte, err error) {
	md, err := f.adm.Metadata(ctx, topic)
	if err != nil {
		return -1, 0, id, err
	}
	td, ok := md.Topics[topic]
	switch {
	case !ok:
		return -1, 0, id, kerr.UnknownTopicOrPartition
	case td.Err != nil:
		return -1, 0, id, td.Err
	}
	pd, ok := td.Partitions[p]
	switch {
	case !ok:
		return -1, 0, id, ErrPartitionNotFound
	case pd.Err != nil && pd.Leader < 0:
		return -1, 0, id, pd.Err
	case pd.Leader < 0:
		return -1, 0, id, kerr.LeaderNotAvailable
	}
	return pd.Leader, pd.LeaderEpoch, td.ID, nil
}

// fetch sends one Fetch request for one partition to its leader.
// partMax bounds the partition's bytes in the response.
func (f *Fetcher) fetch(ctx context.Context, leader int32, topic string, id [16]byte, p, epoch int32, offset int64, partMax int32) (*kmsg.FetchResponseTopicPartition, error) {
	req := kmsg.NewPtrFetchRequest()
	req.ReplicaID = -1
	req.MaxWaitMillis = int32(fetchWait / time.Millisecond)
	req.MinBytes = 1
	req.MaxBytes = f.maxBytes
	req.IsolationLevel = 0
	if f.isolation == kgo.ReadCommitted() {
		req.IsolationLevel = 1
	}
	req.SessionEpoch = -1 // a full fetch, no session
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic, rt.TopicID = topic, id
	rpart := kmsg.NewFetchRequestTopicPartition()
	rpart.Partition = p
	rpart.FetchOffset = offset
	rpart.CurrentLeaderEpoch = epoch
	rpart.PartitionMaxBytes = partMax
	rt.Partitions = append(rt.Partitions, rpart)
	req.Topics = append(req.Topics, rt)

	kresp, err := f.cl.Broker(int(leader)).Request(ctx, req)
	if err != nil {
		return nil, err
	}
	resp := kresp.(*kmsg.FetchResponse)
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return nil, err
	}
	for i := range resp.Topics {
		for j := range resp.Topics[i].Partitions {
			if rp := &resp.Topics[i].Partitions[j]; rp.Partition == p {
				return rp, nil
			}
		}
	}
	return nil, kerr.UnknownServerError
}

// retriable reports whether a fetch failure may pass once the leader is
// looked up again: Kafka's retriable errors and failed connections.
func retriable(err error) bool {
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return ke.Retriable
	}
	return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, kgo.ErrClientClosed)
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
