package v2

import (
	"bytes"
	"fmt"
	"time"

	"github.com/bytedance/sonic"

	"github.com/krest-dev/krest/codec"
	"github.com/krest-dev/krest/proxy/produce"
	"github.com/krest-dev/krest/proxy/rest"
	"github.com/krest-dev/krest/proxy/schema"
	"github.com/krest-dev/krest/proxy/tracing"
)

// produceRequest is the body of a v1/v2 produce: Confluent's ProduceRequest.
// The schema fields are accepted (and ignored by binary and json, as in
// Confluent's proxy) so that clients sending them are not rejected.
type produceRequest struct {
	Records       []produceRecord `json:"records"`
	KeySchema     *string         `json:"key_schema"`
	KeySchemaID   *int32Field     `json:"key_schema_id"`
	ValueSchema   *string         `json:"value_schema"`
	ValueSchemaID *int32Field     `json:"value_schema_id"`
}

// produceRecord is one record. headers and timestamp are krest extensions.
//
// The raw values reference the request body rather than being copied one
// by one (two allocations per record saved); they are converted into the
// batch's arena before the handler returns and never kept.
type produceRecord struct {
	Key       sonic.NoCopyRawMessage `json:"key"`
	Value     sonic.NoCopyRawMessage `json:"value"`
	Partition sonic.NoCopyRawMessage `json:"partition"` // an int32, see recordPartition
	Headers   []produceHeader        `json:"headers"`
	Timestamp sonic.NoCopyRawMessage `json:"timestamp"`
}

type produceHeader struct {
	Name  string                 `json:"name"`
	Value sonic.NoCopyRawMessage `json:"value"`
}

// decode parses body and builds its records, for formats without schemas.
func (j *produceJob) decode(body []byte, format codec.Format, topic string, pathPartition int32) error {
	if err := j.parse(body); err != nil {
		return err
	}
	return j.build(format, topic, pathPartition)
}

var errRecordsEmpty = rest.Unprocessable("records may not be empty")

// parse decodes the request envelope into j.req.
func (j *produceJob) parse(body []byte) error {
	if rest.IsBlank(body) || string(body) == "null" {
		return rest.ErrBodyEmpty
	}
	// Decoding the body in place saves sonic's copy of it. Nothing decoded
	// outlives the handler in the body: strings are copied, and the raw
	// key, value and header values, which reference it, are read only by
	// build and cleared by putProduceJob, before the handler returns and
	// the body's buffer is reused.
	if err := rest.DecodeJSONInPlace(body, &j.req); err != nil {
		return err
	}
	if len(j.req.Records) == 0 {
		return errRecordsEmpty
	}
	for i := range j.req.Records {
		if r := &j.req.Records[i]; r.Key == nil && r.Value == nil && r.Partition == nil && r.Headers == nil && r.Timestamp == nil {
			// Either {} (a record with a null value, which is fine) or
			// null (refused: Confluent's proxy fails on it), which
			// sonic decodes alike: look at the body, which the in-place
			// decode left untouched, once for all the records.
			if n := firstNullRecord(body); n >= 0 {
				return rest.Unprocessable("records[%d] may not be null", n)
			}
			break
		}
	}
	return nil
}

// firstNullRecord returns the index of the first null element of the
// top-level "records" array of body, a JSON object the decoder accepted,
// or -1 if it has none. It reads structure only, in one pass (strings are
// skipped whole): a record of a million {} costs one scan of the body, not
// one per record. Like the decoder, it goes by the last "records" key.
func firstNullRecord(body []byte) int {
	depth, index, found := 0, 0, -1
	inRecords, pendingKey, isRecords := false, false, false
	for i := 0; i < len(body); i++ {
		switch c := body[i]; c {
		case '"':
			start := i
			i = codec.StringEnd(body, i) - 1
			if depth == 1 && !pendingKey {
				pendingKey = true
				isRecords = isRecordsKey(body[start : i+1])
			}
		case ':':
			pendingKey = false
		case ',':
			if depth == 1 {
				pendingKey = false
			}
			if inRecords && depth == 2 {
				index++
			}
		case '{', '[':
			if depth == 1 && c == '[' && isRecords {
				inRecords, index, found = true, 0, -1
			}
			depth++
		case '}', ']':
			depth--
			if inRecords && depth == 1 {
				inRecords = false
			}
		case 'n': // only null starts with n outside strings
			if inRecords && depth == 2 && found < 0 {
				found = index
			}
		}
	}
	return found
}

// isRecordsKey reports whether the JSON string token key is "records",
// escapes resolved as the decoder resolves them.
func isRecordsKey(key []byte) bool {
	if string(key) == `"records"` {
		return true
	}
	if len(key) > 64 || bytes.IndexByte(key, '\\') < 0 {
		return false
	}
	var buf [64]byte
	s, err := codec.AppendUnquote(buf[:0], key)
	return err == nil && string(s) == "records"
}

