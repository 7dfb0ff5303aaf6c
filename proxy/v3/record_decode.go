package v3

import (
	"strings"
	"unsafe"

	"github.com/bytedance/sonic"
	"github.com/bytedance/sonic/decoder"

	"github.com/krest-dev/krest/codec"
	"github.com/krest-dev/krest/proxy/rest"
)

// A streamed record is decoded for every record of a stream, so its decode
// allocates nothing in the common case: the plainest records are read by
// hand (record_hand.go); the others' record and key and value are first
// decoded as raw fields (rawRecord, rawData) by a decoder the
// builder keeps, and their strings are checked by hand and referenced where
// they sit. Anything the hand checks do not take (an escape in a string, a
// value of the wrong type, an unknown field) is decoded again the strict
// way, into produceRecord's pointers as rest.DecodeJSONInPlace does, so
// that what is accepted and every error message are the strict decoder's.

// rawRecord is a produceRecord with its key and value left raw.
type rawRecord struct {
	ID          sonic.NoCopyRawMessage `json:"id"`
	PartitionID sonic.NoCopyRawMessage `json:"partition_id"`
	Headers     []rawHeader            `json:"headers"`
	Key         sonic.NoCopyRawMessage `json:"key"`
	Value       sonic.NoCopyRawMessage `json:"value"`
	Timestamp   sonic.NoCopyRawMessage `json:"timestamp"`
}

type rawHeader struct {
	Name  sonic.NoCopyRawMessage `json:"name"`
	Value sonic.NoCopyRawMessage `json:"value"`
}

// rawData is a produceData with its strings left raw.
type rawData struct {
	Type                sonic.NoCopyRawMessage `json:"type"`
	Subject             sonic.NoCopyRawMessage `json:"subject"`
	SubjectNameStrategy sonic.NoCopyRawMessage `json:"subject_name_strategy"`
	SchemaID            sonic.NoCopyRawMessage `json:"schema_id"`
	SchemaVersion       sonic.NoCopyRawMessage `json:"schema_version"`
	Schema              sonic.NoCopyRawMessage `json:"schema"`
	Data                sonic.NoCopyRawMessage `json:"data"`
}

// decodeState is what a builder keeps to decode records without
// allocating: the decoder, the raw forms, and the key's and value's
// entities and strings that b.rec points to.
type decodeState struct {
	dec        *decoder.Decoder
	raw        rawRecord
	rawData    rawData
	key, value produceData
	keyStrs    [4]string // type, subject, subject_name_strategy, schema
	valueStrs  [4]string
	names      []string // header names
}

// notSimple is a fast-path refusal: decode strictly.
type notSimple struct{}

func (notSimple) Error() string { return "not simple" }

// fill decodes raw into b.rec, as rest.DecodeJSONInPlace would into a
// produceRecord.
func (b *builder) fill(raw []byte) error {
	if b.fillHand(raw) == nil {
		return nil
	}
	if err := b.fillFast(raw); err != nil {
		rec := &b.rec
		*rec = produceRecord{Headers: rec.Headers[:0]}
		if err := rest.DecodeJSONInPlace(raw, rec); err != nil {
			return recordJSONError(err)
		}
	}
	return nil
}

func (b *builder) fillFast(raw []byte) error {
	st := &b.state
	if st.dec == nil {
		st.dec = decoder.NewDecoder("")
		st.dec.SetOptions(decoder.OptionDisableUnknown | decoder.OptionCaseSensitive | decoder.OptionValidateString)
	}
	fr := &st.raw
	*fr = rawRecord{Headers: fr.Headers[:0]}
	if err := b.decodeRaw(raw, fr); err != nil {
		return err
	}
	rec := &b.rec
	*rec = produceRecord{ID: fr.ID, PartitionID: fr.PartitionID, Timestamp: fr.Timestamp, Headers: rec.Headers[:0]}
	st.names = growLen(st.names, len(fr.Headers))
	for k, h := range fr.Headers {
		name, present, err := rawString(h.Name)
		if err != nil {
			return err
		}
		var p *string
		if present {
			st.names[k] = strings.Clone(name) // kgo keeps it in the record
			p = &st.names[k]
		}
		rec.Headers = append(rec.Headers, produceHeader{Name: p, Value: h.Value})
	}
	var err error
	if rec.Key, err = b.fillData(fr.Key, &st.key, &st.keyStrs); err != nil {
		return err
	}
	rec.Value, err = b.fillData(fr.Value, &st.value, &st.valueStrs)
	return err
}

// decodeRaw decodes raw (an object) into v with the builder's decoder.
func (b *builder) decodeRaw(raw []byte, v any) error {
	dec := b.state.dec
	dec.Reset(unsafe.String(unsafe.SliceData(raw), len(raw)))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.Pos() != len(raw) {
		return notSimple{}
	}
	return nil
}

// fillData decodes a key or value into d, its strings into strs; nil when
// raw is absent or null.
func (b *builder) fillData(raw []byte, d *produceData, strs *[4]string) (*produceData, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] != '{' {
		return nil, notSimple{}
	}
	rd := &b.state.rawData
	*rd = rawData{}
	if err := b.decodeRaw(raw, rd); err != nil {
		return nil, err
	}
	*d = produceData{SchemaID: rd.SchemaID, SchemaVersion: rd.SchemaVersion, Data: rd.Data}
	for k, f := range [...]struct {
		raw   []byte
		field **string
		keep  bool // the string outlives the record (schema cache keys, the registry's): copied
	}{
		{rd.Type, &d.Type, false},
		{rd.Subject, &d.Subject, true},
		{rd.SubjectNameStrategy, &d.SubjectNameStrategy, false},
		{rd.Schema, &d.Schema, true},
	} {
		s, present, err := rawString(f.raw)
		if err != nil {
			return nil, err
		}
		if present {
			if f.keep {
				s = strings.Clone(s)
			}
			strs[k] = s
			*f.field = &strs[k]
		}
	}
	return d, nil
}

// rawString reads a raw JSON string as the strict decoder would: absent and
// null are not present; a string without escapes, control characters or
// invalid UTF-8 is returned where it sits (the caller copies what it
// keeps); anything else is notSimple.
func rawString(raw []byte) (s string, present bool, err error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", false, nil
	}
	if len(raw) < 2 || raw[0] != '"' {
		return "", false, notSimple{}
	}
	in, ok := codec.PlainString(raw[1:])
	if !ok || len(in) != len(raw)-2 {
		return "", false, notSimple{}
	}
	return unsafe.String(unsafe.SliceData(in), len(in)), true, nil
}

// growLen returns s with length n, reusing its array when it is big enough.
func growLen[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n)
}
