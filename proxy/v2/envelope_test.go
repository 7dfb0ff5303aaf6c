package v2

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/krest-dev/krest/codec"
	"github.com/krest-dev/krest/proxy/produce"
	"github.com/krest-dev/krest/proxy/rest"
)

func TestDecodeProduceRequest(t *testing.T) {
	j := getProduceJob()
	defer putProduceJob(j)
	body := []byte(`{"key_schema":null,"value_schema_id":null,"records":[
		{"key":"a2V5","value":"dmFs","partition":2,"headers":[{"name":"h","value":"aGk="},{"name":"n","value":null}],"timestamp":1700000000000},
		{"value":null},
		{"key":null,"value":"","timestamp":"2023-11-14T22:13:20.5Z"}]}`)
	if err := j.decode(body, codec.Binary, "t", 1); err != nil {
		t.Fatal(err)
	}
	if len(j.batch.Records) != 3 {
		t.Fatalf("%d records", len(j.batch.Records))
	}
	r := j.batch.Records[0]
	if r.Topic != "t" || r.Partition != 2 || string(r.Key) != "key" || string(r.Value) != "val" ||
		len(r.Headers) != 2 || r.Headers[0].Key != "h" || string(r.Headers[0].Value) != "hi" || r.Headers[1].Value != nil ||
		r.Timestamp.UnixMilli() != 1700000000000 {
		t.Errorf("record 0 = %+v", r)
	}
	if r := j.batch.Records[1]; r.Key != nil || r.Value != nil || r.Partition != 1 || time.Since(r.Timestamp) > time.Minute {
		t.Errorf("record 1 = %+v (no timestamp: now)", r)
	}
	if r := j.batch.Records[2]; r.Key != nil || r.Value == nil || len(r.Value) != 0 || r.Timestamp.UnixMilli() != 1700000000500 {
		t.Errorf("record 2 = %+v (empty value must stay non-null)", r)
	}
}

// TestProduceJobReuse guards against a pooled job leaking one request's
// records, headers or bytes into the next.
func TestProduceJobReuse(t *testing.T) {
	j := getProduceJob()
	if err := j.decode([]byte(`{"value_schema_id":3,"key_schema":"x","records":[{"value":"YQ==","headers":[{"name":"h","value":"YQ=="}]},{"value":"Yg=="}]}`), codec.Binary, "t", produce.AutoPartition); err != nil {
		t.Fatal(err)
	}
	j.reset()
	j.batch.Reset()
	defer putProduceJob(j)
	if err := j.decode([]byte(`{"records":[{"value":"Yw=="}]}`), codec.Binary, "u", produce.AutoPartition); err != nil {
		t.Fatal(err)
	}
	if len(j.batch.Records) != 1 || j.batch.Records[0].Topic != "u" || string(j.batch.Records[0].Value) != "c" || j.batch.Records[0].Headers != nil {
		t.Errorf("reused job: %+v", j.batch.Records)
	}
	if j.req.ValueSchemaID != nil || j.req.KeySchema != nil {
		t.Errorf("reused job kept the previous request's schema fields: %+v", j.req)
	}
}

// FuzzDecodeProduceRequest feeds arbitrary bodies to the produce decoder: it
// must never panic, must fail only with an API *Error, and on success must
// produce one record per input record whose bytes match the input.
func FuzzDecodeProduceRequest(f *testing.F) {
	for _, s := range []string{
		`{"records":[{"key":"a2V5","value":"dmFs"}]}`,
		`{"records":[{"value":{"a":[1,2,{"b":null}]}},{"key":"k","value":"v","partition":0}]}`,
		`{"records":[{"value":"aGk=","headers":[{"name":"h","value":"aGk="}],"timestamp":"2023-11-14T22:13:20Z"}]}`,
		`{"records":[]}`, `{}`, `null`, ``, `[`, `{"records":[{"value":"\/w=="}]}`,
		`{"records":[{"partition":-1,"value":1}]}`, `{"records":[{"value":"x","bogus":1}]}`,
	} {
		f.Add([]byte(s), true)
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, body []byte, binary bool) {
		format := codec.JSON
		if binary {
			format = codec.Binary
		}
		j := getProduceJob()
		defer putProduceJob(j)
		err := j.decode(body, format, "t", produce.AutoPartition)
		if err != nil {
			var e *rest.Error
			if !errors.As(err, &e) || e.Status < 400 || e.Status >= 500 {
				t.Fatalf("decode error %v is not a 4xx API error", err)
			}
			return
		}
		var in struct {
			Records []struct {
				Value json.RawMessage `json:"value"`
			} `json:"records"`
		}
		if err := json.Unmarshal(body, &in); err != nil {
			t.Fatalf("decoder accepted a body encoding/json rejects: %v", err)
		}
		if len(in.Records) != len(j.batch.Records) {
			t.Fatalf("%d records in, %d out", len(in.Records), len(j.batch.Records))
		}
		for i, r := range in.Records {
			if format == codec.JSON && len(r.Value) > 0 && string(r.Value) != "null" {
				if !json.Valid(j.batch.Records[i].Value) {
					t.Fatalf("record %d value %q is not valid JSON", i, j.batch.Records[i].Value)
				}
				if !utf8.Valid(body) {
					continue // invalid UTF-8 is replaced by U+FFFD, as the decoder validates strings
				}
				var want bytes.Buffer
				json.Compact(&want, r.Value)
				if !bytes.Equal(j.batch.Records[i].Value, want.Bytes()) {
					t.Fatalf("record %d value %q, want %q", i, j.batch.Records[i].Value, want.Bytes())
				}
			}
		}
	})
}
