package rest

import (
	"bytes"
	"testing"

	"github.com/krest-dev/krest/codec"
)

func TestProduceFormat(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		ct     string
		want   codec.Format
		status int
	}{
		{"application/vnd.kafka.binary.v2+json", codec.Binary, 0},
		{"application/vnd.kafka.binary.v1+json", codec.Binary, 0},
		{"application/vnd.kafka.json.v2+json", codec.JSON, 0},
		{"Application/VND.Kafka.JSON.v1+json; charset=UTF-8", codec.JSON, 0},
		{"application/vnd.kafka.v1+json", codec.Binary, 0}, // v1 generic = binary
		{"application/vnd.kafka+json", codec.Binary, 0},
		{"application/octet-stream", codec.Binary, 0},
		{"", codec.Binary, 0},
		{"application/json", codec.JSON, 0}, // krest extension
		{"application/json; charset=utf-8", codec.JSON, 0},
		{"application/vnd.kafka.v2+json", 0, 415}, // as Confluent
		{"application/vnd.kafka.avro.v2+json", codec.Avro, 0},
		{"application/vnd.kafka.protobuf.v1+json", codec.Protobuf, 0},
		{"application/vnd.kafka.jsonschema.v2+json", codec.JSONSchema, 0},
		{"application/vnd.kafka.binary.v3+json", 0, 415},
		{"application/vnd.kafka.string.v2+json", 0, 415},
		{"text/plain", 0, 415},
		{"application/vnd.kafka.binary.v2", 0, 415},
	} {
		got, err := ProduceFormat([]byte(tc.ct))
		switch {
		case tc.status != 0 && (err == nil || err.Status != tc.status):
			t.Errorf("%q: got %v, %v; want status %d", tc.ct, got, err, tc.status)
		case tc.status == 0 && (err != nil || got != tc.want):
			t.Errorf("%q: got %v, %v; want %v", tc.ct, got, err, tc.want)
		}
	}
}

func TestNegotiate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		accept, want string
	}{
		{"", MediaV2},
		{"*/*", MediaV2},
		{"application/*", MediaV2},
		{"application/vnd.kafka.v2+json", MediaV2},
		{"application/vnd.kafka.v1+json", MediaV1},
		{"application/vnd.kafka+json", MediaGeneric},
		{"application/json", MediaJSON},
		{"application/vnd.kafka.binary.v1+json", MediaV1},
		{"text/html, application/json;q=0.5, application/vnd.kafka.v1+json;q=0.9", MediaV1},
		{"application/vnd.kafka.v2+json;q=0.2, application/json", MediaJSON},
		{"text/plain", ""},
		{"application/json;q=0", ""},
		{"application/json;q=abc", ""},
	} {
		o, ok := Negotiate([]byte(tc.accept), AnswerPlain, 2)
		if got := o.ContentType; got != tc.want || ok != (tc.want != "") {
			t.Errorf("negotiate(%q) = %q, %v; want %q", tc.accept, got, ok, tc.want)
		}
	}
}

func FuzzParseMediaType(f *testing.F) {
	for _, s := range []string{"application/vnd.kafka.binary.v2+json", "application/vnd.kafka+json", "a/b;q=1", "application/vnd.kafka..v2+json"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		mt, ok := ParseMediaType([]byte(s))
		if ok && mt.Version > 2 {
			t.Fatalf("ParseMediaType(%q) = %+v", s, mt)
		}
		// Case-insensitive: the lower-cased type parses the same.
		if lmt, lok := ParseMediaType(bytes.ToLower([]byte(s))); lmt != mt || lok != ok {
			t.Fatalf("ParseMediaType(%q) = %+v, %v; lower-cased %+v, %v", s, mt, ok, lmt, lok)
		}
		for _, a := range []Answer{AnswerPlain, AnswerRecords, AnswerMessages} {
			if o, ok := Negotiate([]byte(s), a, 1); ok && o.ContentType == "" {
				t.Fatalf("Negotiate(%q, %v) accepted with no content type", s, a)
			}
		}
		ProduceFormat([]byte(s))
	})
}

// recordsFormat is the negotiation of a records read as a handler sees it:
// the chain's Accept offer, checked against the instance's format.
func recordsFormat(accept []byte, inst codec.Format, version int) (string, error) {
	o, ok := Negotiate(accept, AnswerRecords, version)
	if !ok {
		return "", ErrNotAcceptable
	}
	if err := o.ForInstance(inst); err != nil {
		return "", err
	}
	return o.ContentType, nil
}

