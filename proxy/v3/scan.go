package v3

import "bytes"

// objectScanner finds the top-level JSON objects of a stream of
// concatenated objects (whitespace between them), as they complete in a
// growing buffer, without parsing them: it tracks only depth, strings and
// escapes, so a malformed object still ends where its braces balance and
// is refused on its own, and the stream goes on.
type objectScanner struct {
	pos     int // next byte to look at
	start   int // start of the object being scanned; -1 between objects
	depth   int
	inStr   bool
	escaped bool
	// Inside a string: quote is the next '"' at or after pos, when a
	// search found one (else -1), and the bytes from pos to noQuote
	// hold none. A string of many escapes is then searched once for
	// its quotes, not once per escape.
	quote, noQuote int
}

func newObjectScanner() objectScanner { return objectScanner{start: -1, quote: -1} }

// scanStatus is what next found.
type scanStatus int

const (
	scanMore   scanStatus = iota // the buffer ends inside an object or between objects
	scanObject                   // buf[start:end] is a complete object
	scanBad                      // a byte outside any object that cannot start one, at end-1
)

// next scans buf from where it stopped.
func (s *objectScanner) next(buf []byte) (start, end int, st scanStatus) {
	for ; s.pos < len(buf); s.pos++ {
		c := buf[s.pos]
		if s.start < 0 {
			switch c {
			case ' ', '\t', '\r', '\n':
				continue
			case '{':
				s.start, s.depth = s.pos, 1
				continue
			}
			s.pos++
			return 0, s.pos, scanBad
		}
		switch {
		case s.escaped:
			s.escaped = false
		case s.inStr:
			// Jump to the string's next quote or backslash: values are
			// mostly long strings (base64), which two vectorised scans
			// cross at once.
			if s.quote < s.pos {
				from := max(s.pos, s.noQuote)
				if q := bytes.IndexByte(buf[from:], '"'); q >= 0 {
					s.quote = from + q
				} else {
					s.quote, s.noQuote = -1, len(buf)
				}
			}
			end := len(buf)
			if s.quote >= 0 {
				end = s.quote
			}
			if b := bytes.IndexByte(buf[s.pos:end], '\\'); b >= 0 {
				s.pos += b
				s.escaped = true
				continue
			}
			if s.quote < 0 {
				s.pos = len(buf) - 1 // the loop's increment ends the scan
				continue
			}
			s.pos = s.quote
			s.inStr, s.quote, s.noQuote = false, -1, 0
		case c == '"':
			s.inStr = true
		case c == '{' || c == '[':
			s.depth++
		case c == '}' || c == ']':
			s.depth--
			if s.depth == 0 {
				start, end = s.start, s.pos+1
				s.pos++
				s.start = -1
				return start, end, scanObject
			}
		}
	}
	return 0, 0, scanMore
}

// shift tells the scanner that the first n bytes of its buffer were
// dropped.
func (s *objectScanner) shift(n int) {
	s.pos -= n
	if s.start >= 0 {
		s.start -= n
	}
	if s.quote >= 0 {
		s.quote -= n
	}
	s.noQuote = max(s.noQuote-n, 0)
}

// pending is the start of an incomplete object, or -1.
func (s *objectScanner) pending() int { return s.start }
