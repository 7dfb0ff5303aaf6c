package proxy

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/bytedance/sonic"
	sonicerr "github.com/bytedance/sonic/decoder"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/krest-dev/krest/codec"
)

// produceRequest is the body of a v1/v2 produce: Confluent's ProduceRequest.
// The schema fields are accepted (and ignored by binary and json, as in
// Confluent's proxy) so that clients sending them are not rejected.
type produceRequest struct {
	Records       []produceRecord `json:"records"`
	KeySchema     *string         `json:"key_schema"`
	KeySchemaID   *int32          `json:"key_schema_id"`
	ValueSchema   *string         `json:"value_schema"`
	ValueSchemaID *int32          `json:"value_schema_id"`
}

// produceRecord is one record. headers and timestamp are krest extensions.
//
// The raw values reference the decoder's copy of the body rather than being
// copied one by one (two allocations per record saved); they are converted
// into the job's arena before the handler returns and never kept.
type produceRecord struct {
	Key       sonic.NoCopyRawMessage `json:"key"`
	Value     sonic.NoCopyRawMessage `json:"value"`
	Partition *int32                 `json:"partition"`
	Headers   []produceHeader        `json:"headers"`
	Timestamp sonic.NoCopyRawMessage `json:"timestamp"`
}

type produceHeader struct {
	Name  string                 `json:"name"`
	Value sonic.NoCopyRawMessage `json:"value"`
}

// requestJSON decodes request envelopes: unknown fields are errors, as with
// Jackson's FAIL_ON_UNKNOWN_PROPERTIES in Confluent's proxy; strings are
// copied so nothing decoded aliases the request buffer; keys match exactly
// (Jackson is case-sensitive) and strings must be valid JSON strings, since
// the json format stores them verbatim.
var requestJSON = sonic.Config{DisallowUnknownFields: true, CopyString: true, CaseSensitive: true, ValidateString: true}.Froze()

// decode parses body and builds its records, for formats without schemas.
func (j *produceJob) decode(body []byte, format codec.Format, topic string, pathPartition int32) error {
	if err := j.parse(body); err != nil {
		return err
	}
	return j.build(format, topic, pathPartition)
}

// parse decodes the request envelope into j.req.
func (j *produceJob) parse(body []byte) error {
	if isBlank(body) || string(body) == "null" {
		return errBodyEmpty
	}
	// Decoding the body in place saves sonic's copy of it (a []byte is
	// first copied to a string). Nothing decoded outlives the handler in
	// the body: strings are copied (CopyString), and the raw key, value and
	// header values, which reference it, are read only by build and
	// cleared by putProduceJob, before the handler returns and the body's
	// buffer is reused.
	if err := requestJSON.UnmarshalFromString(unsafe.String(unsafe.SliceData(body), len(body)), &j.req); err != nil {
		return jsonError(err)
	}
	if len(j.req.Records) == 0 {
		return errRecordsEmpty
	}
	return nil
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
		return newError(422, 42201, "Request includes keys but does not include key schema")
	case vals && j.req.ValueSchema == nil && j.req.ValueSchemaID == nil:
		return newError(422, 42202, "Request includes values but does not include value schema")
	}
	return nil
}

// build turns the parsed records into j.recs for topic, with the embedded
// format's bytes in j.arena (for schema formats, framed with j.keySchema /
// j.valueSchema). Every record is checked before anything is produced, so
// one bad record fails the request and nothing is sent.
func (j *produceJob) build(format codec.Format, topic string, pathPartition int32) error {
	n := len(j.req.Records)
	j.spans = growLen(j.spans, n)
	j.recs = growLen(j.recs, n)
	j.errs = growLen(j.errs, n)

	var err error
	for i := range j.req.Records {
		in := &j.req.Records[i]
		sp := &j.spans[i]
		sp.headers, sp.headerVals = sp.headers[:0], sp.headerVals[:0]
		if sp.key, err = j.embed(format, in.Key, j.keySchema); err != nil {
			return embedError(format, i, "key", err)
		}
		if sp.value, err = j.embed(format, in.Value, j.valueSchema); err != nil {
			return embedError(format, i, "value", err)
		}
		for _, h := range in.Headers {
			v, err := j.embed(codec.Binary, h.Value, nil)
			if err != nil {
				return badRequest(fmt.Errorf("header %q: %w", h.Name, err))
			}
			sp.headers = append(sp.headers, kgo.RecordHeader{Key: h.Name})
			sp.headerVals = append(sp.headerVals, v)
		}
		r := &j.recs[i]
		*r = kgo.Record{Topic: topic, Partition: pathPartition}
		if in.Partition != nil {
			if *in.Partition < 0 {
				return errPartitionNotFound
			}
			r.Partition = *in.Partition
		}
		if r.Timestamp, err = parseTimestamp(in.Timestamp); err != nil {
			return badRequest(err)
		}
	}
	// The arena is complete: only now is it safe to slice it.
	arena := j.arena.B
	for i := range j.recs {
		sp, r := &j.spans[i], &j.recs[i]
		r.Key, r.Value = sp.key.in(arena), sp.value.in(arena)
		if len(sp.headers) > 0 {
			for k := range sp.headers {
				sp.headers[k].Value = sp.headerVals[k].in(arena)
			}
			r.Headers = sp.headers
		}
	}
	return nil
}

