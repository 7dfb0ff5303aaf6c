package consumer

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/krest-dev/krest/proxy/admin"
)

// Tail reads every partition of one topic from given offsets, without a
// group, and picks up partitions added while it runs (from their first
// offset). It tracks the next offset of every partition as records are
// handed to the client, so that a reader can resume exactly where it
// stopped. A Tail serves one goroutine.
type Tail struct {
	cl      *kgo.Client
	adm     *admin.Client
	topic   string
	next    map[int32]int64 // the next offset to hand out, per partition
	checked time.Time       // the last look for new partitions
}

// tailCheckEvery is how often a Tail looks for new partitions.
const tailCheckEvery = 5 * time.Second

// NewTail starts reading topic at start (an offset per partition) with a
// client made of opts (the consumer settings, without a group).
func NewTail(opts []kgo.Opt, adm *admin.Client, topic string, start map[int32]int64, maxBytes int32) (*Tail, error) {
	parts := map[int32]kgo.Offset{}
	for p, o := range start {
		parts[p] = kgo.NewOffset().At(o)
	}
	cl, err := kgo.NewClient(append(slices.Clone(opts),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: parts}),
		kgo.FetchMaxBytes(maxBytes), kgo.FetchMaxPartitionBytes(maxBytes))...)
	if err != nil {
		return nil, err
	}
	return &Tail{cl: cl, adm: adm, topic: topic, next: maps.Clone(start), checked: time.Now()}, nil
}

// Close stops the reads.
func (t *Tail) Close() { t.cl.Close() }

// Poll waits up to wait for records, at most max of them. A failure of
// Kafka (a refused connection, a deleted topic) is an error.
func (t *Tail) Poll(wait time.Duration, max int) ([]*kgo.Record, error) {
	if time.Since(t.checked) > tailCheckEvery {
		t.checked = time.Now()
		if err := t.addPartitions(); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	fs := t.cl.PollRecords(ctx, max)
	var failed error
	recreated := false
	fs.EachError(func(_ string, _ int32, err error) {
		if errors.Is(err, kerr.UnknownTopicID) {
			recreated = true
			return
		}
		if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) && failed == nil {
			failed = err
		}
	})
	if recreated {
		if err := t.readAnew(); err != nil && failed == nil {
			failed = err
		}
	}
	recs := fs.Records()
	if failed != nil && len(recs) == 0 {
		return nil, failed
	}
	return recs, nil
}

// readAnew follows the topic from the start of a topic created again under
// its name: franz-go fails the old one (UNKNOWN_TOPIC_ID) until it is
// purged and added back.
func (t *Tail) readAnew() error {
	t.cl.PurgeTopicsFromClient(t.topic)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	starts, err := t.adm.Positions(ctx, t.topic, admin.FromEarliest)
	if err != nil {
		return err
	}
	parts := make(map[int32]kgo.Offset, len(starts))
	for p, o := range starts {
		parts[p] = kgo.NewOffset().At(o)
	}
	t.next = starts
	t.cl.AddConsumePartitions(map[string]map[int32]kgo.Offset{t.topic: parts})
	return nil
}

// addPartitions starts reading partitions the topic gained.
func (t *Tail) addPartitions() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	starts, err := t.adm.Positions(ctx, t.topic, admin.FromEarliest)
	if err != nil {
		return err
	}
	added := map[int32]kgo.Offset{}
	for p, o := range starts {
		if _, ok := t.next[p]; !ok {
			added[p] = kgo.NewOffset().At(o)
			t.next[p] = o
		}
	}
	if len(added) > 0 {
		t.cl.AddConsumePartitions(map[string]map[int32]kgo.Offset{t.topic: added})
	}
	return nil
}

// Delivered moves the positions past r, once the client has it.
func (t *Tail) Delivered(r *kgo.Record) { t.next[r.Partition] = r.Offset + 1 }

// AppendPositions appends every partition's next offset as
// "partition:offset" pairs, comma separated, by partition: an SSE event id
// that ParsePositions reads back.
func (t *Tail) AppendPositions(dst []byte) []byte {
	for i, p := range slices.Sorted(maps.Keys(t.next)) {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = strconv.AppendInt(dst, int64(p), 10)
		dst = append(dst, ':')
		dst = strconv.AppendInt(dst, t.next[p], 10)
	}
	return dst
}

// ErrBadPositions is a resume position that does not parse.
var ErrBadPositions = errors.New(`positions must be "partition:offset" pairs, comma separated`)

// ParsePositions reads what AppendPositions wrote: each partition once,
// partitions and offsets not negative.
func ParsePositions(s string) (map[int32]int64, error) {
	if s == "" {
		return nil, ErrBadPositions
	}
	out := map[int32]int64{}
	for pair := range strings.SplitSeq(s, ",") {
		ps, os, ok := strings.Cut(pair, ":")
		p, err1 := strconv.ParseInt(ps, 10, 32)
		o, err2 := strconv.ParseInt(os, 10, 64)
		if !ok || err1 != nil || err2 != nil || p < 0 || o < 0 {
			return nil, ErrBadPositions
		}
		if _, dup := out[int32(p)]; dup {
			return nil, ErrBadPositions
		}
		out[int32(p)] = o
	}
	return out, nil
}
