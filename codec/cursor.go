package codec

import (
	"bytes"
	"encoding/binary"
	"unicode/utf8"
)

// Cursor reads plain JSON: a cursor over one document that takes only
// the plainest tokens (strings without escapes or control characters, in
// valid UTF-8; null; integers) and reports anything else as not taken
// (false), for the caller to hand the document to a full decoder. What it
// takes it reads as encoding/json and sonic read it, byte for byte, so a
// caller can decode the common document by hand and every other one, with
// its error messages, as before. The hand decodes of produce requests
// (proxy/v2's envelope, proxy/v3's streamed records) are built on it.
//
// B is the document, I the offset of the next byte to read.
type Cursor struct {
	B []byte
	I int
}

// WS skips JSON whitespace.
func (s *Cursor) WS() {
	for s.I < len(s.B) {
		switch s.B[s.I] {
		case ' ', '\t', '\n', '\r':
			s.I++
		default:
			return
		}
	}
}

// Next consumes c, after whitespace; false if something else is there.
func (s *Cursor) Next(c byte) bool {
	s.WS()
	if s.I < len(s.B) && s.B[s.I] == c {
		s.I++
		return true
	}
	return false
}

// Null consumes a null, after whitespace.
func (s *Cursor) Null() bool {
	s.WS()
	if len(s.B)-s.I >= 4 && string(s.B[s.I:s.I+4]) == "null" {
		s.I += 4
		return true
	}
	return false
}

// Str consumes a string without escapes or control characters, in valid
// UTF-8, and returns what is between its quotes.
func (s *Cursor) Str() ([]byte, bool) {
	s.WS()
	if s.I >= len(s.B) || s.B[s.I] != '"' {
		return nil, false
	}
	in, ok := PlainString(s.B[s.I+1:])
	if ok {
		s.I += len(in) + 2
	}
	return in, ok
}

// PlainString returns what lies between the quotes of a string without
// escapes or control characters, in valid UTF-8, whose opening quote
// precedes b; false for any other string.
func PlainString(b []byte) ([]byte, bool) {
	n, ascii, ok := plainStringLen(b)
	if !ok || !ascii && !utf8.Valid(b[:n]) {
		return nil, false
	}
	return b[:n], true
}

// Raw consumes a plain string, a null or an integer and returns it as it
// stands, as a raw message (json.RawMessage, sonic.NoCopyRawMessage)
// holds it.
func (s *Cursor) Raw() ([]byte, bool) {
	s.WS()
	if s.I >= len(s.B) {
		return nil, false
	}
	start := s.I
	switch c := s.B[s.I]; {
	case c == '"':
		if _, ok := s.Str(); !ok {
			return nil, false
		}
	case c == 'n':
		if !s.Null() {
			return nil, false
		}
	case c == '-' || c >= '0' && c <= '9':
		if c == '-' {
			s.I++
		}
		digits := s.I
		for s.I < len(s.B) && s.B[s.I] >= '0' && s.B[s.I] <= '9' {
			s.I++
		}
		if n := s.I - digits; n == 0 || n > 1 && s.B[digits] == '0' {
			return nil, false // no digit, or a leading zero
		}
	default:
		return nil, false
	}
	return s.B[start:s.I], true
}

// RawUnchecked is Raw for a caller that checks a string's bytes itself: a
// string is taken to the next quote without looking at what lies between
// (escapes, control characters, invalid UTF-8), one vector search instead
// of a check of every byte; a quote right after a backslash, which may be
// escaped, is refused. The token is a JSON string if its content
// unquotes (AppendUnquote, which refuses what JSON does): a caller that
// decodes it so into a narrower alphabet (base64's) has what Raw would
// have read, and one whose decoder refuses it must not trust the rest of
// the cursor's reading either, since Raw might have refused the document.
func (s *Cursor) RawUnchecked() ([]byte, bool) {
	s.WS()
	if s.I >= len(s.B) || s.B[s.I] != '"' {
		return s.Raw()
	}
	in := s.B[s.I+1:]
	n := bytes.IndexByte(in, '"')
	if n < 0 || n > 0 && in[n-1] == '\\' {
		return nil, false
	}
	start := s.I
	s.I += n + 2
	return s.B[start:s.I], true
}

// RawTo consumes a raw value (Raw) into dst, a raw message type.
func RawTo[T ~[]byte](s *Cursor, dst *T) bool {
	v, ok := s.Raw()
	*dst = v
	return ok
}

// RawUncheckedTo consumes a raw value (RawUnchecked) into dst.
func RawUncheckedTo[T ~[]byte](s *Cursor, dst *T) bool {
	v, ok := s.RawUnchecked()
	*dst = v
	return ok
}

// End reports whether only whitespace is left.
func (s *Cursor) End() bool {
	s.WS()
	return s.I == len(s.B)
}

// Member consumes a member's name and its colon.
func (s *Cursor) Member() ([]byte, bool) {
	name, ok := s.Str()
	return name, ok && s.Next(':')
}

// More consumes what follows a member or an element: true at a comma,
// false at close (ok) or anything else (not ok).
func (s *Cursor) More(close byte) (more, ok bool) {
	if s.Next(',') {
		return true, true
	}
	return false, s.Next(close)
}

// Members consumes the members of the object whose '{' was just consumed,
// and its '}': field consumes each member's value and returns the member's
// bit (0 for a member it does not know) and whether it took the value. A
// member met twice ends it, false.
func (s *Cursor) Members(field func(name []byte) (bit uint8, ok bool)) bool {
	if s.Next('}') {
		return true
	}
	var seen uint8
	for more := true; more; {
		name, ok := s.Member()
		if !ok {
			return false
		}
		bit, ok := field(name)
		if bit == 0 || !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
		if more, ok = s.More('}'); !ok {
			return false
		}
	}
	return true
}

// Elements consumes the elements of the array whose '[' was just
// consumed, and its ']': elem consumes each element and reports whether
// it took it.
func (s *Cursor) Elements(elem func() bool) bool {
	if s.Next(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if more, ok := s.More(']'); !more {
			return ok
		}
	}
}

// Header consumes the members of a record header (Kafka REST's
// {"name": ..., "value": ...}) whose '{' was just consumed, and its '}':
// name a plain string (nil for null or absent; an empty name is empty,
// not nil), value a raw value as Raw takes it (nil when absent); no other
// member, none twice.
func (s *Cursor) Header() (name, value []byte, ok bool) {
	ok = s.Members(func(member []byte) (uint8, bool) {
		switch string(member) {
		case "name":
			if s.Null() {
				return 1, true
			}
			n, ok := s.Str()
			name = n
			return 1, ok
		case "value":
			v, ok := s.Raw()
			value = v
			return 2, ok
		}
		return 0, false
	})
	return name, value, ok
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
