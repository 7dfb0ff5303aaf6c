package v3

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"

	"github.com/krest-dev/krest/codec"
)

// The scalars of v3 request entities are read as Confluent's object mapper
// reads them: Jackson keeps ALLOW_COERCION_OF_SCALARS on, so
//
//   - an integer may come as a string holding one ("partitions_count":"2",
//     " -1 " too, trimmed), and is range-checked the same way: a string of
//     "4294967298" is refused as the number is;
//   - a boolean may come as the string "true" or "false" (or True, TRUE,
//     False, FALSE), or as an integer, 0 being false;
//   - a string may come as a number or a boolean ("value":7200000 is
//     "7200000", spelt as sent);
//   - for an integer or a boolean, an empty or blank string, or "null", is
//     null.
//
// What Jackson refuses stays refused, with krest's usual answer to a value
// of the wrong type: a fraction or a word for an integer, another word for
// a boolean, an object or an array for any of them. (Jackson would cut a
// fraction to an integer, ACCEPT_FLOAT_AS_INT; krest refuses 4.5
// partitions.) Enums are read by their own types, not coerced.

// jint16, jint32 and jint64 are integer fields.
type (
	jint16 int16
	jint32 int32
	jint64 int64
)

// UnmarshalJSON implements json.Unmarshaler.
func (n *jint16) UnmarshalJSON(raw []byte) error {
	v, err := coerceInt(raw, 16, reflect.TypeFor[int16]())
	if err == nil {
		*n = jint16(v)
	}
	return err
}

// UnmarshalJSON implements json.Unmarshaler.
func (n *jint32) UnmarshalJSON(raw []byte) error {
	v, err := coerceInt(raw, 32, reflect.TypeFor[int32]())
	if err == nil {
		*n = jint32(v)
	}
	return err
}

// UnmarshalJSON implements json.Unmarshaler.
func (n *jint64) UnmarshalJSON(raw []byte) error {
	v, err := coerceInt(raw, 64, reflect.TypeFor[int64]())
	if err == nil {
		*n = jint64(v)
	}
	return err
}

// opt is an optional integer field: Set is false when it is absent or
// null, or a string Jackson reads as null.
type opt[T any, P interface {
	*T
	json.Unmarshaler
}] struct {
	V   T
	Set bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (o *opt[T, P]) UnmarshalJSON(raw []byte) error {
	var zero T
	o.V, o.Set = zero, false
	if text, quoted := scalarText(raw); quoted && isNullText(text) || !quoted && string(text) == "null" {
		return nil
	}
	if err := P(&o.V).UnmarshalJSON(raw); err != nil {
		return err
	}
	o.Set = true
	return nil
}

// The optional integer fields.
type (
	optInt16 = opt[jint16, *jint16]
	optInt32 = opt[jint32, *jint32]
	optInt64 = opt[jint64, *jint64]
)

// jbool is a boolean field; null is false.
type jbool bool

// UnmarshalJSON implements json.Unmarshaler.
func (b *jbool) UnmarshalJSON(raw []byte) error {
	text, quoted := scalarText(raw)
	switch {
	case quoted && isNullText(text), !quoted && string(text) == "null":
		*b = false
		return nil
	case quoted:
		switch string(text) {
		case "true", "True", "TRUE":
			*b = true
			return nil
		case "false", "False", "FALSE":
			*b = false
			return nil
		}
	case string(text) == "true" || string(text) == "false":
		*b = jbool(string(text) == "true")
		return nil
	case isInteger(text):
		*b = jbool(bytes.ContainsFunc(text, func(r rune) bool { return '1' <= r && r <= '9' }))
		return nil
	}
	return typeError(raw, reflect.TypeFor[bool]())
}

// jstring is a string field.
type jstring string

// UnmarshalJSON implements json.Unmarshaler.
func (s *jstring) UnmarshalJSON(raw []byte) error {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0:
	case raw[0] == '"':
		v, err := codec.AppendUnquote(nil, raw)
		if err != nil {
			break
		}
		*s = jstring(v)
		return nil
	case string(raw) == "null":
		return nil
	case raw[0] == '{' || raw[0] == '[':
	default: // a number, true or false: its text
		*s = jstring(raw)
		return nil
	}
	return typeError(raw, reflect.TypeFor[string]())
}

// ptr is s as a *string (nil for nil).
func (s *jstring) ptr() *string { return (*string)(s) }

// coerceInt reads raw, a JSON integer or a string holding one, as a
// bits-wide integer of type t.
func coerceInt(raw []byte, bits int, t reflect.Type) (int64, error) {
	text, _ := scalarText(raw)
	n, err := strconv.ParseInt(string(text), 10, bits)
	if err != nil {
		return 0, typeError(raw, t)
	}
	return n, nil
}

// scalarText is raw's text: a string's contents, trimmed as Java's
// String.trim trims them (quoted), or raw itself.
func scalarText(raw []byte) (text []byte, quoted bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) < 2 || raw[0] != '"' {
		return raw, false
	}
	s, err := codec.AppendUnquote(nil, raw)
	if err != nil {
		return raw, false
	}
	return codec.TrimJava(s), true
}

// isNullText reports whether a string's trimmed text is one Jackson reads
// as null for a number or a boolean.
func isNullText(text []byte) bool { return len(text) == 0 || string(text) == "null" }

// isInteger reports whether text is a JSON integer.
func isInteger(text []byte) bool {
	text = bytes.TrimPrefix(text, []byte("-"))
	if len(text) == 0 {
		return false
	}
	for _, c := range text {
		if !isDigit(c) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// typeError is encoding/json's error for a value of the wrong type, which
// decode words as Jackson does; a string shows what it held.
func typeError(raw []byte, t reflect.Type) error {
	var what string
	switch {
	case len(raw) == 0:
		what = "nothing"
	case raw[0] == '"':
		what = "string " + abbreviate(raw)
	case raw[0] == '{':
		what = "object"
	case raw[0] == '[':
		what = "array"
	case raw[0] == 't' || raw[0] == 'f':
		what = "bool"
	default:
		what = "number " + abbreviate(raw)
	}
	return &json.UnmarshalTypeError{Value: what, Type: t}
}

// int32s is xs as []int32 (nil for nil).
func int32s(xs []jint32) []int32 {
	if xs == nil {
		return nil
	}
	out := make([]int32, len(xs))
	for i, x := range xs {
		out[i] = int32(x)
	}
	return out
}