// embedError reports a key or value that does not convert: Confluent's 400
// for binary and json, 422/42207 naming the record for the schema formats.
func embedError(format codec.Format, i int, side string, err error) error {
	if format.UsesSchema() {
		return newError(422, 42207, "Error serializing message. Record %d %s: %v", i, side, err)
	}
	return badRequest(err)
}

// embed appends the bytes of one embedded key or value to the arena: framed
// with the Confluent header when sch is set. JSON null stays a null key or
// value (a tombstone), whatever the format.
func (j *produceJob) embed(format codec.Format, raw []byte, sch *resolvedSchema) (span, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nullSpan, nil
	}
	a := j.arena
	off := len(a.B)
	var err error
	switch {
	case format == codec.Binary:
		a.B, err = codec.AppendBase64Value(a.B, raw)
	case format == codec.JSON:
		a.B, err = codec.AppendJSONValue(a.B, raw)
	case sch != nil:
		if a.B, err = schemaHeader.AppendEncode(a.B, sch.id, sch.codec.index()); err == nil {
			a.B, err = sch.codec.appendPayload(a.B, raw)
		}
	default:
		err = fmt.Errorf("embedded format %s needs a schema", format)
	}
	if err != nil {
		return nullSpan, err
	}
	return span{off, len(a.B)}, nil
}

// parseTimestamp reads a record's optional timestamp: milliseconds since the
// epoch, or an ISO-8601 / RFC 3339 string as in the v3 API. Zero means "now",
// which kgo fills in at produce time.
func parseTimestamp(raw []byte) (time.Time, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return time.Time{}, nil
	}
	if raw[0] == '"' {
		var s []byte
		s, err := codec.AppendUnquote(s, raw)
		if err == nil {
			if t, perr := time.Parse(time.RFC3339Nano, string(s)); perr == nil {
				return t, nil
			}
		}
	} else if ms, err := strconv.ParseInt(string(raw), 10, 64); err == nil && ms >= 0 {
		return time.UnixMilli(ms), nil
	}
	return time.Time{}, fmt.Errorf("timestamp=%s is neither milliseconds since the epoch nor an ISO-8601 date-time", raw)
}

// jsonError maps a request-decoding error to Confluent's replies: 422
// "Unrecognized field: x" for unknown fields, 400 with the parser's message
// for malformed JSON and for values of the wrong type.
func jsonError(err error) *Error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, `json: unknown field "`); ok {
		return &Error{Status: 422, Code: 422, Message: "Unrecognized field: " + strings.TrimSuffix(name, `"`), Err: err}
	}
	var syn sonicerr.SyntaxError
	if errors.As(err, &syn) {
		msg = syn.Description()
	}
	var mis *sonicerr.MismatchTypeError
	if errors.As(err, &mis) {
		msg = fmt.Sprintf("value at index %d is not of the expected type (%s)", mis.Pos, jsonTypeName(mis.Type))
	}
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	msg = strings.TrimSuffix(strings.TrimSpace(msg), ":")
	return &Error{Status: 400, Code: 400, Message: "Malformed request body: " + msg, Err: err}
}

// jsonTypeName names a Go type of the request structs in JSON terms.
func jsonTypeName(t reflect.Type) string {
	if t == nil {
		return "value"
	}
	switch t.Kind() {
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Int:
		return "integer"
	case reflect.String:
		return "string"
	case reflect.Slice:
		return "array"
	case reflect.Struct, reflect.Map:
		return "object"
	case reflect.Pointer:
		return jsonTypeName(t.Elem())
	}
	return t.String()
}

// growLen returns s with length n, reusing its array when it is big enough.
func growLen[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n)
}
