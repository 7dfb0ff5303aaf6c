package avro

import (
	"testing"

	"github.com/linkedin/goavro/v2"
)

// benchJSON is one small record of schemaUser in Avro's JSON encoding.
var benchJSON = []byte(`{"id":1234567890,"name":"Alice Example","email":{"string":"alice@example.com"},` +
	`"score":97.25,"tags":["admin","beta","early-adopter"],"status":"ACTIVE"}`)

func BenchmarkAppendBinary(b *testing.B) {
	c := mustParse(b, schemaUser)
	dst, err := c.AppendBinary(nil, benchJSON)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(benchJSON)))
	for b.Loop() {
		if dst, err = c.AppendBinary(dst[:0], benchJSON); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendJSON(b *testing.B) {
	c := mustParse(b, schemaUser)
	bin, err := c.AppendBinary(nil, benchJSON)
	if err != nil {
		b.Fatal(err)
	}
	dst, err := c.AppendJSON(nil, bin)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(bin)))
	for b.Loop() {
		if dst, err = c.AppendJSON(dst[:0], bin); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGoavroTextualToBinary is goavro's way to do what AppendBinary
// does: NativeFromTextual, then BinaryFromNative.
func BenchmarkGoavroTextualToBinary(b *testing.B) {
	gc, err := goavro.NewCodec(schemaUser)
	if err != nil {
		b.Fatal(err)
	}
	var dst []byte
	b.ReportAllocs()
	b.SetBytes(int64(len(benchJSON)))
	for b.Loop() {
		native, _, err := gc.NativeFromTextual(benchJSON)
		if err != nil {
			b.Fatal(err)
		}
		if dst, err = gc.BinaryFromNative(dst[:0], native); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGoavroBinaryToTextual is goavro's way to do what AppendJSON
// does: NativeFromBinary, then TextualFromNative.
func BenchmarkGoavroBinaryToTextual(b *testing.B) {
	gc, err := goavro.NewCodec(schemaUser)
	if err != nil {
		b.Fatal(err)
	}
	native, _, err := gc.NativeFromTextual(benchJSON)
	if err != nil {
		b.Fatal(err)
	}
	bin, err := gc.BinaryFromNative(nil, native)
	if err != nil {
		b.Fatal(err)
	}
	var dst []byte
	b.ReportAllocs()
	b.SetBytes(int64(len(bin)))
	for b.Loop() {
		native, _, err := gc.NativeFromBinary(bin)
		if err != nil {
			b.Fatal(err)
		}
		if dst, err = gc.TextualFromNative(dst[:0], native); err != nil {
			b.Fatal(err)
		}
	}
}
