package avro

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxQuoted is how many bytes of offending input an error message quotes.
const maxQuoted = 40

// pathError is an error with the place it happened. The path is collected
// while the error unwinds, innermost segment first, so the happy path pays
// nothing for it.
type pathError struct {
	union bool     // the error is about choosing a union branch
	path  []string // reversed: field names, "[index]" and "[key]" segments
	msg   string
}

func (e *pathError) Error() string {
	// Keep the innermost segments that fit in about 100 bytes.
	first, size := len(e.path)-1, 0
	for i, s := range e.path {
		if size += len(s) + 1; size > 100 && i > 0 {
			first = i - 1
			break
		}
	}
	var b strings.Builder
	if first < len(e.path)-1 {
		b.WriteString("...")
	}
	for i := first; i >= 0; i-- {
		s := e.path[i]
		if i < first && !strings.HasPrefix(s, "[") {
			b.WriteByte('.')
		}
		b.WriteString(s)
	}
	p := b.String()
	switch {
	case p == "" && e.union:
		return "union: " + e.msg
	case p == "":
		return e.msg
	case e.union:
		return "union " + strconv.Quote(p) + ": " + e.msg
	}
	return "field " + strconv.Quote(p) + ": " + e.msg
}

func newError(msg string) error { return &pathError{msg: msg} }

func unionError(msg string) error { return &pathError{union: true, msg: msg} }

// inField, atIndex and atKey add a path segment to an error on its way out.
func inField(err error, name string) error {
	if pe, ok := err.(*pathError); ok {
		pe.path = append(pe.path, name)
	}
	return err
}

func atIndex(err error, i int) error {
	if pe, ok := err.(*pathError); ok {
		pe.path = append(pe.path, "["+strconv.Itoa(i)+"]")
	}
	return err
}

func atKey(err error, key []byte) error {
	if pe, ok := err.(*pathError); ok {
		pe.path = append(pe.path, "["+string(truncate(key, 20))+"]")
	}
	return err
}

// truncate cuts b to at most n bytes (plus "..."), at a rune boundary.
func truncate(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(b[cut]) {
		cut--
	}
	return append(b[:cut:cut], "..."...)
}

// quote renders text for an error message: at most maxQuoted bytes, quoted.
func quote(text []byte) string {
	return strconv.Quote(string(truncate(text, maxQuoted)))
}
