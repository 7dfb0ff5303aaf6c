package codec

import (
	"bytes"
	"fmt"

	"github.com/segmentio/asm/base64"
)

// AppendBase64Value decodes the embedded "binary" value raw (a JSON token:
// a string of standard base64, padded or not) and appends the bytes to dst.
// raw must be a single valid JSON value; null is handled by the caller.
func AppendBase64Value(dst, raw []byte) ([]byte, error) {
	if len(raw) < 2 || raw[0] != '"' {
		return dst, notBase64(raw)
	}
	out, ok := appendBase64(dst, raw[1:len(raw)-1])
	if !ok && bytes.IndexByte(raw, '\\') >= 0 {
		// JSON escapes (say "\/" for "/") are legal but rare: unquote,
		// then decode again.
		var scratch [256]byte
		s, err := AppendUnquote(scratch[:0], raw)
		if err != nil {
			return dst, notBase64(raw)
		}
		out, ok = appendBase64(dst, s)
	}
	if !ok {
		return dst, invalidBase64(raw)
	}
	return out, nil
}

// appendBase64 decodes s in one pass. The decoder (segmentio/asm: AVX2 or
// NEON for the bulk, encoding/base64 for the rest and for any byte outside
// the alphabet) silently skips line breaks, as encoding/base64 does, which
// Confluent's decoder (Guava) rejects; they show as fewer decoded bytes than
// s's length implies.
func appendBase64(dst, s []byte) ([]byte, bool) {
	enc, want := base64.StdEncoding, len(s)/4*3
	if len(s)%4 == 1 {
		return dst, false // never base64; and "00\n00" would pass the length check
	} else if len(s)%4 != 0 {
		enc, want = base64.RawStdEncoding, len(s)*6/8
	} else if len(s) > 0 && s[len(s)-1] == '=' {
		want--
		if s[len(s)-2] == '=' {
			want--
		}
	}
	start := len(dst)
	dst = growBy(dst, enc.DecodedLen(len(s)))
	n, err := enc.Decode(dst[start:cap(dst)], s)
	if err != nil || n != want {
		return dst[:start], false
	}
	return dst[:start+n], true
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
	start := len(dst)
	dst = growBy(dst, base64.StdEncoding.EncodedLen(len(b)))
	dst = dst[:start+base64.StdEncoding.EncodedLen(len(b))]
	base64.StdEncoding.Encode(dst[start:], b)
	return dst
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
