package v3

import (
	"bytes"
	"encoding/binary"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/bytedance/sonic"
)

// The hand decode is the first of a streamed record's three decodes: a
// cursor over the record's bytes that takes only the plainest records
// (every string without escapes, every raw value a string, null or an
// integer, no field twice, no field it does not know) and refuses anything
// else with notSimple, for fillFast and then the strict decoder. It reads
// what it takes exactly as they would (FuzzFillHand holds it to the strict
// decoder), without the two decoder passes of fillFast: a binary record of
// 1 KiB costs about a third as much (BenchmarkFill).

// handScan is a cursor over one record's JSON.
type handScan struct {
	b []byte
	i int
}

// ws skips JSON whitespace.
func (s *handScan) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// next consumes c, after whitespace; false if something else is there.
func (s *handScan) next(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// null consumes a null, after whitespace.
func (s *handScan) null() bool {
	s.ws()
	if len(s.b)-s.i >= 4 && string(s.b[s.i:s.i+4]) == "null" {
		s.i += 4
		return true
	}
	return false
}

// str consumes a string without escapes or control characters, in valid
// UTF-8, and returns what is between its quotes.
func (s *handScan) str() ([]byte, bool) {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, false
	}
	in, ok := plainString(s.b[s.i+1:])
	if ok {
		s.i += len(in) + 2
	}
	return in, ok
}

// plainString returns what lies between the quotes of a string without
// escapes or control characters, in valid UTF-8, whose opening quote
// precedes b; false for any other string.
func plainString(b []byte) ([]byte, bool) {
	n, ascii, ok := plainStringLen(b)
	if !ok || !ascii && !utf8.Valid(b[:n]) {
		return nil, false
	}
	return b[:n], true
}

// raw consumes a plain string, a null or an integer and returns it as it
// stands, as a raw field holds it.
func (s *handScan) raw() ([]byte, bool) {
	s.ws()
	if s.i >= len(s.b) {
		return nil, false
	}
	start := s.i
	switch c := s.b[s.i]; {
	case c == '"':
		if _, ok := s.str(); !ok {
			return nil, false
		}
	case c == 'n':
		if !s.null() {
			return nil, false
		}
	case c == '-' || c >= '0' && c <= '9':
		if c == '-' {
			s.i++
		}
		digits := s.i
		for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
			s.i++
		}
		if n := s.i - digits; n == 0 || n > 1 && s.b[digits] == '0' {
			return nil, false // no digit, or a leading zero
		}
	default:
		return nil, false
	}
	return s.b[start:s.i], true
}

// rawTo consumes a raw value (raw) into dst.
func (s *handScan) rawTo(dst *sonic.NoCopyRawMessage) bool {
	v, ok := s.raw()
	*dst = v
	return ok
}

// member consumes a member's name and its colon.
func (s *handScan) member() ([]byte, bool) {
	name, ok := s.str()
	return name, ok && s.next(':')
}

// more consumes what follows a member or an element: true at a comma,
// false at close (ok) or anything else (not ok).
func (s *handScan) more(close byte) (more, ok bool) {
	if s.next(',') {
		return true, true
	}
	return false, s.next(close)
}

// members consumes the members of the object whose '{' was just consumed,
// and its '}': field consumes each member's value and returns the member's
// bit (0 for a member it does not know) and whether it took the value. A
// member met twice ends it, false.
func (s *handScan) members(field func(name []byte) (bit uint8, ok bool)) bool {
	if s.next('}') {
		return true
	}
	var seen uint8
	for more := true; more; {
		name, ok := s.member()
		if !ok {
			return false
		}
		bit, ok := field(name)
		if bit == 0 || !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
		if more, ok = s.more('}'); !ok {
			return false
		}
	}
	return true
}

// SWAR constants: a byte's worth of ones and of high bits in each lane.
const (
	lanes    = 0x0101010101010101
	highBits = 0x8080808080808080
)

