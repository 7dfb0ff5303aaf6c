package codec

import (
	"encoding/base64"
	"testing"
)

func BenchmarkAppendBase64Value(b *testing.B) {
	raw := []byte(`"` + base64.StdEncoding.EncodeToString(make([]byte, 1024)) + `"`)
	dst := make([]byte, 0, 2048)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if dst, err = AppendBase64Value(dst[:0], raw); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendCompactJSON(b *testing.B) {
	raw := []byte(`{ "id": 12345, "name": "a name with spaces", "tags": [ "x", "y", "z" ], "nested": { "ok": true, "n": null } }`)
	dst := make([]byte, 0, 256)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		dst = AppendCompactJSON(dst[:0], raw)
	}
}

// BenchmarkCheckNumbers scans a produce body of 500 records with 1 KiB
// base64 values, as the produce path does before decoding it.
func BenchmarkCheckNumbers(b *testing.B) {
	v := base64.StdEncoding.EncodeToString(make([]byte, 1024))
	raw := []byte(`{"records":[`)
	for i := range 500 {
		if i > 0 {
			raw = append(raw, ',')
		}
		raw = append(raw, `{"key":"a2V5","value":"`+v+`","partition":0}`...)
	}
	raw = append(raw, "]}"...)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if err := CheckNumbers(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckNumbersSmallValue checks one small record value, as the
// produce path does before encoding each one to Avro (bench row 4's).
func BenchmarkCheckNumbersSmallValue(b *testing.B) {
	raw := []byte(`{"id":1234567,"user":"someone","email":{"string":"someone@example.com"},"score":3.25,"ok":true}`)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if err := CheckNumbers(raw); err != nil {
			b.Fatal(err)
		}
	}
}
