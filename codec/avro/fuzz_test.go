package avro

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
	"unicode/utf8"
)

// fuzzSchemas are the schemas the fuzz targets pick from with their first
// argument.
var fuzzSchemas = []string{schemaAll, schemaUser, schemaArrayMapUnion, schemaList, schemaDefaults, schemaAddress, `"double"`, `"float"`, `"long"`, `"bytes"`}

func fuzzCodecs(f *testing.F) []*Codec {
	cs := make([]*Codec, len(fuzzSchemas))
	for i, s := range fuzzSchemas {
		cs[i] = mustParse(f, s)
	}
	return cs
}

// fuzzSeeds returns generated JSON values of each schema.
func fuzzSeeds(cs []*Codec) (which []uint8, values [][]byte) {
	g := &gen{r: rand.New(rand.NewPCG(3, 3)), maxMap: 3}
	for i, c := range cs {
		for range 3 {
			g.b.Reset()
			g.value(c.Schema(), 2)
			which = append(which, uint8(i))
			values = append(values, []byte(g.b.String()))
		}
	}
	return which, values
}

// FuzzAppendJSON feeds random bytes as binary. It must never panic; when
// it succeeds the output is valid JSON that AppendBinary encodes again, to
// the very input bytes when those were canonical.
func FuzzAppendJSON(f *testing.F) {
	cs := fuzzCodecs(f)
	which, values := fuzzSeeds(cs)
	for i, v := range values {
		bin, err := cs[which[i]].AppendBinary(nil, v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(which[i], bin)
	}
	f.Add(uint8(2), []byte{0x03, 0x06, 0x02, 0x02, 0x02, 0x00, 0x00})
	f.Add(uint8(3), []byte{0x02, 0x02, 0x04, 0x02, 0x06, 0x00})
	f.Add(uint8(6), []byte{0x01, 0, 0, 0, 0, 0, 0xf8, 0x7f})
	f.Add(uint8(9), []byte{0xff, 0xff, 0xff, 0xff, 0x0f})
	// Invalid UTF-8 in a string: U+FFFD must be written the same way
	// whether it was valid or not, or the output is not stable.
	f.Add(uint8(5), []byte("\n00000\b000\x800\x00\x00\x04\x0400"))
	f.Fuzz(func(t *testing.T, w uint8, data []byte) {
		c := cs[int(w)%len(cs)]
		out, canonical, err := c.appendJSON(nil, data)
		if err != nil {
			return
		}
		if !json.Valid(out) || !utf8.Valid(out) {
			t.Fatalf("invalid JSON: %q", out)
		}
		bin, err := c.AppendBinary(nil, out)
		if err != nil {
			t.Fatalf("AppendBinary(%s): %v", out, err)
		}
		if canonical && !bytes.Equal(bin, data) {
			t.Fatalf("canonical input %x encodes back as %x", data, bin)
		}
		out2, canonical2, err := c.appendJSON(nil, bin)
		if err != nil || !canonical2 || !bytes.Equal(out2, out) {
			t.Fatalf("not stable: %v %v\n%s\n%s", err, canonical2, out, out2)
		}
	})
}

// FuzzAppendBinary feeds random JSON. It must never panic; when it succeeds
// the binary decodes to canonical JSON that encodes to the same binary.
func FuzzAppendBinary(f *testing.F) {
	cs := fuzzCodecs(f)
	which, values := fuzzSeeds(cs)
	for i, v := range values {
		f.Add(which[i], v)
	}
	f.Add(uint8(6), []byte(`"-Infinity"`))
	f.Add(uint8(8), []byte(`-12.50e1`))
	f.Add(uint8(9), []byte(`"\u00ff\ud83d\ude00"`))
	f.Add(uint8(4), []byte(`{"r":{"y":{"string":"\u0000"}},"bo":false}`))
	f.Fuzz(func(t *testing.T, w uint8, data []byte) {
		c := cs[int(w)%len(cs)]
		bin, err := c.AppendBinary(nil, data)
		if err != nil {
			return
		}
		out, canonical, err := c.appendJSON(nil, bin)
		if err != nil || !canonical {
			t.Fatalf("AppendJSON(%x) of %q: canonical %v, %v", bin, data, canonical, err)
		}
		if !json.Valid(out) {
			t.Fatalf("invalid JSON: %q", out)
		}
		bin2, err := c.AppendBinary(nil, out)
		if err != nil || !bytes.Equal(bin2, bin) {
			t.Fatalf("%q -> %x -> %s -> %x, %v", data, bin, out, bin2, err)
		}
	})
}
