package v2

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/codec"
	"github.com/krest-dev/krest/pool"
	"github.com/krest-dev/krest/proxy/consumer"
	"github.com/krest-dev/krest/proxy/rest"
	"github.com/krest-dev/krest/proxy/tracing"
)

// ReadRecords is GET .../records?timeout=&max_bytes=.
func (a *API) ReadRecords(ctx *fasthttp.RequestCtx, r rest.Request) error {
	return a.read(ctx, r.Offer, "", 2)
}

// ReadTopicV1 is the v1 read GET .../topics/{topic}: it subscribes to topic
// on first use and returns that topic's records.
func (a *API) ReadTopicV1(ctx *fasthttp.RequestCtx, r rest.Request) error {
	topic, err := rest.TopicParam(ctx)
	if err != nil {
		return err
	}
	return a.read(ctx, r.Offer, topic, 1)
}

var recordSlices = sync.Pool{New: func() any { return new([]*kgo.Record) }}

// read answers a records read of the instance named by the path, in the
// format negotiated by the chain (which must be the instance's).
func (a *API) read(ctx *fasthttp.RequestCtx, offer rest.Offer, topic string, version int) error {
	if offer.Stream != rest.StreamNone {
		if topic != "" {
			return rest.ErrNotAcceptable // the v1 topic read does not stream
		}
		return a.streamRecords(ctx, offer)
	}
	return a.withInstance(ctx, func(inst *consumer.Instance) error {
		settings := inst.Settings()
		if err := offer.ForInstance(settings.Format); err != nil {
			return err
		}
		lim, err := a.readLimits(ctx, settings)
		if err != nil {
			return err
		}
		if topic != "" {
			lim.Topic = topic
			if err := inst.AddTopic(topic); err != nil {
				return err
			}
		}
		rp := recordSlices.Get().(*[]*kgo.Record)
		recs, err := inst.Read(lim, (*rp)[:0])
		defer func() {
			clear(recs)
			*rp = recs[:0]
			recordSlices.Put(rp)
		}()
		if err != nil {
			return err
		}
		tracing.LinkRecords(rest.Span(ctx), recs)
		rest.NoteRecords(ctx, len(recs))
		style := recordStyle{topic: version == 2, extensions: version == 2}
		buf := pool.GetBuffer()
		defer pool.PutBuffer(buf)
		buf.Grow(renderedSize(recs))
		if buf.B, err = a.appendRecords(buf.B, recs, settings.Format, style); err != nil {
			return err
		}
		a.countConsumed(recs)
		// Hand the rendered body to fasthttp instead of copying it; its old
		// body buffer comes back to our pool.
		buf.B = ctx.Response.SwapBody(buf.B)[:0]
		ctx.SetContentType(offer.ContentType)
		return nil
	})
}

// readLimits resolves timeout and max_bytes as Confluent's proxy does: the
// timeout parameter can only shorten the instance's wait, and max_bytes is
// capped by consumer.request.max.bytes.
func (a *API) readLimits(ctx *fasthttp.RequestCtx, st consumer.Settings) (consumer.ReadLimits, error) {
	lim := consumer.ReadLimits{Wait: st.RequestTimeout, MaxBytes: a.Config.Consumers.RequestMaxBytes, MinBytes: st.FetchMinBytes}
	args := ctx.QueryArgs()
	if v := args.Peek("timeout"); len(v) > 0 {
		ms, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return lim, rest.BadRequest(errQuery("timeout", v))
		}
		// Compared in milliseconds: a timeout past the instance's
		// wait (up to an int64's, Confluent's long) only leaves it,
		// where a Duration would overflow into a negative wait.
		if ms > 0 && ms < lim.Wait.Milliseconds() {
			lim.Wait = time.Duration(ms) * time.Millisecond
		}
	}
	if v := args.Peek("max_bytes"); len(v) > 0 {
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return lim, rest.BadRequest(errQuery("max_bytes", v))
		}
		if n > 0 {
			lim.MaxBytes = min(lim.MaxBytes, n)
		}
	}
	return lim, nil
}

