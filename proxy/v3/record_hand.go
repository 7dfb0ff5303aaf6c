package v3

import (
	"strings"
	"unsafe"

	"github.com/krest-dev/krest/codec"
)

// The hand decode is the first of a streamed record's three decodes: a
// cursor (codec.Cursor) over the record's bytes that takes only the plainest records
// (every string without escapes, every raw value a string, null or an
// integer, no field twice, no field it does not know) and refuses anything
// else with notSimple, for fillFast and then the strict decoder. It reads
// what it takes exactly as they would (FuzzFillHand holds it to the strict
// decoder), without the two decoder passes of fillFast: a binary record of
// 1 KiB costs about a third as much (BenchmarkFill).

// fillHand decodes raw into b.rec as fillFast would, or refuses it with
// notSimple.
func (b *builder) fillHand(raw []byte) error {
	s := codec.Cursor{B: raw}
	st := &b.state
	rec := &b.rec
	*rec = produceRecord{Headers: rec.Headers[:0]}
	st.names = st.names[:0]
	ok := s.Next('{') && s.Members(func(name []byte) (uint8, bool) {
		switch string(name) {
		case "id":
			return 1, codec.RawTo(&s, &rec.ID)
		case "partition_id":
			return 2, codec.RawTo(&s, &rec.PartitionID)
		case "timestamp":
			return 4, codec.RawTo(&s, &rec.Timestamp)
		case "headers":
			return 8, b.handHeaders(&s)
		case "key":
			d, ok := handData(&s, &st.key, &st.keyStrs)
			rec.Key = d
			return 16, ok
		case "value":
			d, ok := handData(&s, &st.value, &st.valueStrs)
			rec.Value = d
			return 32, ok
		}
		return 0, false
	})
	if !ok || !s.End() {
		return notSimple{}
	}
	return nil
}

// handHeaders consumes a record's headers (null or an array of objects
// with a plain name and a plain value) into b.rec.
func (b *builder) handHeaders(s *codec.Cursor) bool {
	if s.Null() {
		return true
	}
	if !s.Next('[') {
		return false
	}
	st, rec := &b.state, &b.rec
	return s.Elements(func() bool {
		if !s.Next('{') {
			return false
		}
		name, value, ok := s.Header()
		h := produceHeader{Value: value}
		if name != nil {
			// kgo keeps the name in the record: copied (once, by the
			// conversion). An earlier name's pointer stays valid when
			// append moves the array (the old one lives on).
			st.names = append(st.names, string(name))
			h.Name = &st.names[len(st.names)-1]
		}
		rec.Headers = append(rec.Headers, h)
		return ok
	})
}

// handData consumes a key or value (null or an object of plain strings and
// raw values) into d, its strings into strs; nil for null.
func handData(s *codec.Cursor, d *produceData, strs *[4]string) (*produceData, bool) {
	if s.Null() {
		return nil, true
	}
	if !s.Next('{') {
		return nil, false
	}
	*d = produceData{}
	ok := s.Members(func(name []byte) (uint8, bool) {
		switch string(name) {
		case "type":
			return 1, handString(s, &d.Type, &strs[0], false)
		case "subject":
			return 2, handString(s, &d.Subject, &strs[1], true)
		case "subject_name_strategy":
			return 4, handString(s, &d.SubjectNameStrategy, &strs[2], false)
		case "schema":
			return 8, handString(s, &d.Schema, &strs[3], true)
		case "schema_id":
			return 16, codec.RawTo(s, &d.SchemaID)
		case "schema_version":
			return 32, codec.RawTo(s, &d.SchemaVersion)
		case "data":
			return 64, codec.RawTo(s, &d.Data)
		}
		return 0, false
	})
	if !ok {
		return nil, false
	}
	return d, true
}

// handString consumes a null (field stays nil) or a plain string into str,
// which field then points to; keep copies it (it outlives the record).
func handString(s *codec.Cursor, field **string, str *string, keep bool) bool {
	if s.Null() {
		return true
	}
	in, ok := s.Str()
	if !ok {
		return false
	}
	*str = unsafe.String(unsafe.SliceData(in), len(in))
	if keep {
		*str = strings.Clone(*str)
	}
	*field = str
	return true
}
