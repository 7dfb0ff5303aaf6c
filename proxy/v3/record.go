package v3

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bytedance/sonic"

	"github.com/krest-dev/krest/codec"
	"github.com/krest-dev/krest/proxy/produce"
	"github.com/krest-dev/krest/proxy/rest"
	"github.com/krest-dev/krest/proxy/schema"
	"github.com/krest-dev/krest/proxy/tracing"
)

// produceRecord is one record of a v3 produce (Confluent's ProduceRequest);
// id is a batch entry's. Raw values reference the request bytes, which
// outlive them only until the record is built.
type produceRecord struct {
	ID          sonic.NoCopyRawMessage `json:"id"`
	PartitionID sonic.NoCopyRawMessage `json:"partition_id"`
	Headers     []produceHeader        `json:"headers"`
	Key         *produceData           `json:"key"`
	Value       *produceData           `json:"value"`
	Timestamp   sonic.NoCopyRawMessage `json:"timestamp"`
}

type produceHeader struct {
	Name  *string                `json:"name"`
	Value sonic.NoCopyRawMessage `json:"value"`
}

// produceData is a record's key or value (Confluent's ProduceRequestData).
type produceData struct {
	Type                *string                `json:"type"`
	Subject             *string                `json:"subject"`
	SubjectNameStrategy *string                `json:"subject_name_strategy"`
	SchemaID            sonic.NoCopyRawMessage `json:"schema_id"`
	SchemaVersion       sonic.NoCopyRawMessage `json:"schema_version"`
	Schema              *string                `json:"schema"`
	Data                sonic.NoCopyRawMessage `json:"data"`

	// id and version are schema_id and schema_version as data reads
	// them, coerced as Jackson would (nil: absent or null).
	id, version *int32
}

// dataType is a key or value's "type".
type dataType uint8

const (
	typeRegistry dataType = iota // no type: the registry's schema decides
	typeBinary
	typeJSON
	typeString
	typeAvro
	typeJSONSchema
	typeProtobuf
)

var typeNames = [...]string{"", "BINARY", "JSON", "STRING", "AVRO", "JSONSCHEMA", "PROTOBUF"}

func parseType(s string) (dataType, bool) {
	for i, n := range typeNames {
		if i > 0 && n == s {
			return dataType(i), true
		}
	}
	return 0, false
}

func typeOf(f codec.Format) dataType {
	switch f {
	case codec.JSONSchema:
		return typeJSONSchema
	case codec.Protobuf:
		return typeProtobuf
	}
	return typeAvro
}

func (t dataType) format() codec.Format {
	switch t {
	case typeJSONSchema:
		return codec.JSONSchema
	case typeProtobuf:
		return codec.Protobuf
	}
	return codec.Avro
}

// side is what a produce result says of a record's key or value.
type side struct {
	present bool // the request had it
	typ     dataType
	reg     *schema.Registered // the schema of a schema type
	size    int                // bytes produced; -1 for null
}

var strategies = map[string]string{"TOPIC_NAME": "topic", "RECORD_NAME": "record", "TOPIC_RECORD_NAME": "topic_record"}

// builder turns produce records into kgo records for one topic, with the
// schemas it resolved cached for the stream or batch it serves.
type builder struct {
	a     *API
	topic string
	rec   produceRecord // the record being built
	state decodeState   // how fill decodes it
	// traceparent is the request's trace context, written into each
	// record's headers (nil: tracing off).
	traceparent []byte
	tracestate  []byte // and its vendor state, if any
	// traceAt and stateAt are where traceparent and tracestate sit in the
	// arena of the batch being built, written there once per batch.
	traceAt, stateAt produce.Span
	schemas          map[specKey]*schema.Registered
}

