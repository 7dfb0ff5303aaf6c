package avro

import (
	"bytes"
	"testing"

	"github.com/linkedin/goavro/v2"
)

const schemaUser = `{"type":"record","name":"User","namespace":"com.example","fields":[
	{"name":"id","type":"long"},
	{"name":"name","type":"string"},
	{"name":"email","type":["null","string"],"default":null},
	{"name":"score","type":"double"},
	{"name":"tags","type":{"type":"array","items":"string"}},
	{"name":"status","type":{"type":"enum","name":"Status","symbols":["ACTIVE","INACTIVE","BANNED"]}}]}`

const schemaKitchen = `{"type":"record","name":"K","namespace":"io.k","fields":[
	{"name":"b","type":"boolean"},
	{"name":"i","type":"int"},
	{"name":"f","type":"float"},
	{"name":"raw","type":"bytes"},
	{"name":"fx","type":{"type":"fixed","name":"F3","size":3}},
	{"name":"m","type":{"type":"map","values":["null","long",{"type":"array","items":"F3"}]}},
	{"name":"sub","type":["null",{"type":"record","name":"Sub","fields":[
		{"name":"x","type":{"type":"array","items":{"type":"array","items":"int"}}},
		{"name":"s","type":"string"}]}]},
	{"name":"ts","type":{"type":"long","logicalType":"timestamp-millis"}},
	{"name":"day","type":{"type":"int","logicalType":"date"}}]}`

// TestGoavroInterop checks that binary written by goavro decodes with
// AppendJSON to the JSON goavro's TextualFromNative writes for the same
// datum, that AppendBinary writes goavro's bytes, and that goavro reads them.
// (NaN and the infinities are left out: goavro writes them as null and
// ±1e999.)
func TestGoavroInterop(t *testing.T) {
	tests := []struct {
		schema string
		datums []string
	}{
		{schemaUser, []string{
			`{"id":12345,"name":"Alice","email":{"string":"alice@example.com"},"score":97.5,"tags":["admin","beta"],"status":"ACTIVE"}`,
			`{"id":-1,"name":"B\u00f6b \"q\" \n","email":null,"score":-0.001,"tags":[],"status":"BANNED"}`,
			`{"id":9223372036854775807,"name":"","email":null,"score":1e300,"tags":["😀","\u0000"],"status":"INACTIVE"}`,
		}},
		{schemaKitchen, []string{
			`{"b":true,"i":-2147483648,"f":0.1,"raw":"\u0000\u00ff\u0080a","fx":"xyz","m":{"a":{"long":5}},` +
				`"sub":{"io.k.Sub":{"x":[[1,2],[],[3]],"s":"s"}},"ts":1700000000000,"day":19000}`,
			`{"b":false,"i":7,"f":-3.5e-20,"raw":"","fx":"\u0001\u0002\u0003","m":{"n":null},"sub":null,"ts":-1,"day":0}`,
			`{"b":false,"i":0,"f":3.4028235e38,"raw":"\"\\","fx":"   ","m":{"arr":{"array":["abc","\u00ff\u00fe\u00fd"]}},"sub":null,"ts":0,"day":-1}`,
		}},
		{schemaList, []string{
			`{"v":1,"next":{"ll.Node":{"v":2,"next":{"ll.Node":{"v":3,"next":null}}}}}`,
		}},
		{`{"type":"array","items":["null","double","string"]}`, []string{
			`[null,{"double":1.5},{"string":"x"},{"double":-0.0},{"double":5e-324}]`,
		}},
	}
	for _, tt := range tests {
		c := mustParse(t, tt.schema)
		gc, err := goavro.NewCodec(tt.schema)
		if err != nil {
			t.Fatal(err)
		}
		for _, datum := range tt.datums {
			native, rest, err := gc.NativeFromTextual([]byte(datum))
			if err != nil || len(rest) != 0 {
				t.Fatalf("goavro NativeFromTextual(%s): %v", datum, err)
			}
			gbin, err := gc.BinaryFromNative(nil, native)
			if err != nil {
				t.Fatal(err)
			}
			gjson, err := gc.TextualFromNative(nil, native)
			if err != nil {
				t.Fatal(err)
			}
			ours, err := c.AppendJSON(nil, gbin)
			if err != nil {
				t.Fatalf("AppendJSON(goavro's %x): %v", gbin, err)
			}
			if !sameJSON(ours, gjson) {
				va, _ := decodeJSON(ours)
				vb, _ := decodeJSON(gjson)
				t.Fatalf("AppendJSON differs from goavro at %s\n ours:   %s\n goavro: %s", diffJSON(va, vb), ours, gjson)
			}
			bin, err := c.AppendBinary(nil, []byte(datum))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(bin, gbin) {
				t.Fatalf("AppendBinary(%s)\n = %x\n goavro %x", datum, bin, gbin)
			}
			if _, rest, err := gc.NativeFromBinary(bin); err != nil || len(rest) != 0 {
				t.Fatalf("goavro cannot read AppendBinary's bytes: %v", err)
			}
		}
	}
}
