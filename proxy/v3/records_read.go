package v3

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/codec"
	"github.com/krest-dev/krest/pool"
	"github.com/krest-dev/krest/proxy/rest"
	"github.com/krest-dev/krest/proxy/schema"
	"github.com/krest-dev/krest/proxy/tracing"
)

// Bounds of a stateless read's max_records.
const (
	defaultReadRecords = 100
	maxReadRecords     = 10000
)

// readQuery is the query of a stateless read.
type readQuery struct {
	offset     int64 // -1: none
	at         time.Time
	hasTime    bool
	maxRecords int64
	maxBytes   int64
	format     dataType // typeRegistry: per record
}

// ReadRecords is krest's stateless read (Confluent's v3 has no consume)
// GET …/topics/{topic}/partitions/{partition}/records?offset=|timestamp=&max_records=&max_bytes=&format=.
// It needs no consumer instance, so any krest instance behind a load
// balancer answers it. It returns up to max_records records (default 100,
// at most 10000) from offset, or from the first record at or after
// timestamp (an ISO-8601 instant or milliseconds since the epoch), or
// without either from the partition's earliest offset; fewer when their
// keys and values would pass max_bytes (at most and by default
// consumer.request.max.bytes; the first record always comes) or the
// partition ends. An offset at or past the end reads nothing; one below
// the partition's earliest offset is 404.
//
// Each record is a KafkaRecord whose key and value are shaped as a v3
// produce's: format=binary, json or string forces that type for both
// (data that is not JSON, or not UTF-8 text, is BINARY instead);
// without format, data in Confluent's schema framing whose schema the
// registry knows is decoded with it (AVRO, JSONSCHEMA or PROTOBUF with
// subject, schema_id and schema_version) and anything else is BINARY
// (base64). metadata.next is this read's URL from the offset after the
// last record, null when there were none.
func (a *API) ReadRecords(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	topic, p, err := partitionParams(ctx)
	if err != nil {
		return err
	}
	q, err := a.readQuery(ctx.QueryArgs())
	if err != nil {
		return err
	}
	cl, err := a.begin(ctx, true)
	if err != nil {
		return err
	}
	defer cl.end()
	start, end, err := cl.kc.Admin.Offsets(cl.c, topic, p)
	if err != nil {
		return notHosted(err, topic, p) // ErrPartitionNotFound: 40402
	}
	offset := start
	switch {
	case q.hasTime:
		after, err := cl.kc.Admin.OffsetAfter(cl.c, topic, p, q.at)
		if err != nil {
			return notHosted(err, topic, p)
		}
		offset = max(after, start)
	case q.offset >= 0:
		if q.offset < start {
			return rest.Errorf(404, rest.CodePartitionNotFound, "Offset %d is out of range for partition %d of topic %s: it holds %d..%d", q.offset, p, topic, start, end)
		}
		offset = q.offset
	}
	var recs []*kgo.Record
	if want := min(q.maxRecords, end-offset); want > 0 {
		if recs, err = cl.kc.Fetcher.FetchBytes(cl.c, topic, p, offset, want, q.maxBytes); err != nil {
			return notHosted(err, topic, p)
		}
	}

	self := cl.u.self(partitionPath(topic, p, "records")...)
	buf := pool.GetBuffer()
	defer pool.PutBuffer(buf)
	tracing.LinkRecords(rest.Span(ctx), recs)
	rest.NoteRecords(ctx, len(recs))
	buf.Grow(readSize(recs))
	b := append(buf.B, `{"kind":"KafkaRecordList","metadata":{"self":`...)
	if raw := ctx.URI().QueryString(); len(raw) > 0 {
		b = codec.AppendQuote(b, self+"?"+string(raw))
	} else {
		b = codec.AppendQuote(b, self)
	}
	b = append(b, `,"next":`...)
	if len(recs) == 0 {
		b = append(b, "null"...)
	} else {
		var next fasthttp.Args
		ctx.QueryArgs().CopyTo(&next)
		next.Del("timestamp")
		next.Set("offset", strconv.FormatInt(recs[len(recs)-1].Offset+1, 10))
		b = codec.AppendQuote(b, self+"?"+string(next.QueryString()))
	}
	b = append(b, `},"data":[`...)
	rr := recordReader{a: a, c: cl.c, topic: topic, format: q.format}
	defer rr.end()
	cluster := clusterOf(ctx)
	var bytes int
	for i, r := range recs {
		if i > 0 {
			b = append(b, ',')
		}
		b = rr.appendRecord(b, cluster, r)
		bytes += len(r.Key) + len(r.Value)
	}
	buf.B = append(b, "]}"...)
	if a.Metrics != nil && len(recs) > 0 {
		m := a.Metrics.Topic(topic)
		m.ConsumedRecords.Add(len(recs))
		m.ConsumedBytes.Add(bytes)
	}
	ctx.SetStatusCode(fasthttp.StatusOK)
	ctx.SetContentType(rest.MediaJSON)
	// Hand the rendered body to fasthttp instead of copying it; its old
	// body buffer comes back to our pool.
	buf.B = ctx.Response.SwapBody(buf.B)[:0]
	return nil
}

