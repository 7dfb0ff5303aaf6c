package protobuf

import (
	"bytes"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/krest-dev/krest/codec"
)

const (
	maxRaw     = 40  // bytes of one input token quoted in a message
	maxPath    = 60  // bytes of a rendered field path
	maxMessage = 120 // bytes of a message taken from a library
)

// jsonError rewrites a protojson parse error as one short line that names
// the field by its path in the input, e.g.
//
//	proto: (line 1:9): invalid value for int32 field age: "x"
//
// becomes `field "age": invalid value for int32 field: "x"`. protojson's
// messages give a line:column position; the path is recovered by scanning
// the input up to it.
func jsonError(err error, input []byte) error {
	msg := stripPrefix(err.Error())
	syntax := false
	if rest, ok := strings.CutPrefix(msg, "syntax error "); ok {
		syntax, msg = true, rest
	}
	line, col, rest, ok := cutPosition(msg)
	if !ok {
		if msg == "unexpected EOF" {
			msg = "unexpected end of JSON input"
		}
		return plainError(codec.Clip(msg, maxMessage))
	}
	msg = rewrite(rest)
	path := pathAt(input, offsetOf(input, line, col))
	if path != "" {
		return plainError("field " + strconv.Quote(codec.Clip(path, maxPath)) + ": " + msg)
	}
	if syntax && msg != "unexpected end of JSON input" {
		return plainError("syntax error at line " + strconv.Itoa(line) + ":" + strconv.Itoa(col) + ": " + msg)
	}
	return plainError(msg)
}

// plainError is an error with a fixed, printable, one-line message.
type plainError string

func (e plainError) Error() string { return sanitize(string(e)) }

// rewrite drops from protojson's message what the field path already says
// (the field name) and clips quoted input.
func rewrite(msg string) string {
	switch {
	case strings.HasPrefix(msg, "unknown field "):
		return "unknown field"
	case strings.HasPrefix(msg, "duplicate field "):
		return "duplicate field"
	case strings.HasPrefix(msg, "invalid value for "):
		// "invalid value for <kind> field <name>: <raw>"
		// or "invalid value for <kind> key: <raw>"
		what, raw, ok := strings.Cut(msg[len("invalid value for "):], ": ")
		if ok {
			if kind, _, isField := strings.Cut(what, " field "); isField {
				what = kind + " field"
			}
			return "invalid value for " + what + ": " + codec.Clip(raw, maxRaw)
		}
	case msg == "unexpected token ":
		return "unexpected end of JSON input"
	case strings.HasPrefix(msg, "unexpected token "):
		return "unexpected token " + codec.Clip(msg[len("unexpected token "):], maxRaw)
	case strings.HasPrefix(msg, "invalid value "): // syntax error: bad literal
		return "invalid value " + codec.Clip(msg[len("invalid value "):], maxRaw)
	case strings.HasPrefix(msg, "error parsing "):
		// "error parsing <name>, oneof <oneof> is already set"
		if _, oneof, ok := strings.Cut(msg, ", "); ok {
			return oneof
		}
	}
	return codec.Clip(msg, maxMessage)
}

// stripPrefix removes the "proto: " prefix of protobuf-go errors (whose
// space is randomly a no-break space).
func stripPrefix(msg string) string {
	if rest, ok := strings.CutPrefix(msg, "proto:"); ok {
		return strings.TrimLeft(rest, " \u00a0")
	}
	return msg
}

// cutPosition parses a leading "(line L:C): ".
func cutPosition(msg string) (line, col int, rest string, ok bool) {
	inner, rest, ok := strings.Cut(msg, "): ")
	if !ok {
		return 0, 0, "", false
	}
	inner, ok = strings.CutPrefix(inner, "(line ")
	if !ok {
		return 0, 0, "", false
	}
	l, c, ok := strings.Cut(inner, ":")
	if !ok {
		return 0, 0, "", false
	}
	line, err1 := strconv.Atoi(l)
	col, err2 := strconv.Atoi(c)
	if err1 != nil || err2 != nil || line < 1 || col < 1 {
		return 0, 0, "", false
	}
	return line, col, rest, true
}

// offsetOf converts protojson's 1-based line and column (counted in runes)
// to a byte offset in input.
func offsetOf(input []byte, line, col int) int {
	off := 0
	for l := 1; l < line; l++ {
		i := bytes.IndexByte(input[off:], '\n')
		if i < 0 {
			return len(input)
		}
		off += i + 1
	}
	for c := 1; c < col && off < len(input); c++ {
		_, size := utf8.DecodeRune(input[off:])
		off += size
	}
	return off
}

// pathAt returns the field path ("a.b[2].c") of the JSON token starting at
// byte offset off of input. protojson has accepted the input up to there,
// so a lenient scan suffices. When the token is an object key, the path ends
// with that key.
func pathAt(input []byte, off int) string {
	type frame struct {
		array   bool
		index   int
		key     string
		wantKey bool
	}
	var stack []frame
	off = min(off, len(input))
	i := 0
	for i < off {
		switch input[i] {
		case '{':
			stack = append(stack, frame{wantKey: true})
			i++
		case '[':
			stack = append(stack, frame{array: true})
			i++
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			i++
		case ',':
			if n := len(stack); n > 0 {
				if stack[n-1].array {
					stack[n-1].index++
				} else {
					stack[n-1].wantKey = true
				}
			}
			i++
		case '"':
			end := stringEnd(input, i)
			if n := len(stack); n > 0 && !stack[n-1].array && stack[n-1].wantKey {
				stack[n-1].key = unquote(input[i:end])
				stack[n-1].wantKey = false
			}
			i = end
		default: // whitespace, ':', literals
			i++
		}
	}
	var sb strings.Builder
	for j, f := range stack {
		switch {
		case f.array:
			sb.WriteString("[" + strconv.Itoa(f.index) + "]")
			continue
		case f.wantKey:
			if j != len(stack)-1 || off >= len(input) || input[off] != '"' {
				continue
			}
			f.key = unquote(input[off:stringEnd(input, off)])
		}
		if sb.Len() > 0 {
			sb.WriteByte('.')
		}
		sb.WriteString(f.key)
		if sb.Len() > maxPath {
			break
		}
	}
	return sb.String()
}

// stringEnd returns the offset just past the JSON string starting at
// input[start] == '"' (or len(input) if it is unterminated).
func stringEnd(input []byte, start int) int {
	for i := start + 1; i < len(input); i++ {
		switch input[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(input)
}

// unquote decodes a JSON string token; escapes Go does not know (\/) or
// broken tokens fall back to the raw text between the quotes.
func unquote(tok []byte) string {
	if s, err := strconv.Unquote(string(tok)); err == nil {
		return s
	}
	s := strings.TrimPrefix(string(tok), `"`)
	return strings.TrimSuffix(s, `"`)
}

// oneLine keeps the first line of a message.
func oneLine(msg string) string {
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	return msg
}

// sanitize escapes control and non-printable characters and invalid UTF-8
// (Go syntax) so that a message stays on one printable line.
func sanitize(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var sb strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			const hex = "0123456789abcdef"
			sb.WriteString(`\x`)
			sb.WriteByte(hex[s[i]>>4])
			sb.WriteByte(hex[s[i]&15])
		case unicode.IsPrint(r):
			sb.WriteString(s[i : i+size])
		default:
			q := strconv.QuoteRune(r)
			sb.WriteString(q[1 : len(q)-1])
		}
		i += size
	}
	return sb.String()
}
