package v2

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/krest-dev/krest/proxy/rest"
)

// Integer fields of request bodies are read as Jackson reads them with its
// default scalar coercion, which Confluent's proxy keeps: a JSON number, or
// a JSON string holding one ("value_schema_id": "1"). Anything Jackson
// refuses (a fraction in a string, a word, an object) is still refused.

// int32Field is an int32 request field.
type int32Field int32

// int64Field is an int64 request field.
type int64Field int64

// UnmarshalJSON implements json.Unmarshaler.
func (f *int32Field) UnmarshalJSON(raw []byte) error {
	n, err := coerceInt(raw, 32)
	*f = int32Field(n)
	return err
}

// UnmarshalJSON implements json.Unmarshaler.
func (f *int64Field) UnmarshalJSON(raw []byte) error {
	n, err := coerceInt(raw, 64)
	*f = int64Field(n)
	return err
}

// coerceInt reads a JSON number or numeric string as a bits-wide integer.
func coerceInt(raw []byte, bits int) (int64, error) {
	raw = bytes.TrimSpace(raw)
	text := raw
	if len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"' {
		text = bytes.TrimSpace(raw[1 : len(raw)-1])
	}
	n, err := strconv.ParseInt(string(text), 10, bits)
	if err != nil {
		return 0, fmt.Errorf("%s is not an integer (%d bits)", raw, bits)
	}
	return n, nil
}

// recordPartition reads the raw "partition" of produce record i: absent or
// null is none (ok false).
func recordPartition(raw []byte, i int) (p int32, ok bool, err error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, false, nil
	}
	n, err := coerceInt(raw, 32)
	if err != nil {
		return 0, false, rest.Errorf(400, rest.CodeBadRequest, "Malformed request body: records[%d].partition: %v", i, err)
	}
	return int32(n), true, nil
}