// readQuery parses and checks the query of a stateless read.
func (a *API) readQuery(args *fasthttp.Args) (readQuery, error) {
	q := readQuery{offset: -1, maxRecords: defaultReadRecords, maxBytes: a.Config.Consumers.RequestMaxBytes}
	if args.Has("offset") && args.Has("timestamp") {
		return q, rest.Errorf(400, rest.CodeBadRequest, "Bad Request: use offset or timestamp, not both")
	}
	if args.Has("offset") {
		n, err := queryCount(args, "offset", 0)
		if err != nil {
			return q, err
		}
		q.offset = n
	}
	if args.Has("timestamp") {
		raw := args.Peek("timestamp")
		t, ok := codec.ParseTime(raw, true)
		if !ok {
			return q, rest.Errorf(400, rest.CodeBadRequest, "Bad Request: timestamp=%s is neither an ISO-8601 instant such as 2026-12-01T10:00:00Z nor milliseconds since the epoch", codec.Clip(string(raw), 64))
		}
		q.at, q.hasTime = t, true
	}
	if args.Has("max_records") {
		n, err := queryCount(args, "max_records", 1)
		if err != nil {
			return q, err
		}
		q.maxRecords = min(n, maxReadRecords)
	}
	if args.Has("max_bytes") {
		n, err := queryCount(args, "max_bytes", 1)
		if err != nil {
			return q, err
		}
		q.maxBytes = min(n, q.maxBytes)
	}
	var err error
	q.format, err = formatQuery(args)
	return q, err
}

// formatQuery reads the format parameter of the reads: binary, json or
// string forces that type; absent, each record's framing decides.
func formatQuery(args *fasthttp.Args) (dataType, error) {
	if !args.Has("format") {
		return typeRegistry, nil
	}
	switch raw := string(args.Peek("format")); strings.ToLower(raw) {
	case "binary":
		return typeBinary, nil
	case "json":
		return typeJSON, nil
	case "string":
		return typeString, nil
	default:
		return typeRegistry, rest.Errorf(400, rest.CodeBadRequest, "Bad Request: format=%s is not one of binary, json and string", codec.Clip(raw, 64))
	}
}

// queryCount reads an integer query parameter of at least least.
func queryCount(args *fasthttp.Args, name string, least int64) (int64, error) {
	raw := string(args.Peek(name))
	n, err := strconv.ParseInt(raw, 10, 64)
	switch {
	case err != nil:
		return 0, rest.Errorf(400, rest.CodeBadRequest, "Bad Request: %s=%s is not an integer", name, codec.Clip(raw, 64))
	case n < least && least == 0:
		return 0, rest.Errorf(400, rest.CodeBadRequest, "Bad Request: %s must not be negative", name)
	case n < least:
		return 0, rest.Errorf(400, rest.CodeBadRequest, "Bad Request: %s must be positive", name)
	}
	return n, nil
}