// plainStringLen finds the closing quote of a string whose opening quote
// precedes b: its length, whether it is all ASCII, and false if an escape
// or a control character comes first, or no quote at all. The quote and
// any backslash are found with the vector search of bytes.IndexByte; the
// control characters 32 bytes at a time while all are ASCII.
func plainStringLen(b []byte) (n int, ascii, ok bool) {
	if n, ascii, ok = plainStringLenSlow(b[:min(len(b), 32)]); ok || len(b) <= 32 {
		return n, ascii, ok // a short string (a name, a type), or none
	}
	// No quote in the first 32 bytes, or something wrong there, which the
	// checks below meet again.
	n = bytes.IndexByte(b, '"')
	if n < 0 {
		return 0, false, false
	}
	in := b[:n]
	if bytes.IndexByte(in, '\\') >= 0 {
		return 0, false, false
	}
	ascii = true
	i := 0
	for ; i+32 <= len(in); i += 32 {
		// A lane below 0x20 or at 0x80 and above, in any of four
		// words, ends the fast loop.
		w := in[i : i+32 : i+32]
		a, b, c, d := binary.LittleEndian.Uint64(w), binary.LittleEndian.Uint64(w[8:]), binary.LittleEndian.Uint64(w[16:]), binary.LittleEndian.Uint64(w[24:])
		if ((a-lanes*0x20)|a|(b-lanes*0x20)|b|(c-lanes*0x20)|c|(d-lanes*0x20)|d)&highBits != 0 {
			break
		}
	}
	for _, c := range in[i:] {
		switch {
		case c < 0x20:
			return 0, false, false
		case c >= 0x80:
			ascii = false
		}
	}
	return n, ascii, true
}

// plainStringLenSlow is plainStringLen a byte at a time.
func plainStringLenSlow(b []byte) (n int, ascii, ok bool) {
	ascii = true
	for i, c := range b {
		switch {
		case c == '"':
			return i, ascii, true
		case c == '\\' || c < 0x20:
			return 0, false, false
		case c >= 0x80:
			ascii = false
		}
	}
	return 0, false, false
}

// fillHand decodes raw into b.rec as fillFast would, or refuses it with
// notSimple.
func (b *builder) fillHand(raw []byte) error {
	s := handScan{b: raw}
	st := &b.state
	rec := &b.rec
	*rec = produceRecord{Headers: rec.Headers[:0]}
	st.names = st.names[:0]
	ok := s.next('{') && s.members(func(name []byte) (uint8, bool) {
		switch string(name) {
		case "id":
			return 1, s.rawTo(&rec.ID)
		case "partition_id":
			return 2, s.rawTo(&rec.PartitionID)
		case "timestamp":
			return 4, s.rawTo(&rec.Timestamp)
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
	if !ok {
		return notSimple{}
	}
	s.ws()
	if s.i != len(raw) {
		return notSimple{}
	}
	return nil
}

// handHeaders consumes a record's headers (null or an array of objects
// with a plain name and a plain value) into b.rec.
func (b *builder) handHeaders(s *handScan) bool {
	if s.null() {
		return true
	}
	if !s.next('[') {
		return false
	}
	if s.next(']') {
		return true
	}
	st, rec := &b.state, &b.rec
	for more := true; more; {
		if !s.next('{') {
			return false
		}
		var h produceHeader
		if !s.members(func(name []byte) (uint8, bool) {
			switch string(name) {
			case "name":
				if s.null() {
					return 1, true
				}
				n, ok := s.str()
				if ok {
					// kgo keeps the name in the record: copied (once, by
					// the conversion). An earlier name's pointer stays
					// valid when append moves the array (the old one
					// lives on).
					st.names = append(st.names, string(n))
					h.Name = &st.names[len(st.names)-1]
				}
				return 1, ok
			case "value":
				return 2, s.rawTo(&h.Value)
			}
			return 0, false
		}) {
			return false
		}
		rec.Headers = append(rec.Headers, h)
		var ok bool
		if more, ok = s.more(']'); !ok {
			return false
		}
	}
	return true
}

// handData consumes a key or value (null or an object of plain strings and
// raw values) into d, its strings into strs; nil for null.
func handData(s *handScan, d *produceData, strs *[4]string) (*produceData, bool) {
	if s.null() {
		return nil, true
	}
	if !s.next('{') {
		return nil, false
	}
	*d = produceData{}
	ok := s.members(func(name []byte) (uint8, bool) {
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
			return 16, s.rawTo(&d.SchemaID)
		case "schema_version":
			return 32, s.rawTo(&d.SchemaVersion)
		case "data":
			return 64, s.rawTo(&d.Data)
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
func handString(s *handScan, field **string, str *string, keep bool) bool {
	if s.null() {
		return true
	}
	in, ok := s.str()
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