// ReadMessages is the stateless v1-era read
// GET /topics/{topic}/partitions/{partition}/messages?offset=|timestamp=&count=:
// no consumer instance, so any krest instance behind a load balancer
// answers it. It returns up to count (default 1) records from offset, or
// from the first record at or after timestamp (an ISO-8601 instant), fewer
// when the partition ends first. The format is the first non-binary
// embedded format Accept names (json, or a schema format, decoded with each
// record's schema), else binary. A v1 Accept type gets v1's reply: its
// content type and v1's fields (topic, key, value, partition, offset);
// otherwise krest adds timestamps and headers as in its v2 reads.
func (a *API) ReadMessages(ctx *fasthttp.RequestCtx, r rest.Request) error {
	cl, err := a.begin(ctx)
	if err != nil {
		return err
	}
	defer cl.end()
	topic, p, err := pathTopicPartition(ctx)
	if err != nil {
		return err
	}
	args := ctx.QueryArgs()
	rawOffset, rawTime := args.Peek("offset"), args.Peek("timestamp")
	if (len(rawOffset) > 0) == (len(rawTime) > 0) {
		return errOffsetOrTimestamp
	}
	count, err := queryInt(args.Peek("count"), "count", 1)
	if err != nil {
		return err
	}
	if count <= 0 || count > maxMessagesCount {
		return rest.Errorf(400, rest.CodeBadRequest, "Bad Request: count must be in 1..%d", maxMessagesCount)
	}
	start, end, err := cl.kc.Admin.Offsets(cl.c, topic, p)
	if err != nil {
		return err
	}
	var offset int64
	if len(rawTime) > 0 {
		t, ok := codec.ParseTime(rawTime, false)
		if !ok {
			return rest.Errorf(400, rest.CodeBadRequest, "Bad Request: timestamp=%s is not an ISO-8601 instant such as 2026-12-01T10:00:00Z", rawTime)
		}
		if offset, err = cl.kc.Admin.OffsetAfter(cl.c, topic, p, t); err != nil {
			return err
		}
		offset = max(offset, start)
	} else {
		if offset, err = queryInt(rawOffset, "offset", -1); err != nil {
			return err
		}
		if offset < 0 {
			return rest.Errorf(400, rest.CodeBadRequest, "Bad Request: offset must not be negative")
		}
		if offset < start || offset > end {
			return rest.Errorf(404, rest.CodePartitionNotFound, "Offset %d is out of range for partition %d of topic %s: it holds %d..%d", offset, p, topic, start, end)
		}
	}
	want := min(count, end-offset)
	var recs []*kgo.Record
	if want > 0 {
		if recs, err = cl.kc.Fetcher.Fetch(cl.c, topic, p, offset, want); err != nil {
			return err
		}
	}
	v1 := strings.Contains(r.Offer.ContentType, ".v1+")
	body, err := a.appendRecords(nil, recs, r.Offer.Format, recordStyle{topic: true, extensions: !v1})
	if err != nil {
		return err
	}
	a.countConsumed(recs)
	ctx.SetBody(body)
	return nil
}

const maxMessagesCount = 10000

// errOffsetOrTimestamp is Confluent's v1 answer (a JAX-RS
// BadRequestException, so without the "Bad Request: " prefix).
var errOffsetOrTimestamp = rest.Errorf(400, rest.CodeBadRequest, "Either `offset` or `timestamp` query parameters must be set.")

func queryInt(v []byte, name string, def int64) (int64, error) {
	if len(v) == 0 {
		return def, nil
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return 0, rest.BadRequest(errQuery(name, v))
	}
	return n, nil
}

type queryError struct {
	name  string
	value string
}

func (e queryError) Error() string { return e.name + "=" + e.value + " is not an integer" }

func errQuery(name string, v []byte) error { return queryError{name, string(v)} }
