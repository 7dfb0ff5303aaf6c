package rest

import (
	"unicode/utf8"
)

// ErrAmbiguousPath refuses a request path that two readers could take
// for different resources, as Jetty's default URI compliance does (its
// "Ambiguous URI path" 400s): an encoded "/" or "\", an empty segment, a
// "." or ".." segment (literal or encoded), an encoded NUL or control
// character, a bad escape, or a path that is not absolute.
var ErrAmbiguousPath = Errorf(400, CodeBadRequest, "Bad Request: ambiguous URI path (encoded '/', '\\' or control characters, empty, '.' or '..' segments are not accepted)")

// CanonicalPath returns the one spelling of a raw request path (as it
// came on the request line, without the query) that every part of krest
// reads: the authentication door, the ops-path exemption, the policy and
// the router. It decodes every escape that stands for a character allowed
// as is in a path segment (so "/%74opics" is "/topics" to all of them) and
// keeps, as uppercase escapes, those for "%", "?", "#", space, non-ASCII
// bytes and the other characters a segment cannot hold. Decoding it again
// (PathParam, fasthttp's Path) gives each segment's text, and no segment
// can split or vanish on the way, since paths for which that could happen
// are refused with ok false (ErrAmbiguousPath). dst is appended to.
func CanonicalPath(dst, raw []byte) (canon []byte, ok bool) {
	if len(raw) == 0 || raw[0] != '/' {
		return dst, false
	}
	start := len(dst)
	segStart := start
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '%' {
			if i+2 >= len(raw) || unhex(raw[i+1]) < 0 || unhex(raw[i+2]) < 0 {
				return dst[:start], false
			}
			c = byte(unhex(raw[i+1])<<4 | unhex(raw[i+2]))
			i += 2
			if c == '/' || c == '\\' || c < 0x20 || c == 0x7f {
				return dst[:start], false
			}
			if literalInPath(c) {
				dst = append(dst, c)
			} else {
				dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
			}
			continue
		}
		switch {
		case c == '/':
			if i > 0 && !segmentOK(dst[segStart:]) {
				return dst[:start], false
			}
			dst = append(dst, '/')
			segStart = len(dst)
		case c == '\\' || c < 0x20 || c == 0x7f:
			return dst[:start], false
		case literalInPath(c):
			dst = append(dst, c)
		default: // a byte a client should have escaped (space, UTF-8, ...)
			dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	// The last segment may be empty: a trailing slash, served as the path
	// without it.
	if seg := dst[segStart:]; len(seg) > 0 && !segmentOK(seg) {
		return dst[:start], false
	}
	if !utf8.Valid(decodedForCheck(dst[start:])) {
		return dst[:start], false
	}
	return dst, true
}

// segmentOK reports whether a canonical segment (between two slashes) is
// neither empty nor a dot segment.
func segmentOK(seg []byte) bool {
	return len(seg) > 0 && string(seg) != "." && string(seg) != ".."
}

// literalInPath reports the characters a canonical path holds unescaped:
// RFC 3986's unreserved and sub-delims characters, ":" and "@" (pchar).
func literalInPath(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '-', '.', '_', '~', '!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=', ':', '@':
		return true
	}
	return false
}

const upperHex = "0123456789ABCDEF"

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// decodedForCheck decodes a canonical path's escapes into a new slice, for
// the UTF-8 check only (paths with no escapes above 0x7f are returned as
// they are).
func decodedForCheck(p []byte) []byte {
	high := false
	for i := 0; i+2 < len(p); i++ {
		if p[i] == '%' && p[i+1] >= '8' {
			high = true
			break
		}
	}
	if !high {
		return p
	}
	out := make([]byte, 0, len(p))
	for i := 0; i < len(p); i++ {
		if p[i] == '%' && i+2 < len(p) {
			out = append(out, byte(unhex(p[i+1])<<4|unhex(p[i+2])))
			i += 2
			continue
		}
		out = append(out, p[i])
	}
	return out
}