func TestRecordsFormat(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		accept  string
		inst    codec.Format
		version int
		want    string // "" = error
		code    int
	}{
		{"", codec.Binary, 2, "application/vnd.kafka.binary.v2+json", 0},
		{"application/vnd.kafka.v2+json", codec.Binary, 2, "application/vnd.kafka.binary.v2+json", 0},
		{"application/vnd.kafka.json.v2+json", codec.JSON, 2, "application/vnd.kafka.json.v2+json", 0},
		{"application/vnd.kafka.avro.v1+json", codec.Avro, 1, "application/vnd.kafka.avro.v1+json", 0},
		{"application/vnd.kafka.protobuf.v2+json", codec.Avro, 2, "application/vnd.kafka.protobuf.v2+json", 0}, // schema formats interchangeable
		{"application/json", codec.JSON, 2, "application/json", 0},
		{"*/*", codec.JSON, 2, "", 40601},
		{"application/vnd.kafka.binary.v2+json", codec.Avro, 2, "", 40601},
		{"text/plain", codec.Binary, 2, "", 406},
	} {
		got, err := recordsFormat([]byte(tc.accept), tc.inst, tc.version)
		if tc.want != "" {
			if err != nil || got != tc.want {
				t.Errorf("recordsFormat(%q, %v) = %q, %v; want %q", tc.accept, tc.inst, got, err, tc.want)
			}
			continue
		}
		if e, ok := err.(*Error); !ok || e.Code != tc.code {
			t.Errorf("recordsFormat(%q, %v) = %q, %v; want error %d", tc.accept, tc.inst, got, err, tc.code)
		}
	}
}

// TestNegotiateMessages: the stateless read answers the first acceptable
// non-binary embedded format (json or a schema format), binary otherwise
// (v1 when the best type is v1), and refuses what the other replies refuse.
func TestNegotiateMessages(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		accept, want string
		format       codec.Format
	}{
		{"", "application/vnd.kafka.binary.v2+json", codec.Binary},
		{"application/vnd.kafka.json.v2+json", "application/vnd.kafka.json.v2+json", codec.JSON},
		{"application/vnd.kafka.json.v1+json", "application/vnd.kafka.json.v1+json", codec.JSON},
		{"application/vnd.kafka.binary.v2+json, application/vnd.kafka.json.v2+json;q=0.1", "application/vnd.kafka.json.v2+json", codec.JSON},
		{"application/vnd.kafka.json.v2+json;q=0, */*", "application/vnd.kafka.binary.v2+json", codec.Binary},
		{"application/json", "application/vnd.kafka.binary.v2+json", codec.Binary},
		{"application/vnd.kafka.avro.v1+json", "application/vnd.kafka.avro.v1+json", codec.Avro},
		{"application/vnd.kafka.protobuf.v2+json", "application/vnd.kafka.protobuf.v2+json", codec.Protobuf},
		{"application/vnd.kafka.jsonschema.v2+json, application/vnd.kafka.json.v2+json", "application/vnd.kafka.jsonschema.v2+json", codec.JSONSchema},
		{"application/vnd.kafka.binary.v1+json", "application/vnd.kafka.binary.v1+json", codec.Binary},
		{"application/vnd.kafka.v1+json", "application/vnd.kafka.binary.v1+json", codec.Binary},
		{"application/vnd.kafka.v1+json;q=0.5, application/vnd.kafka.binary.v2+json", "application/vnd.kafka.binary.v2+json", codec.Binary},
		{"text/plain", "", 0},
	} {
		o, ok := Negotiate([]byte(tc.accept), AnswerMessages, 2)
		if o.ContentType != tc.want || o.Format != tc.format || ok != (tc.want != "") {
			t.Errorf("Negotiate(%q, messages) = %+v, %v; want %q %v", tc.accept, o, ok, tc.want, tc.format)
		}
	}
}

// TestProduceFormatParams: malformed parameters and charsets other than
// UTF-8 are 415, like unknown types.
func TestProduceFormatParams(t *testing.T) {
	t.Parallel()
	for ct, ok := range map[string]bool{
		"application/vnd.kafka.json.v2+json":                    true,
		"application/vnd.kafka.json.v2+json; charset=UTF-8":     true,
		"application/vnd.kafka.json.v2+json; charset=\"utf-8\"": true,
		"application/vnd.kafka.json.v2+json;":                   true,
		"":                                                      true,
		";;;;=;":                                                false,
		"application/vnd.kafka.json.v2+json; charset=utf-16": false,
		"application/vnd.kafka.json.v2+json; =x":             false,
		"application/vnd.kafka.json.v2+json; charset":        false,
		"application/vnd.kafka.json.v2+json; q=":             false,
	} {
		_, err := ProduceFormat([]byte(ct))
		if (err == nil) != ok {
			t.Errorf("ProduceFormat(%q) = %v, want ok %v", ct, err, ok)
		}
	}
}