// traceIn returns where b's trace context sits in out's arena, writing it
// there unless an earlier record of out already did. A batch recycled
// since holds other bytes at the same place, which the comparison sees.
func (b *builder) traceIn(arena *[]byte) (trace, state produce.Span) {
	a := *arena
	t, st := b.traceAt, b.stateAt
	if t.Off >= 0 && t.End <= len(a) && bytes.Equal(a[t.Off:t.End], b.traceparent) &&
		(b.tracestate == nil || st.Off >= 0 && st.End <= len(a) && bytes.Equal(a[st.Off:st.End], b.tracestate)) {
		return t, st
	}
	t = produce.Span{Off: len(a), End: len(a) + len(b.traceparent)}
	a = append(a, b.traceparent...)
	st = produce.Null
	if b.tracestate != nil {
		st = produce.Span{Off: len(a), End: len(a) + len(b.tracestate)}
		a = append(a, b.tracestate...)
	}
	*arena = a
	b.traceAt, b.stateAt = t, st
	return t, st
}

// specKey identifies a schema request within a stream.
type specKey struct {
	isKey                      bool
	typ                        dataType
	subject, strategy, text    string
	id, version                int64
	hasID, hasVersion, hasText bool
}

// maxCachedSpecs bounds a builder's schema cache.
const maxCachedSpecs = 64

// build decodes one record (its JSON object, raw) and adds it to out: its
// bytes appended to out's arena, its key and value described in key and
// value. For a records:batch entry (batch) it returns the entry's raw
// "id"; a streamed record may not have one. A record Confluent refuses is
// an error (status and code as rest.Map gives them), and out is left as it
// was.
func (b *builder) build(raw []byte, batch bool, out *produce.Batch, key, value *side) (id []byte, err error) {
	arena := out.Arena
	off := len(arena.B)
	i := out.Add()
	id, err = b.decode(raw, batch, out, i, key, value)
	if err != nil {
		arena.B = arena.B[:off]
		out.Drop()
	}
	return id, err
}

// decode decodes raw into record i of out.
func (b *builder) decode(raw []byte, batch bool, out *produce.Batch, i int, key, value *side) ([]byte, error) {
	// The record is decoded into the builder's own, reused: a builder
	// serves one goroutine.
	if err := b.fill(raw); err != nil {
		return nil, err
	}
	rec := &b.rec
	if !batch && rec.ID != nil {
		return nil, rest.Errorf(400, rest.CodeBadRequest, "Unrecognized field: id")
	}
	partition := int32(produce.AutoPartition)
	p, ok, err := recordInt32(rec.PartitionID, "partition_id")
	if err != nil {
		return rec.ID, err
	}
	if ok {
		if p < 0 {
			return rec.ID, rest.ErrPartitionNotFound
		}
		partition = p
	}
	var ts time.Time
	if t := rec.Timestamp; len(t) > 0 && string(t) != "null" {
		if ts, _, err = parseInstant(t); err != nil {
			return rec.ID, err
		}
	}
	arena := out.Arena
	traced := false // the record carries a trace context of its own
	for k, h := range rec.Headers {
		if h.Name == nil {
			return rec.ID, rest.Errorf(400, rest.CodeBadRequest, "Bad Request: headers[%d].name is required", k)
		}
		v := produce.Null
		if len(h.Value) > 0 && string(h.Value) != "null" {
			off := len(arena.B)
			if arena.B, err = codec.AppendBase64Value(arena.B, h.Value); err != nil {
				return rec.ID, rest.BadRequest(err)
			}
			v = produce.Span{Off: off, End: len(arena.B)}
		}
		out.AddHeader(i, *h.Name, v)
		traced = traced || *h.Name == tracing.HeaderTraceParent
	}
	if b.traceparent != nil && !traced {
		trace, state := b.traceIn(&arena.B)
		out.AddHeader(i, tracing.HeaderTraceParent, trace)
		if b.tracestate != nil {
			out.AddHeader(i, tracing.HeaderTraceState, state)
		}
	}
	k := produce.Null
	if key.present = rec.Key != nil; key.present {
		off := len(arena.B)
		if arena.B, err = b.data(rec.Key, true, arena.B, key); err != nil {
			return rec.ID, err
		}
		if key.size >= 0 {
			k = produce.Span{Off: off, End: len(arena.B)}
		}
	}
	v := produce.Null
	if value.present = rec.Value != nil; value.present {
		off := len(arena.B)
		if arena.B, err = b.data(rec.Value, false, arena.B, value); err != nil {
			return rec.ID, err
		}
		if value.size >= 0 {
			v = produce.Span{Off: off, End: len(arena.B)}
		}
	}
	out.Set(i, b.topic, partition, ts, k, v)
	return rec.ID, nil
}