// readSize estimates the rendered size of recs.
func readSize(recs []*kgo.Record) int {
	n := 128
	for _, r := range recs {
		n += (len(r.Key)+len(r.Value))*4/3 + len(r.Topic) + 256
		for _, h := range r.Headers {
			n += len(h.Key) + len(h.Value)*4/3 + 32
		}
	}
	return n
}

// recordReader renders the records of one read.
type recordReader struct {
	a       *API
	c       context.Context
	topic   string
	format  dataType
	scratch *pool.Buffer     // decoded schema data, before its envelope
	failed  map[int]struct{} // schema ids the registry failed on, not asked again
}

func (rr *recordReader) end() {
	if rr.scratch != nil {
		pool.PutBuffer(rr.scratch)
	}
}

// appendRecord appends r as a KafkaRecord.
func (rr *recordReader) appendRecord(dst []byte, cluster string, r *kgo.Record) []byte {
	dst = append(dst, `{"kind":"KafkaRecord",`...)
	dst = appendPlace(dst, cluster, r)
	dst = append(dst, `,"headers":`...)
	dst = codec.AppendHeaders(dst, r.Headers)
	dst = append(dst, `,"key":`...)
	dst = rr.appendData(dst, r.Key, true)
	dst = append(dst, `,"value":`...)
	dst = rr.appendData(dst, r.Value, false)
	return append(dst, '}')
}

// appendData appends a record's key or value: null, or an object with
// its type and data (and schema for a schema type).
func (rr *recordReader) appendData(dst, data []byte, isKey bool) []byte {
	if data == nil {
		return append(dst, "null"...)
	}
	off := len(dst)
	switch rr.format {
	case typeJSON:
		dst = append(dst, `{"type":"JSON","data":`...)
		if out, err := codec.AppendJSONValue(dst, data); err == nil {
			return append(out, '}')
		}
		dst = dst[:off]
	case typeString:
		dst = append(dst, `{"type":"STRING","data":`...)
		if out, ok := codec.AppendQuoteBytes(dst, data); ok {
			return append(out, '}')
		}
		dst = dst[:off]
	case typeRegistry:
		if out, ok := rr.appendDecoded(dst, data, isKey); ok {
			return out
		}
	}
	dst = append(dst, `{"type":"BINARY","data":"`...)
	dst = codec.AppendBase64(dst, data)
	return append(dst, `"}`...)
}

// appendDecoded appends data decoded with its schema when it is framed
// with the id of a schema the registry has; ok is false otherwise and on
// any failure, registry errors included.
func (rr *recordReader) appendDecoded(dst, data []byte, isKey bool) ([]byte, bool) {
	id, framed := schema.FramedID(data)
	if rr.a.Schemas == nil || !framed {
		return dst, false
	}
	if _, bad := rr.failed[id]; bad {
		return dst, false
	}
	if rr.scratch == nil {
		rr.scratch = pool.GetBuffer()
	}
	decoded, d, err := rr.a.Schemas.AppendDecoded(rr.c, rr.scratch.B[:0], data, rr.topic, isKey)
	rr.scratch.B = decoded[:0]
	if err != nil {
		if errors.As(err, new(*schema.Error)) {
			if rr.failed == nil {
				rr.failed = map[int]struct{}{}
			}
			rr.failed[id] = struct{}{}
		}
		return dst, false
	}
	dst = append(dst, `{"type":"`...)
	dst = append(dst, typeNames[typeOf(d.Format)]...)
	dst = append(dst, '"')
	if d.Subject != "" {
		dst = append(dst, `,"subject":`...)
		dst = codec.AppendQuote(dst, d.Subject)
	}
	dst = append(dst, `,"schema_id":`...)
	dst = strconv.AppendInt(dst, int64(d.ID), 10)
	if d.Subject != "" {
		dst = append(dst, `,"schema_version":`...)
		dst = strconv.AppendInt(dst, int64(d.Version), 10)
	}
	dst = append(dst, `,"data":`...)
	dst = append(dst, decoded...)
	return append(dst, '}'), true
}
