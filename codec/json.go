package codec

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// ValidJSON reports whether raw is exactly one valid JSON value, strings
// included: sonic's Valid checks structure but accepts bad escapes and
// control characters inside strings, which must never reach Kafka or a
// response verbatim. The standard library's scanner is strict and does not
// allocate.
func ValidJSON(raw []byte) bool { return json.Valid(raw) }

// AppendJSONValue is the "json" embedded format: it checks that raw is one
// valid JSON value without absurd numbers (CheckNumbers) and appends it to
// dst compacted. Request decoders may hand over raw values they only
// skipped, not validated.
func AppendJSONValue(dst, raw []byte) ([]byte, error) {
	if !ValidJSON(raw) {
		return dst, fmt.Errorf("data=%s is not valid JSON", abbreviate(raw))
	}
	if why := textProblem(raw); why != "" {
		return dst, fmt.Errorf("data=%s is not valid JSON text: %s", abbreviate(raw), why)
	}
	if err := CheckNumbers(raw); err != nil {
		return dst, fmt.Errorf("data=%s: %w", abbreviate(raw), err)
	}
	return AppendCompactJSON(dst, raw), nil
}

// textProblem finds what makes a structurally valid JSON value unfit to
// store as text (which encoding/json.Valid lets through): bytes that are
// not UTF-8, and \u escapes of a lone UTF-16 surrogate. It returns "" when
// there is none.
func textProblem(raw []byte) string {
	if !utf8.Valid(raw) {
		return "it is not UTF-8"
	}
	for i := 0; i+1 < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		if raw[i+1] != 'u' {
			i++ // \", \\ and the other one-letter escapes
			continue
		}
		r, ok := hex4(raw[i+2:])
		if !ok {
			i++
			continue
		}
		switch {
		case utf16.IsSurrogate(r) && r < 0xDC00: // high: a low one must follow
			if i+7 < len(raw) && raw[i+6] == '\\' && raw[i+7] == 'u' {
				if lo, ok := hex4(raw[i+8:]); ok && lo >= 0xDC00 && lo <= 0xDFFF {
					i += 11
					continue
				}
			}
			return "a lone UTF-16 surrogate"
		case utf16.IsSurrogate(r):
			return "a lone UTF-16 surrogate"
		}
		i += 5
	}
	return ""
}

// AppendCompactJSON appends raw, a valid JSON value, to dst with the
// insignificant whitespace removed: the bytes Confluent's proxy writes for the
// "json" embedded format (Jackson re-serializes the value compactly).
func AppendCompactJSON(dst, raw []byte) []byte {
	inString := false
	start := 0
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case ' ', '\t', '\n', '\r':
			dst = append(dst, raw[start:i]...)
			start = i + 1
		}
	}
	return append(dst, raw[start:]...)
}

var errBadString = errors.New("invalid JSON string")

// AppendUnquote appends the contents of the JSON string token raw (quotes
// included) to dst, resolving escapes. Invalid UTF-16 surrogates become
// U+FFFD, as in encoding/json.
func AppendUnquote(dst, raw []byte) ([]byte, error) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return dst, errBadString
	}
	s := raw[1 : len(raw)-1]
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			if c == '"' || c < 0x20 {
				return dst, errBadString
			}
			dst = append(dst, c)
			continue
		}
		i++
		if i >= len(s) {
			return dst, errBadString
		}
		switch s[i] {
		case '"', '\\', '/':
			dst = append(dst, s[i])
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, ok := hex4(s[i+1:])
			if !ok {
				return dst, errBadString
			}
			i += 4
			if utf16.IsSurrogate(r) {
				r2, ok := rune(-1), false
				if i+2 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' {
					r2, ok = hex4(s[i+3:])
				}
				if dec := utf16.DecodeRune(r, r2); ok && dec != utf8.RuneError {
					r = dec
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			dst = utf8.AppendRune(dst, r)
		default:
			return dst, errBadString
		}
	}
	return dst, nil
}

func hex4(s []byte) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range s[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// quoteSafe marks the ASCII bytes that stand for themselves inside a JSON
// string.
var quoteSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// AppendQuote appends s as a JSON string token to dst, escaped as Jackson
// (and so Confluent's proxy) escapes: \" \\ \b \f \n \r \t, other control
// characters as \u00XX, nothing else (no HTML escaping). Each byte of
// invalid UTF-8 becomes U+FFFD.
func AppendQuote(dst []byte, s string) []byte {
	dst, _ = appendQuote(dst, s)
	return dst
}

// AppendQuoteBytes is AppendQuote for a byte slice, and reports whether s
// was valid UTF-8.
func AppendQuoteBytes(dst, s []byte) ([]byte, bool) {
	return appendQuote(dst, unsafe.String(unsafe.SliceData(s), len(s)))
}

func appendQuote(dst []byte, s string) ([]byte, bool) {
	const hex = "0123456789abcdef"
	valid := true
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if quoteSafe[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, "\uFFFD"...)
			valid = false
			i++
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"'), valid
}

// Clip shortens s to at most n bytes, cut on a rune boundary and marked
// with "...", for quoting user input in error messages.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "..."
}