// data appends one key or value to buf.
func (b *builder) data(d *produceData, isKey bool, buf []byte, s *side) ([]byte, error) {
	s.typ, s.reg, s.size = typeRegistry, nil, -1
	var err error
	if d.id, err = schemaInt(d.SchemaID, "schema_id"); err != nil {
		return buf, err
	}
	if d.version, err = schemaInt(d.SchemaVersion, "schema_version"); err != nil {
		return buf, err
	}
	if d.Type != nil {
		t, ok := parseType(*d.Type)
		if !ok {
			return buf, rest.Errorf(400, rest.CodeBadRequest, "Cannot deserialize value of type `EmbeddedFormat` from String %q: not one of the values accepted for Enum class: [BINARY, JSON, STRING, AVRO, JSONSCHEMA, PROTOBUF]", *d.Type)
		}
		s.typ = t
	}
	if d.Subject != nil && d.SubjectNameStrategy != nil {
		return buf, errConstruct("Only one of subject or subject_name_strategy can be used.")
	}
	n := 0
	for _, set := range []bool{d.id != nil, d.version != nil, d.Schema != nil} {
		if set {
			n++
		}
	}
	if n > 1 {
		return buf, errConstruct("Only one of schema_id, schema_version or schema can be used.")
	}
	switch s.typ {
	case typeBinary, typeJSON, typeString:
		if n > 0 || d.Subject != nil || d.SubjectNameStrategy != nil {
			return buf, errConstruct("type=" + typeNames[s.typ] + " cannot be used with subject, subject_name_strategy, schema_id, schema_version or schema.")
		}
	case typeAvro, typeJSONSchema, typeProtobuf:
		if d.Schema == nil {
			return buf, errConstruct("type=" + typeNames[s.typ] + " requires schema: use schema_id, schema_version or the subject's latest schema without a type.")
		}
	}
	data := []byte(d.Data)
	if s.typ == typeRegistry || s.typ >= typeAvro {
		reg, err := b.resolve(isKey, d, s.typ)
		if err != nil {
			return buf, err
		}
		s.reg, s.typ = reg, typeOf(reg.Format)
		if len(data) == 0 || string(data) == "null" {
			return buf, nil
		}
		if err := codec.CheckNumbers(data); err != nil {
			return buf, rest.BadRequest(err)
		}
		off := len(buf)
		if buf, err = reg.AppendEncoded(buf, data); err != nil {
			return buf[:off], rest.BadRequest(err)
		}
		s.size = len(buf) - off
		return buf, nil
	}
	if len(data) == 0 || string(data) == "null" {
		return buf, nil
	}
	off := len(buf)
	switch s.typ {
	case typeBinary:
		buf, err = codec.AppendBase64Value(buf, data)
	case typeJSON:
		buf, err = codec.AppendJSONValue(buf, data)
	case typeString:
		if data[0] != '"' {
			err = fmt.Errorf("data=%s is not a string.", abbreviate(data)) //lint:ignore ST1005 Confluent's exact text
		} else {
			buf, err = codec.AppendUnquote(buf, data)
		}
	}
	if err != nil {
		return buf[:off], rest.BadRequest(err)
	}
	s.size = len(buf) - off
	return buf, nil
}

