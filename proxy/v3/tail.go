package v3

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/pool"
	"github.com/krest-dev/krest/proxy/admin"
	"github.com/krest-dev/krest/proxy/consumer"
	"github.com/krest-dev/krest/proxy/rest"
	"github.com/krest-dev/krest/proxy/tracing"
)

// Bounds of a topic tail.
const (
	tailWait         = 500 * time.Millisecond // each wait for records, to notice the client and the heartbeat
	tailBatch        = 1 << 20                // bytes a partition fetch brings at most
	tailBatchRecords = 2048                   // records taken at a time
	tailEvent        = 64 << 10               // bytes of records in one SSE event, about
	tailWriteTimeout = 2 * time.Minute        // a client that reads nothing is dropped after this
)

// tailMemory is what one tail is charged in request.memory.max.bytes for
// its life: its fetch buffer and the event being written.
const tailMemory = 2 * tailBatch

var (
	errTooManyTails = rest.Errorf(429, rest.CodeTooManyRequests, "Too many topic tails open on this krest (api.v3.tails.max); retry later or close one")
	errTailMemory   = rest.Errorf(429, rest.CodeTooManyRequests, "Request memory budget exhausted (request.memory.max.bytes): no room for another topic tail; retry later")
	errBadFrom      = rest.Errorf(400, rest.CodeBadRequest, "Bad Request: from must be earliest, latest or a timestamp in milliseconds since the epoch")
	errBadLast      = rest.Errorf(400, rest.CodeBadRequest, `Bad Request: Last-Event-ID must be an event id of this stream: "partition:offset" pairs, comma separated`)
)

// TailRecords is GET …/topics/{topic}/records with Accept text/event-stream
// or application/x-ndjson (a krest extension): every partition of the
// topic, partitions added later included, streamed from ?from=earliest
// (the default), latest or a timestamp in milliseconds, for as long as the
// client stays. Records are KafkaRecords, as the stateless read renders
// them (?format= too). Each SSE event's id holds every partition's next
// offset: a client that reconnects with Last-Event-ID (EventSource does it
// by itself; or ?last_event_id=) resumes exactly after the last event it
// got, with no loss and no duplicate. Bad input is a JSON 4xx before the
// stream starts; a Kafka failure mid-stream ends it with an "error" event
// carrying the JSON error.
func (a *API) TailRecords(ctx *fasthttp.RequestCtx, r rest.Request) error {
	topic, err := rest.TopicParam(ctx)
	if err != nil {
		return err
	}
	args := ctx.QueryArgs()
	from := admin.FromEarliest
	switch raw := string(args.Peek("from")); raw {
	case "", "earliest":
	case "latest":
		from = admin.FromLatest
	default:
		ms, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || ms < 0 {
			return errBadFrom
		}
		from = admin.From(ms)
	}
	format, err := formatQuery(args)
	if err != nil {
		return err
	}
	last := string(ctx.Request.Header.Peek("Last-Event-ID"))
	if last == "" {
		last = string(args.Peek("last_event_id"))
	}
	var resume map[int32]int64
	if last != "" {
		if resume, err = consumer.ParsePositions(last); err != nil {
			return errBadLast
		}
	}
	// Each tail holds a Kafka client and its fetch buffers for as long as
	// its client stays: both are bounded before it starts.
	if a.tails.Add(1) > int64(a.Config.V3Produce.MaxTails) {
		a.tails.Add(-1)
		return errTooManyTails
	}
	if a.Memory != nil && !a.Memory.TryAcquire(tailMemory) {
		a.tails.Add(-1)
		return errTailMemory
	}
	hijacked := false
	defer func() {
		if !hijacked {
			a.tails.Add(-1)
			if a.Memory != nil {
				a.Memory.Release(tailMemory)
			}
		}
	}()
	cl, err := a.begin(ctx, true)
	if err != nil {
		return err
	}
	start, err := a.tailStart(cl, topic, from, resume)
	if err != nil {
		cl.end()
		return err
	}
	opts := cl.kc.ConsumerOpts
	if opts == nil {
		opts = a.Config.ConsumerOpts()
	}
	tail, err := consumer.NewTail(opts, cl.kc.Admin, topic, start, tailBatch)
	if err != nil {
		cl.end()
		return err
	}
	t := &topicTail{
		a: a, tail: tail, topic: topic, cluster: clusterOf(ctx), format: format,
		sse: r.Offer.Stream == rest.StreamSSE, heartbeat: a.Config.Consumers.StreamHeartbeat,
	}
	ctx.SetStatusCode(fasthttp.StatusOK)
	ctx.SetContentType(r.Offer.ContentType)
	ctx.Response.Header.Set(fasthttp.HeaderCacheControl, "no-cache")
	ctx.Response.Header.Set("X-Accel-Buffering", "no")
	hijacked = true
	o := rest.StreamOptions{Framing: rest.FrameNDJSON, WriteTimeout: tailWriteTimeout, Heartbeat: t.heartbeat, WatchClient: true}
	if t.sse {
		o.Framing = rest.FrameSSE
	}
	rest.Stream(ctx, o, func(w *rest.StreamWriter) {
		defer cl.end()
		defer tail.Close()
		defer a.tails.Add(-1)
		if a.Memory != nil {
			defer a.Memory.Release(tailMemory)
		}
		t.run(w)
	})
	return nil
}

