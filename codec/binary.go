package codec

import (
	"encoding/base64"
	"fmt"
)

// AppendBase64Value decodes the embedded "binary" value raw (a JSON token:
// a string of standard base64, padded or not) and appends the bytes to dst.
// raw must be a single valid JSON value; null is handled by the caller.
func AppendBase64Value(dst, raw []byte) ([]byte, error) {
	if len(raw) < 2 || raw[0] != '"' {
		return dst, notBase64(raw)
	}
	s := raw[1 : len(raw)-1]
	var scratch [256]byte
	if hasEscape(s) {
		u, err := AppendUnquote(scratch[:0], raw)
		if err != nil {
			return dst, notBase64(raw)
		}
		s = u
	}
	enc := base64.StdEncoding
	if len(s)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	start := len(dst)
	dst = growBy(dst, enc.DecodedLen(len(s)))
	n, err := enc.Decode(dst[start:cap(dst)], s)
	if err != nil || !canonicalBase64(s) {
		return dst[:start], invalidBase64(raw)
	}
	return dst[:start+n], nil
}

// The messages are Confluent's, word for word, trailing period included.
func notBase64(raw []byte) error {
	return fmt.Errorf("data=%s is not a base64 string.", abbreviate(raw)) //lint:ignore ST1005 Confluent's exact text
}

func invalidBase64(raw []byte) error {
	return fmt.Errorf("data=%s is not a valid base64 string.", abbreviate(raw)) //lint:ignore ST1005 Confluent's exact text
}

// AppendBase64 appends the standard padded base64 encoding of b to dst.
func AppendBase64(dst, b []byte) []byte {
	return base64.StdEncoding.AppendEncode(dst, b)
}

// canonicalBase64 rejects the line breaks that encoding/base64 silently skips:
// Confluent's decoder (Guava) does not accept them either.
func canonicalBase64(s []byte) bool {
	for _, c := range s {
		if c == '\r' || c == '\n' {
			return false
		}
	}
	return true
}

func hasEscape(s []byte) bool {
	for _, c := range s {
		if c == '\\' {
			return true
		}
	}
	return false
}

// growBy extends dst's capacity by at least n bytes beyond its length.
func growBy(dst []byte, n int) []byte {
	if cap(dst)-len(dst) >= n {
		return dst
	}
	nb := make([]byte, len(dst), 2*cap(dst)+n)
	copy(nb, dst)
	return nb
}

// abbreviate keeps error messages about huge values readable.
func abbreviate(raw []byte) string {
	const max = 64
	if len(raw) <= max {
		return string(raw)
	}
	return string(raw[:max]) + "..."
}