// missingSchemas returns Confluent's 42201 / 42202 when records carry keys
// or values but the request names no schema for them.
func (j *produceJob) missingSchemas() error {
	var keys, vals bool
	for i := range j.req.Records {
		r := &j.req.Records[i]
		keys = keys || (len(r.Key) > 0 && string(r.Key) != "null")
		vals = vals || (len(r.Value) > 0 && string(r.Value) != "null")
	}
	switch {
	case keys && j.req.KeySchema == nil && j.req.KeySchemaID == nil:
		return rest.ErrKeySchemaMissing
	case vals && j.req.ValueSchema == nil && j.req.ValueSchemaID == nil:
		return rest.ErrValueSchemaMissing
	}
	return nil
}

// build turns the parsed records into j.batch for topic, with the embedded
// format's bytes in its arena (for schema formats, framed with j.keySchema /
// j.valueSchema). Every record is checked before anything is produced, so
// one bad record fails the request and nothing is sent.
func (j *produceJob) build(format codec.Format, topic string, pathPartition int32) error {
	b := j.batch
	b.Grow(len(j.req.Records))
	// The request's trace context, in the arena once.
	trace, state := produce.Null, produce.Null
	if j.traceparent != nil {
		off := len(b.Arena.B)
		b.Arena.B = append(b.Arena.B, j.traceparent...)
		trace = produce.Span{Off: off, End: len(b.Arena.B)}
		if j.tracestate != nil {
			off = len(b.Arena.B)
			b.Arena.B = append(b.Arena.B, j.tracestate...)
			state = produce.Span{Off: off, End: len(b.Arena.B)}
		}
	}
	for i := range j.req.Records {
		in := &j.req.Records[i]
		key, err := j.embed(format, in.Key, j.keySchema)
		if err != nil {
			return embedError(format, i, "key", err)
		}
		value, err := j.embed(format, in.Value, j.valueSchema)
		if err != nil {
			return embedError(format, i, "value", err)
		}
		traced := false // the record carries a trace context of its own
		for _, h := range in.Headers {
			v, err := j.embed(codec.Binary, h.Value, nil)
			if err != nil {
				return rest.BadRequest(fmt.Errorf("header %q: %w", h.Name, err))
			}
			b.AddHeader(i, h.Name, v)
			traced = traced || h.Name == tracing.HeaderTraceParent
		}
		if trace.Off >= 0 && !traced {
			b.AddHeader(i, tracing.HeaderTraceParent, trace)
			if state.Off >= 0 {
				b.AddHeader(i, tracing.HeaderTraceState, state)
			}
		}
		partition := pathPartition
		if p, ok, err := recordPartition(in.Partition, i); err != nil {
			return err
		} else if ok {
			if p < 0 {
				return rest.ErrPartitionNotFound
			}
			partition = p
		}
		ts, err := parseTimestamp(in.Timestamp)
		if err != nil {
			return rest.BadRequest(err)
		}
		b.Set(i, topic, partition, ts, key, value)
	}
	b.Seal()
	return nil
}

// embedError reports a key or value that does not convert: Confluent's 400
// for binary and json, 422/42207 naming the record for the schema formats.
func embedError(format codec.Format, i int, side string, err error) error {
	if format.UsesSchema() {
		// Confluent's SchemaRecordSerializerImpl turns the converters'
		// errors into a BadRequestException: 400 "Bad Request: ...".
		// krest's message also names the record and the field.
		return &rest.Error{Status: 400, Code: rest.CodeBadRequest, Message: fmt.Sprintf("Bad Request: Record %d %s: %v", i, side, err), Err: err}
	}
	return rest.BadRequest(err)
}

// embed appends the bytes of one embedded key or value to the batch's
// arena: framed with the Confluent header when sch is set. JSON null stays
// a null key or value (a tombstone), whatever the format.
func (j *produceJob) embed(format codec.Format, raw []byte, sch *schema.Registered) (produce.Span, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return produce.Null, nil
	}
	a := j.batch.Arena
	off := len(a.B)
	var err error
	switch {
	case format == codec.Binary:
		a.B, err = codec.AppendBase64Value(a.B, raw)
	case format == codec.JSON:
		a.B, err = codec.AppendJSONValue(a.B, raw)
	case sch != nil:
		if err = codec.CheckNumbers(raw); err == nil {
			a.B, err = sch.AppendEncoded(a.B, raw)
		}
	default:
		err = fmt.Errorf("embedded format %s needs a schema", format)
	}
	if err != nil {
		return produce.Null, err
	}
	return produce.Span{Off: off, End: len(a.B)}, nil
}

// parseTimestamp reads a record's optional timestamp: milliseconds since the
// epoch, or an ISO-8601 / RFC 3339 string as in the v3 API. Zero means "now",
// which kgo fills in at produce time.
func parseTimestamp(raw []byte) (time.Time, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return time.Time{}, nil
	}
	if raw[0] == '"' {
		if s, err := codec.AppendUnquote(nil, raw); err == nil {
			if t, ok := codec.ParseTime(s, false); ok {
				return t, nil
			}
		}
	} else if t, ok := codec.ParseTime(raw, true); ok {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("timestamp=%s is neither milliseconds since the epoch nor an ISO-8601 date-time", raw)
}