// tailStart is where the tail starts on each partition: from, or the
// resume positions, each of which must name a partition of the topic and
// an offset it holds.
func (a *API) tailStart(cl *call, topic string, from admin.From, resume map[int32]int64) (map[int32]int64, error) {
	start, err := cl.kc.Admin.Positions(cl.c, topic, from)
	if err != nil || resume == nil {
		return start, err
	}
	first, err := cl.kc.Admin.Positions(cl.c, topic, admin.FromEarliest)
	if err != nil {
		return nil, err
	}
	end, err := cl.kc.Admin.Positions(cl.c, topic, admin.FromLatest)
	if err != nil {
		return nil, err
	}
	for p, o := range resume {
		if _, ok := start[p]; !ok {
			return nil, rest.ErrPartitionNotFound
		}
		if o < first[p] || o > end[p] {
			return nil, rest.Errorf(404, rest.CodePartitionNotFound, "Partition %d holds offsets %d to %d; Last-Event-ID asks for %d", p, first[p], end[p], o)
		}
		start[p] = o
	}
	// Partitions the id does not name were added since: all of theirs.
	for p := range start {
		if _, ok := resume[p]; !ok {
			start[p] = first[p]
		}
	}
	return start, nil
}

// topicTail is one open tail.
type topicTail struct {
	a         *API
	tail      *consumer.Tail
	topic     string
	cluster   string
	format    dataType
	sse       bool
	heartbeat time.Duration
}

func (t *topicTail) run(w *rest.StreamWriter) {
	if w.Flush() != nil { // the head, and SSE's retry
		return
	}
	buf := pool.GetBuffer()
	defer pool.PutBuffer(buf)
	for {
		select {
		case <-w.Gone():
			return
		default:
		}
		recs, err := t.tail.Poll(tailWait, tailBatchRecords)
		if err != nil {
			e := rest.Map(err)
			_ = w.Fail(e.Code, strings.TrimSpace(e.Message))
			return
		}
		if len(recs) == 0 {
			if w.Idle() != nil { // the heartbeat, once due
				return
			}
			continue
		}
		buf.B = t.render(buf.B[:0], recs)
		w.Write(buf.B)
		if w.Flush() != nil {
			return
		}
		t.count(recs)
		tracing.LinkRecords(w.Span(), recs)
	}
}

// render appends recs as SSE events of about tailEvent bytes, each with
// the positions after it as its id, or as one line each (NDJSON).
func (t *topicTail) render(dst []byte, recs []*kgo.Record) []byte {
	c, cancel := context.WithTimeout(context.Background(), rest.KafkaTimeout)
	defer cancel()
	rr := recordReader{a: t.a, c: c, topic: t.topic, format: t.format}
	defer rr.end()
	size := 0
	for i, r := range recs {
		if !t.sse {
			dst = rr.appendRecord(dst, t.cluster, r)
			dst = append(dst, '\n')
			t.tail.Delivered(r)
			continue
		}
		if size == 0 {
			dst = append(dst, "data: ["...)
		} else {
			dst = append(dst, ',')
		}
		dst = rr.appendRecord(dst, t.cluster, r)
		t.tail.Delivered(r)
		size += len(r.Key) + len(r.Value) + 64
		if size >= tailEvent || i == len(recs)-1 {
			dst = append(dst, "]\nid: "...)
			dst = t.tail.AppendPositions(dst)
			dst = append(dst, "\n\n"...)
			size = 0
		}
	}
	return dst
}

func (t *topicTail) count(recs []*kgo.Record) {
	if t.a.Metrics == nil {
		return
	}
	m := t.a.Metrics.Topic(t.topic)
	bytes := 0
	for _, r := range recs {
		bytes += len(r.Key) + len(r.Value)
	}
	m.ConsumedRecords.Add(len(recs))
	m.ConsumedBytes.Add(bytes)
}