// resolve finds the schema of a key or value, through the builder's cache.
func (b *builder) resolve(isKey bool, d *produceData, t dataType) (*schema.Registered, error) {
	if b.a.Schemas == nil {
		return nil, rest.ErrNoRegistry
	}
	k := specKey{isKey: isKey, typ: t}
	if d.Subject != nil {
		k.subject = *d.Subject
	}
	if d.SubjectNameStrategy != nil {
		st, ok := strategies[*d.SubjectNameStrategy]
		if !ok {
			return nil, rest.Errorf(400, rest.CodeBadRequest, "Cannot deserialize value of type `EnumSubjectNameStrategy` from String %q: not one of the values accepted for Enum class: [TOPIC_NAME, RECORD_NAME, TOPIC_RECORD_NAME]", *d.SubjectNameStrategy)
		}
		k.strategy = st
	}
	if d.id != nil {
		k.id, k.hasID = int64(*d.id), true
	}
	if d.version != nil {
		k.version, k.hasVersion = int64(*d.version), true
	}
	if d.Schema != nil {
		k.text, k.hasText = *d.Schema, true
	}
	if reg, ok := b.schemas[k]; ok {
		return reg, nil
	}
	spec := schema.Spec{Subject: k.subject, Strategy: k.strategy, ID: d.id, Version: d.version, Text: d.Schema}
	if k.hasText {
		spec.Format = t.format()
	}
	c, cancel := context.WithTimeout(context.Background(), rest.KafkaTimeout)
	defer cancel()
	reg, err := b.a.Schemas.Resolve(c, b.topic, isKey, spec)
	if err != nil {
		return nil, err
	}
	if b.schemas == nil || len(b.schemas) >= maxCachedSpecs {
		b.schemas = make(map[specKey]*schema.Registered)
	}
	b.schemas[k] = reg
	return reg, nil
}

// recordJSONError is a record that does not decode: 400, unknown fields
// included (the streaming reader does not make them 422).
func recordJSONError(err error) error {
	e := rest.JSONError(err)
	msg := e.Message
	if m, ok := strings.CutPrefix(msg, "Malformed request body: "); ok && strings.HasPrefix(m, "Unrecognized field") {
		msg = m
	}
	return &rest.Error{Status: 400, Code: rest.CodeBadRequest, Message: msg, Err: err}
}

// recordInt32 reads a record's raw integer field named name, as
// Jackson's Integer with scalar coercion: a number or a string holding
// one; ok is false when it is absent, null, or an empty string or "null".
// Only a string costs an allocation.
func recordInt32(raw []byte, name string) (n int32, ok bool, err error) {
	if len(raw) == 0 {
		return 0, false, nil
	}
	text, quoted := scalarText(raw)
	if quoted && isNullText(text) || !quoted && string(text) == "null" {
		return 0, false, nil
	}
	v, perr := strconv.ParseInt(string(text), 10, 32)
	if perr != nil {
		return 0, false, rest.Errorf(400, rest.CodeBadRequest, "Cannot deserialize value of type `java.lang.Integer` from %s: %s must be an integer", abbreviate(raw), name)
	}
	return int32(v), true, nil
}

// schemaInt is recordInt32 for a schema_id or schema_version, which
// schema.Spec takes as a pointer: nil when absent.
func schemaInt(raw []byte, name string) (*int32, error) {
	n, ok, err := recordInt32(raw, name)
	if !ok {
		return nil, err
	}
	p := new(int32)
	*p = n
	return p, nil
}

// errConstruct is Jackson's refusal of an entity whose fields conflict.
func errConstruct(problem string) error {
	return rest.Errorf(400, rest.CodeBadRequest, "Cannot construct instance of `ProduceRequestData`, problem: %s", problem)
}

func abbreviate(raw []byte) string {
	if len(raw) > 64 {
		return string(raw[:64]) + "..."
	}
	return string(raw)
}
