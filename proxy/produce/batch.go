package produce

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/krest-dev/krest/pool"
)

// Span is where one key, value or header value sits in a batch's arena:
// [Off, End). Null (Off < 0) is a null key or value.
type Span struct{ Off, End int }

// Null is the span of a null key, value or header value.
var Null = Span{-1, -1}

func (s Span) in(arena []byte) []byte {
	if s.Off < 0 {
		return nil
	}
	return arena[s.Off:s.End:s.End]
}

// Batch is the records of one produce call and the arena that holds their
// bytes. Batches are pooled (GetBatch, PutBatch) so that steady-state
// requests reuse their slices and arena.
type Batch struct {
	// Arena holds the keys, values and header values of all records.
	// Callers append to Arena.B and describe what they appended with a
	// Span; records only point into it once Seal has run.
	Arena *pool.Buffer
	// Records are the batch's records, complete after Seal. After
	// Produce, each successful record has its Partition and Offset set.
	Records []kgo.Record
	// Errs[i] is record i's failure after Produce, nil on success.
	Errs []error
	// Linger lets kgo hold the records up to producer.linger.ms to batch
	// them with what follows, for a caller that does not wait on them
	// one by one (a stream). Without it, the records' partitions stop
	// lingering once their group is buffered: a v2 request's client
	// waits for its answer.
	Linger bool

	spans []recordSpan
	// call is the batch's Produce call; every record's Context points to
	// it while kgo holds the records.
	call Call
	// kerrs[i] is kgo's report of record i, written by kgo's goroutines
	// until call.done; Produce turns it into Errs.
	kerrs []error
	// want[i] is record i's partition as its request asked (kgo writes
	// the one it chose into the record), for a record sent again.
	want []int32
	// refs counts who still holds the batch after Produce sent it: the
	// caller (until PutBatch), the group that sent it and any resend
	// (until kgo has let go of every record). The last one recycles it.
	refs atomic.Int32
}

type recordSpan struct {
	key, value Span
	headers    []kgo.RecordHeader // values are filled in by Seal
	headerVals []Span
}

// maxPooledRecords keeps batches that served a huge request out of the
// pool.
const maxPooledRecords = 4096

var batches = sync.Pool{New: func() any { return new(Batch) }}

// GetBatch returns an empty batch with an arena from package pool.
func GetBatch() *Batch {
	b := batches.Get().(*Batch)
	b.Arena = pool.GetBuffer()
	return b
}

// PutBatch hands b back. b must not be used after PutBatch, and PutBatch
// must not be called while Produce runs. b and its arena are recycled once
// kgo has let go of its records too: at once in the common case, later when
// Produce stopped waiting at the delivery deadline. (The group that sent b
// hands it back the same way when kgo is done with it.)
func PutBatch(b *Batch) {
	if b.refs.Load() != 0 && b.refs.Add(-1) != 0 {
		return // the other holder recycles b
	}
	pool.PutBuffer(b.Arena)
	b.Arena = nil
	if cap(b.Records) > maxPooledRecords {
		return
	}
	b.reset()
	batches.Put(b)
}

// Reset empties b for reuse by another request, keeping its capacity; the
// arena is emptied too.
func (b *Batch) Reset() {
	b.reset()
	b.Arena.B = b.Arena.B[:0]
}

func (b *Batch) reset() {
	clear(b.Records) // drop references to arena bytes, headers and contexts
	clear(b.Errs)
	clear(b.kerrs)
	b.Records, b.Errs, b.spans, b.kerrs, b.want = b.Records[:0], b.Errs[:0], b.spans[:0], b.kerrs[:0], b.want[:0]
	b.Linger = false
	b.call.reset()
}

// Grow sizes b for n records, numbered 0..n-1, each with no bytes yet.
func (b *Batch) Grow(n int) {
	b.spans = growLen(b.spans, n)
	b.Records = growLen(b.Records, n)
	b.Errs = growLen(b.Errs, n)
	for i := range b.spans {
		sp := &b.spans[i]
		sp.key, sp.value = Null, Null
		sp.headers, sp.headerVals = sp.headers[:0], sp.headerVals[:0]
	}
}

// Add appends one record with no bytes yet to b and returns its index,
// for callers that learn the number of records as they parse them.
func (b *Batch) Add() int {
	i := len(b.Records)
	b.spans = extend(b.spans)
	b.Records = extend(b.Records)
	b.Errs = extend(b.Errs)
	sp := &b.spans[i]
	sp.key, sp.value = Null, Null
	sp.headers, sp.headerVals = sp.headers[:0], sp.headerVals[:0]
	return i
}

// Reserve makes room for n more records to be added with Add without
// growing b's slices again, for a caller that knows how many to expect.
func (b *Batch) Reserve(n int) {
	b.spans = slices.Grow(b.spans, n)
	b.Records = slices.Grow(b.Records, n)
	b.Errs = slices.Grow(b.Errs, n)
}

// Drop removes the last record added, whose building failed. The caller
// truncates the arena to where the record's bytes began.
func (b *Batch) Drop() {
	n := len(b.Records) - 1
	b.Records[n], b.Errs[n] = kgo.Record{}, nil
	b.Records, b.Errs, b.spans = b.Records[:n], b.Errs[:n], b.spans[:n]
}

// Set describes record i (after Grow): its topic, partition (AutoPartition
// lets the partitioner choose), timestamp (zero: now, as of Seal) and where its key and
// value sit in the arena.
func (b *Batch) Set(i int, topic string, partition int32, ts time.Time, key, value Span) {
	b.Records[i] = kgo.Record{Topic: topic, Partition: partition, Timestamp: ts}
	b.spans[i].key, b.spans[i].value = key, value
}

// AddHeader appends a header to record i; its value sits at v in the arena.
func (b *Batch) AddHeader(i int, name string, v Span) {
	sp := &b.spans[i]
	sp.headers = append(sp.headers, kgo.RecordHeader{Key: name})
	sp.headerVals = append(sp.headerVals, v)
}

// Seal points every record's key, value and header values into the arena,
// and stamps the records without a timestamp with the time, read once for
// the batch (kgo would read the clock for each record, which is no longer
// cheap on a virtual machine: 2.5% of krest's CPU under bench row 12).
// Call it once the arena is complete: appending may move it.
func (b *Batch) Seal() {
	arena := b.Arena.B
	var now time.Time
	for i := range b.Records {
		sp, r := &b.spans[i], &b.Records[i]
		if r.Timestamp.IsZero() {
			if now.IsZero() {
				now = time.Now()
			}
			r.Timestamp = now
		}
		r.Key, r.Value = sp.key.in(arena), sp.value.in(arena)
		if len(sp.headers) > 0 {
			for k := range sp.headers {
				sp.headers[k].Value = sp.headerVals[k].in(arena)
			}
			r.Headers = sp.headers
		}
	}
}

// extend returns s one element longer, reusing its array when it has room
// (the new element keeps what an earlier use left in it).
func extend[T any](s []T) []T {
	if len(s) < cap(s) {
		return s[:len(s)+1]
	}
	var zero T
	return append(s, zero)
}

// growLen returns s with length n, reusing its array when it is big enough.
func growLen[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n)
}
