package avro

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"

	havro "github.com/hamba/avro/v2"
)

// hambaAPI is the hamba configuration whose Marshal writes the same bytes as
// AppendBinary: one block per non-empty array or map, no byte sizes.
var hambaAPI = havro.Config{DisableBlockSizeHeader: true, BlockLength: math.MaxInt}.Freeze()

func mustParse(t testing.TB, schema string) *Codec {
	t.Helper()
	c, err := Parse(schema)
	if err != nil {
		t.Fatalf("Parse(%s): %v", schema, err)
	}
	return c
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const (
	schemaDate      = `{"type":"int","logicalType":"date"}`
	schemaTimeMs    = `{"type":"int","logicalType":"time-millis"}`
	schemaTimeUs    = `{"type":"long","logicalType":"time-micros"}`
	schemaTsMs      = `{"type":"long","logicalType":"timestamp-millis"}`
	schemaTsUs      = `{"type":"long","logicalType":"timestamp-micros"}`
	schemaLocalTsMs = `{"type":"long","logicalType":"local-timestamp-millis"}`
	schemaLocalTsUs = `{"type":"long","logicalType":"local-timestamp-micros"}`
	schemaUUID      = `{"type":"string","logicalType":"uuid"}`
	schemaDecBytes  = `{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}`
	schemaDecFixed  = `{"type":"fixed","name":"Dec4","size":4,"logicalType":"decimal","precision":8,"scale":2}`
	schemaDuration  = `{"type":"fixed","name":"Dur","size":12,"logicalType":"duration"}`

	schemaAddress = `{"type":"record","name":"Person","namespace":"com.example","fields":[
		{"name":"name","type":"string"},
		{"name":"address","type":{"type":"record","name":"Address","fields":[
			{"name":"street","type":"string"},
			{"name":"zip","type":"int"}]}},
		{"name":"tags","type":{"type":"array","items":"string"}},
		{"name":"attrs","type":{"type":"map","values":"int"}},
		{"name":"value","type":["null","int","string","Address"]}]}`

	schemaList = `{"type":"record","name":"Node","namespace":"ll","fields":[
		{"name":"v","type":"int"},
		{"name":"next","type":["null","Node"],"default":null}]}`

	schemaArrayMapUnion = `{"type":"array","items":{"type":"map","values":
		["null","int","string",{"type":"array","items":"long"},{"type":"enum","name":"E","namespace":"x","symbols":["A","B"]}]}}`

	schemaDefaults = `{"type":"record","name":"D","fields":[
		{"name":"i","type":"int","default":7},
		{"name":"l","type":"long","default":9007199254740993},
		{"name":"s","type":"string","default":"h\u00e9"},
		{"name":"b","type":"bytes","default":"\u00ff"},
		{"name":"f","type":{"type":"fixed","name":"F2","size":2},"default":"ab"},
		{"name":"e","type":{"type":"enum","name":"E","symbols":["X","Y"]},"default":"Y"},
		{"name":"a","type":{"type":"array","items":"int"},"default":[1,2]},
		{"name":"m","type":{"type":"map","values":"string"},"default":{"k":"v"}},
		{"name":"u","type":["string","null"],"default":"dflt"},
		{"name":"n","type":["null","int"],"default":null},
		{"name":"r","type":{"type":"record","name":"Inner","fields":[
			{"name":"x","type":"int","default":1},
			{"name":"y","type":["null","string"],"default":null}]},"default":{"x":5}},
		{"name":"d","type":"double","default":1.5},
		{"name":"bo","type":"boolean","default":true}]}`
)

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		schema string
		in     string // JSON input
		hex    string // expected binary
		out    string // expected JSON output; "" means in
	}{
		{"null", `"null"`, `null`, ``, ""},
		{"true", `"boolean"`, `true`, `01`, ""},
		{"false", `"boolean"`, ` false `, `00`, `false`},
		{"int 0", `"int"`, `0`, `00`, ""},
		{"int -1", `"int"`, `-1`, `01`, ""},
		{"int 63", `"int"`, `63`, `7e`, ""},
		{"int 64", `"int"`, `64`, `8001`, ""},
		{"int max", `"int"`, `2147483647`, `feffffff0f`, ""},
		{"int min", `"int"`, `-2147483648`, `ffffffff0f`, ""},
		{"int exponent", `"int"`, `1e3`, `d00f`, `1000`},
		{"int point zero", `"int"`, `10.0`, `14`, `10`},
		{"int fraction exponent", `"int"`, `1.5e1`, `1e`, `15`},
		{"int negative zero", `"int"`, `-0`, `00`, `0`},
		{"long max", `"long"`, `9223372036854775807`, `feffffffffffffffff01`, ""},
		{"long min", `"long"`, `-9223372036854775808`, `ffffffffffffffffff01`, ""},
		{"long 19 digits trailing zeros", `"long"`, `1000000000000000000.000`, `8080a0f6f4acdbe01b`, `1000000000000000000`},
		{"float", `"float"`, `1.5`, `0000c03f`, ""},
		{"float shortest", `"float"`, `0.1`, `cdcccc3d`, ""},
		{"float long form", `"float"`, `0.100000001490116119384765625`, `cdcccc3d`, `0.1`},
		{"float NaN", `"float"`, `"NaN"`, `0000c07f`, ""},
		{"float -Infinity", `"float"`, `"-Infinity"`, `000080ff`, ""},
		{"double", `"double"`, `1.5`, `000000000000f83f`, ""},
		{"double negative zero", `"double"`, `-0`, `0000000000000080`, ""},
		{"double integral", `"double"`, `100`, `0000000000005940`, ""},
		{"double big", `"double"`, `1e21`, `50efe2d6e41a4b44`, `1e+21`},
		{"double small", `"double"`, `0.0000001`, `48afbc9af2d77a3e`, `1e-7`},
		{"double Infinity", `"double"`, `"Infinity"`, `000000000000f07f`, ""},
		{"double NaN", `"double"`, `"NaN"`, `000000000000f87f`, ""},
		{"bytes", `"bytes"`, `"\u00ff\u0000a"`, `06ff0061`, ""},
		{"bytes raw latin1", `"bytes"`, `"é\"\\"`, `06e9225c`, `"\u00e9\"\\"`},
		{"bytes empty", `"bytes"`, `""`, `00`, ""},
		{"bytes DEL and upper escapes", `"bytes"`, `"\u007F\u00E9~"`, `067fe97e`, `"\u007f\u00e9~"`},
		{"string", `"string"`, `"héllo"`, `0c68c3a96c6c6f`, ""},
		{"string escapes", `"string"`, `"a\"b\\c\n\u0001\/"`, `106122625c630a012f`, `"a\"b\\c\n\u0001/"`},
		{"string surrogate pair", `"string"`, `"\ud83d\ude00"`, `08f09f9880`, `"😀"`},
		{"string long escape shift", `"string"`, `"` + strings.Repeat(`\u0041`, 70) + `"`, `8c01` + strings.Repeat("41", 70), `"` + strings.Repeat("A", 70) + `"`},
		{"fixed", `{"type":"fixed","name":"F4","size":4}`, `"ab\u0000\u00ff"`, `616200ff`, ""},
		{"enum", `{"type":"enum","name":"E","symbols":["A","B","C"]}`, `"C"`, `04`, ""},
		{"array", `{"type":"array","items":"int"}`, `[1, 2 ,3]`, `06020406 00`, `[1,2,3]`},
		{"array empty", `{"type":"array","items":"int"}`, `[ ]`, `00`, `[]`},
		{"array 64 items", `{"type":"array","items":"null"}`, `[` + strings.Repeat(`null,`, 63) + `null]`, `8001 00`, ""},
		{"map", `{"type":"map","values":"int"}`, `{"a":1,"b":2}`, `04 0261 02 0262 04 00`, ""},
		{"map empty", `{"type":"map","values":"int"}`, `{}`, `00`, ""},
		{"union null", `["null","string"]`, `null`, `00`, ""},
		{"union string", `["null","string"]`, `{"string":"x"}`, `02 0278`, ""},
		{"union short name", `["null",{"type":"record","name":"U","namespace":"a.b","fields":[{"name":"x","type":"int"}]}]`,
			`{"U":{"x":1}}`, `02 02`, `{"a.b.U":{"x":1}}`},

		{"date", schemaDate, `19000`, `f0a802`, ""},
		{"time-millis", schemaTimeMs, `45296789`, `aab2992b`, ""},
		{"time-micros", schemaTimeUs, `45296789012`, `a898b1bed102`, ""},
		{"timestamp-millis", schemaTsMs, `1700000000000`, `80a0abfef962`, ""},
		{"timestamp-micros", schemaTsUs, `1700000000000000`, `8080f28183898506`, ""},
		{"local-timestamp-millis", schemaLocalTsMs, `-1`, `01`, ""},
		{"local-timestamp-micros", schemaLocalTsUs, `1700000000000001`, `8280f28183898506`, ""},
		{"uuid", schemaUUID, `"f81d4fae-7dec-11d0-a765-00a0c91e6bf6"`, `48` + hex.EncodeToString([]byte("f81d4fae-7dec-11d0-a765-00a0c91e6bf6")), ""},
		{"decimal bytes", schemaDecBytes, `"\u0004\u00d2"`, `0404d2`, ""},
		{"decimal fixed", schemaDecFixed, `"\u00ff\u00ff\u00fb."`, `fffffb2e`, ""},
		{"duration", schemaDuration, `"\u0001\u0000\u0000\u0000\u0002\u0000\u0000\u0000\u0003\u0000\u0000\u0000"`, `010000000200000003000000`, ""},

		{"nested record", schemaAddress,
			`{"name":"Ann","address":{"street":"Main","zip":12345},"tags":["a","b"],"attrs":{"k":1},"value":{"com.example.Address":{"street":"x","zip":1}}}`,
			`06416e6e 084d61696e f2c001 04 0261 0262 00 02 026b 02 00 06 0278 02`, ""},
		{"record fields out of order", schemaAddress,
			`{"value":{"int":5},"attrs":{},"tags":[],"address":{"zip":1,"street":"s"},"name":"n"}`,
			`026e 0273 02 00 00 02 0a`,
			`{"name":"n","address":{"street":"s","zip":1},"tags":[],"attrs":{},"value":{"int":5}}`},
		{"recursive record", schemaList,
			`{"v":1,"next":{"ll.Node":{"v":2,"next":{"Node":{"v":3}}}}}`,
			`02 02 04 02 06 00`,
			`{"v":1,"next":{"ll.Node":{"v":2,"next":{"ll.Node":{"v":3,"next":null}}}}}`},
		{"arrays of maps of unions", schemaArrayMapUnion,
			`[{"a":{"int":1},"b":null},{},{"c":{"array":[1,2]}},{"d":{"string":"x"},"e":{"x.E":"B"}}]`,
			`08 04 0261 02 02 0262 00 00 00 02 0263 06 04 02 04 00 00 04 0264 04 0278 0265 08 02 00 00`, ""},
		{"defaults", schemaDefaults, `{}`,
			`0e 8280808080808020 0668c3a9 02ff 6162 02 04 02 04 00 02 026b 0276 00 00 0864666c74 00 0a 00 000000000000f83f 01`,
			`{"i":7,"l":9007199254740993,"s":"hé","b":"\u00ff","f":"ab","e":"Y","a":[1,2],"m":{"k":"v"},"u":{"string":"dflt"},"n":null,"r":{"x":5,"y":null},"d":1.5,"bo":true}`},
		{"defaults between given fields", schemaDefaults, `{"l":1,"e":"X","bo":false}`,
			`0e 02 0668c3a9 02ff 6162 00 04 02 04 00 02 026b 0276 00 00 0864666c74 00 0a 00 000000000000f83f 00`,
			`{"i":7,"l":1,"s":"hé","b":"\u00ff","f":"ab","e":"X","a":[1,2],"m":{"k":"v"},"u":{"string":"dflt"},"n":null,"r":{"x":5,"y":null},"d":1.5,"bo":false}`},
		{"defaults out of order", schemaDefaults, `{"bo":false,"r":{"y":{"string":"z"}},"i":1}`,
			`02 8280808080808020 0668c3a9 02ff 6162 02 04 02 04 00 02 026b 0276 00 00 0864666c74 00 02 02 027a 000000000000f83f 00`,
			`{"i":1,"l":9007199254740993,"s":"hé","b":"\u00ff","f":"ab","e":"Y","a":[1,2],"m":{"k":"v"},"u":{"string":"dflt"},"n":null,"r":{"x":1,"y":{"string":"z"}},"d":1.5,"bo":false}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, tt.schema)
			want := unhex(t, tt.hex)
			bin, err := c.AppendBinary([]byte("prefix"), []byte(tt.in))
			if err != nil {
				t.Fatalf("AppendBinary: %v", err)
			}
			if !bytes.HasPrefix(bin, []byte("prefix")) || !bytes.Equal(bin[6:], want) {
				t.Fatalf("AppendBinary = %x, want %x", bin[6:], want)
			}
			wantOut := tt.out
			if wantOut == "" {
				wantOut = tt.in
			}
			out, err := c.AppendJSON([]byte("prefix"), want)
			if err != nil {
				t.Fatalf("AppendJSON: %v", err)
			}
			if string(out[6:]) != wantOut {
				t.Fatalf("AppendJSON = %s, want %s", out[6:], wantOut)
			}
			// The output is canonical: it encodes to the same bytes.
			if again, err := c.AppendBinary(nil, out[6:]); err != nil || !bytes.Equal(again, want) {
				t.Fatalf("AppendBinary(output) = %x, %v", again, err)
			}
			// hamba reads the bytes and writes them back the same.
			var v any
			if err := hambaAPI.Unmarshal(c.Schema(), want, &v); err != nil {
				t.Fatalf("hamba Unmarshal: %v", err)
			}
			if strings.Contains(tt.name, "map") && !strings.Contains(tt.name, "empty") {
				return // several keys: hamba writes them in random order
			}
			if hb, err := hambaAPI.Marshal(c.Schema(), v); err != nil || !bytes.Equal(hb, want) {
				t.Fatalf("hamba Marshal = %x, %v; want %x", hb, err, want)
			}
		})
	}
}

func TestAppendBinaryErrors(t *testing.T) {
	deep := strings.Repeat(`{"v":1,"next":{"Node":`, 1001) + `{"v":1}` + strings.Repeat(`}}`, 1001)
	tests := []struct {
		name, schema, in, err string
	}{
		{"wrong type in nested field", schemaAddress,
			`{"name":"a","address":{"street":"s","zip":"x"},"tags":[],"attrs":{},"value":null}`,
			`field "address.zip": expected int, got string "x"`},
		{"unknown union branch", schemaAddress,
			`{"name":"a","address":{"street":"s","zip":1},"tags":[],"attrs":{},"value":{"foo":1}}`,
			`union "value": unknown branch "foo"`},
		{"array item", schemaAddress,
			`{"name":"a","address":{"street":"s","zip":1},"tags":["a","b",3],"attrs":{},"value":null}`,
			`field "tags[2]": expected string, got number 3`},
		{"map value", schemaAddress,
			`{"name":"a","address":{"street":"s","zip":1},"tags":[],"attrs":{"k\"1":true},"value":null}`,
			`field "attrs[k\"1]": expected int, got true`},
		{"union branch value", schemaAddress,
			`{"name":"a","address":{"street":"s","zip":1},"tags":[],"attrs":{},"value":{"Address":{"street":1}}}`,
			`field "value.street": expected string, got number 1`},
		{"unknown field", schemaAddress, `{"name":"a","nope":1}`, `field "nope": not in record com.example.Person`},
		{"duplicate field", schemaAddress, `{"name":"a","name":"b"}`, `field "name": appears twice`},
		{"missing field", schemaAddress, `{"name":"a","tags":[],"attrs":{},"value":null}`, `field "address": missing, and has no default`},
		{"missing nested field", schemaAddress,
			`{"name":"a","address":{"street":"s"},"tags":[],"attrs":{},"value":null}`, `field "address.zip": missing, and has no default`},
		{"missing field out of order", schemaAddress,
			`{"value":null,"name":"a","tags":[],"attrs":{}}`, `field "address": missing, and has no default`},
		{"record not object", schemaAddress, `[1]`, `expected record, got array`},
		{"int fraction", `"int"`, `1.5`, `expected int, got number 1.5`},
		{"int negative exponent", `"int"`, `1e-1`, `expected int, got number 1e-1`},
		{"int range", `"int"`, `2147483648`, `number 2147483648 out of range for int`},
		{"int range exponent", `"int"`, `3e9`, `number 3e9 out of range for int`},
		{"long range", `"long"`, `9223372036854775808`, `number 9223372036854775808 out of range for long`},
		{"long range negative", `"long"`, `-9223372036854775809`, `number -9223372036854775809 out of range for long`},
		{"long huge exponent", `"long"`, `1e999999999999`, `number 1e999999999999 out of range for long`},
		{"long many digits", `"long"`, `123456789012345678901234567890`, `number 123456789012345678901234567890 out of range for long`},
		{"long fraction digits", `"long"`, `1.00000000000000000000001`, `expected long, got number 1.00000000000000000000001`},
		{"int string", `"int"`, `"1"`, `expected int, got string "1"`},
		{"double range", `"double"`, `1e400`, `number 1e400 out of range for double`},
		{"float range", `"float"`, `1e39`, `number 1e39 out of range for float`},
		{"double bad string", `"double"`, `"nan"`, `expected double, got string "nan"`},
		{"boolean", `"boolean"`, `1`, `expected boolean, got number 1`},
		{"null", `"null"`, `false`, `expected null, got false`},
		{"bytes code point", `"bytes"`, `"\u0100"`, `invalid bytes: code point U+0100 above U+00FF`},
		{"bytes raw code point", `"bytes"`, `"€"`, `invalid bytes: code point U+20ac above U+00FF`},
		{"fixed size", `{"type":"fixed","name":"F2","size":2}`, `"abc"`, `fixed F2 needs 2 bytes, got 3`},
		{"enum symbol", `{"type":"enum","name":"E","namespace":"n","symbols":["A"]}`, `"B"`, `unknown symbol "B" for enum n.E`},
		{"union null not a branch", `["int","string"]`, `null`, `union: null is not a branch`},
		{"union not an object", `["null","string"]`, `"x"`, `union: expected null or a single-key object, got string "x"`},
		{"union empty object", `["null","string"]`, `{ }`, `union: expected null or a single-key object, got {}`},
		{"union two keys", `["null","string","int"]`, `{"string":"x","int":1}`, `union: more than one key in a union object`},
		{"union ambiguous short name", `["null",{"type":"record","name":"a.X","fields":[]},{"type":"record","name":"b.X","fields":[]}]`,
			`{"X":{}}`, `union: unknown branch "X"`},
		{"long input is cut", `"int"`, `"` + strings.Repeat("x", 100) + `"`, `expected int, got string "` + strings.Repeat("x", 40) + `..."`},
		{"lone surrogate", `"string"`, `"\ud800"`, `invalid json: lone surrogate escape in string`},
		{"bad escape", `"string"`, `"\x"`, `invalid json: invalid escape in string`},
		{"invalid utf-8", `"string"`, "\"\xff\"", `invalid json: invalid UTF-8 in string at offset 0`},
		{"control character", `"string"`, "\"a\nb\"", `invalid json: control character in string at offset 2`},
		{"unterminated", `{"type":"array","items":"int"}`, `[1,2`, `invalid json: unexpected end of input`},
		{"bad separator", `{"type":"array","items":"int"}`, `[1;2]`, `invalid json: expected ']', got ';' at offset 2`},
		{"leading zero", `"int"`, `01`, `invalid json: data after the value at offset 1`},
		{"trailing data", `"int"`, `1 2`, `invalid json: data after the value at offset 2`},
		{"empty input", `"int"`, ``, `invalid json: unexpected end of input`},
		{"garbage", `"int"`, `@`, `invalid json: unexpected '@' at offset 0`},
		{"bad literal", `"boolean"`, `tru`, `invalid json: unexpected 't' at offset 0`},
		{"too deep", schemaList, deep, `field "...next` + strings.Repeat(".next", 19) + `": nesting deeper than 1000`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, tt.schema)
			dst := []byte("keep")
			out, err := c.AppendBinary(dst, []byte(tt.in))
			if err == nil {
				t.Fatalf("AppendBinary = %x, want error %q", out, tt.err)
			}
			if err.Error() != tt.err {
				t.Fatalf("error\n got %s\nwant %s", err, tt.err)
			}
			if string(out) != "keep" {
				t.Fatalf("dst after error = %q", out)
			}
		})
	}
}

func TestAppendJSONErrors(t *testing.T) {
	deep := strings.Repeat("02 02", 1001) + "02 00"
	tests := []struct {
		name, schema, hex, err string
	}{
		{"empty", `"int"`, ``, `unexpected end of input`},
		{"trailing bytes", `"int"`, `02 00 00`, `2 bytes left after the value`},
		{"int range", `"int"`, `8080808010`, `int out of range: 2147483648`},
		{"varint overflow", `"long"`, `ffffffffffffffffff7f`, `varint overflows 64 bits`},
		{"varint too long", `"long"`, `ffffffffffffffffffff01`, `varint overflows 64 bits`},
		{"varint cut", `"long"`, `ff`, `unexpected end of input`},
		{"boolean", `"boolean"`, `02`, `invalid boolean byte 0x02`},
		{"float cut", `"float"`, `000000`, `unexpected end of input`},
		{"huge length", `"string"`, `8080808080808001`, `length 281474976710656 exceeds the 0 remaining bytes`},
		{"negative length", `"bytes"`, `01`, `negative length -1`},
		{"fixed cut", `{"type":"fixed","name":"F","size":4}`, `0102`, `unexpected end of input`},
		{"enum index", `{"type":"enum","name":"E","namespace":"n","symbols":["A"]}`, `02`, `index 1 out of range for enum n.E`},
		{"enum negative", `{"type":"enum","name":"E","symbols":["A"]}`, `01`, `index -1 out of range for enum E`},
		{"union index", `["null","int"]`, `04`, `union: branch index 2 out of range`},
		{"union index in field", schemaAddress, `02 61 00 00 00 00 08`, `union "value": branch index 4 out of range`},
		{"nested field", schemaAddress, `02 61 02 62`, `field "address.zip": unexpected end of input`},
		{"array item", schemaAddress, `02 61 00 00 04 00 ff`, `field "tags[1]": unexpected end of input`},
		{"map value", schemaAddress, `02 61 00 00 00 02 02 6b 8080808010`, `field "attrs[k]": int out of range: 2147483648`},
		{"array count beyond input", `{"type":"array","items":"int"}`, `d00f 02 00`, `block of 1000 items exceeds the remaining input`},
		{"array huge count", `{"type":"array","items":"long"}`, `feffffffffffffffff01`, `block of 9223372036854775807 items exceeds the remaining input`},
		{"array min count", `{"type":"array","items":"long"}`, `ffffffffffffffffff01 00`, `invalid block count`},
		{"map count beyond input", `{"type":"map","values":"null"}`, `08 0261 00`, `block of 4 items exceeds the remaining input`},
		{"zero-size items", `{"type":"array","items":"null"}`, `feffffffffffffffff01`, `more than 65536 array items of zero size`},
		{"block size negative", `{"type":"array","items":"int"}`, `01 01 02 00`, `invalid block size -1`},
		{"block size beyond input", `{"type":"array","items":"int"}`, `01 10 02 00`, `invalid block size 8`},
		{"too deep", schemaList, deep, `field "...next` + strings.Repeat(".next", 19) + `": nesting deeper than 1000`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, tt.schema)
			out, err := c.AppendJSON([]byte("keep"), unhex(t, tt.hex))
			if err == nil {
				t.Fatalf("AppendJSON = %s, want error %q", out, tt.err)
			}
			if err.Error() != tt.err {
				t.Fatalf("error\n got %s\nwant %s", err, tt.err)
			}
			if string(out) != "keep" {
				t.Fatalf("dst after error = %q", out)
			}
		})
	}
}

// TestNonCanonicalBinary checks forms AppendBinary never writes but the
// specification allows.
func TestNonCanonicalBinary(t *testing.T) {
	tests := []struct {
		name, schema, hex, out string
	}{
		{"block with byte size", `{"type":"array","items":"int"}`, `05 06 02 04 06 00`, `[1,2,3]`},
		{"several blocks", `{"type":"array","items":"int"}`, `02 02 03 02 04 06 00`, `[1,2,3]`},
		{"map blocks", `{"type":"map","values":"int"}`, `03 0c 0261 02 0262 04 00`, `{"a":1,"b":2}`},
		{"long varint", `"int"`, `8200`, `1`},
		{"NaN payload", `"double"`, `010000000000f87f`, `"NaN"`},
		{"invalid utf-8", `"string"`, `06 61ff62`, "\"a\uFFFDb\""},
		{"hamba default config", `{"type":"array","items":"string"}`, hex.EncodeToString(mustMarshal(t, havro.DefaultConfig, `{"type":"array","items":"string"}`, []any{"a", "b"})), `["a","b"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, tt.schema)
			out, canonical, err := c.appendJSON(nil, unhex(t, tt.hex))
			if err != nil || string(out) != tt.out {
				t.Fatalf("AppendJSON = %s, %v; want %s", out, err, tt.out)
			}
			if canonical {
				t.Fatal("reported canonical")
			}
		})
	}
}

func mustMarshal(t *testing.T, api havro.API, schema string, v any) []byte {
	t.Helper()
	b, err := api.Marshal(havro.MustParse(schema), v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParse(t *testing.T) {
	tests := []struct{ name, schema, err string }{
		{"not a schema", `{"type":"nope"}`, `invalid schema: avro: unknown type: nope`},
		{"bad int default", `{"type":"record","name":"R","fields":[{"name":"i","type":"int","default":1.5}]}`,
			`invalid schema: invalid default for field "i" of R: expected int, got number 1.5`},
		{"bad nested default", `{"type":"record","name":"R","fields":[{"name":"r","default":{},"type":{"type":"record","name":"S","fields":[{"name":"x","type":"int","default":2.5}]}}]}`,
			`invalid schema: invalid default for field "r" of R: invalid default for field "x" of S: expected int, got number 2.5`},
		{"null default of an int (hamba refuses it)", `{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":null}]}`,
			`invalid schema: invalid default for field "a" of R: expected int, got null`},
		{"string default of an int", `{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":"x"}]}`,
			`invalid schema: invalid default for field "a" of R: expected int, got string "x"`},
		{"object default of an array", `{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"array","items":"int"},"default":{"a":1}}]}`,
			`invalid schema: invalid default for field "a" of R: expected array, got object`},
		{"union with same-named branches", `["long",{"type":"long","logicalType":"timestamp-millis"}]`,
			`invalid schema: union has two branches named "long"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.schema)
			if err == nil || err.Error() != tt.err {
				t.Fatalf("Parse error = %v, want %s", err, tt.err)
			}
		})
	}

	// A bare type name is not JSON, yet a schema.
	c := mustParse(t, `string`)
	if c.Schema().Type() != havro.String {
		t.Fatalf("Schema() = %v", c.Schema())
	}
}

// TestFreshSchemaCache checks that schemas reusing a record name do not see
// each other, and that the global cache stays untouched.
func TestFreshSchemaCache(t *testing.T) {
	a := mustParse(t, `{"type":"record","name":"Cached","namespace":"krest.test","fields":[{"name":"a","type":"int"}]}`)
	b := mustParse(t, `{"type":"record","name":"Cached","namespace":"krest.test","fields":[{"name":"b","type":"string"}]}`)
	if _, err := Parse(`"krest.test.Cached"`); err == nil {
		t.Fatal("a name from an earlier Parse resolved")
	}
	if havro.DefaultSchemaCache.Get("krest.test.Cached") != nil {
		t.Fatal("Parse wrote to havro.DefaultSchemaCache")
	}
	if _, err := a.AppendBinary(nil, []byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := b.AppendBinary(nil, []byte(`{"b":"x"}`)); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentUse(t *testing.T) {
	c := mustParse(t, schemaAddress)
	in := []byte(`{"name":"Ann","address":{"street":"Main","zip":12345},"tags":["a","b"],"attrs":{"k":1},"value":{"string":"v"}}`)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var bin, out []byte
			for range 200 {
				var err error
				if bin, err = c.AppendBinary(bin[:0], in); err != nil {
					t.Error(err)
					return
				}
				if out, err = c.AppendJSON(out[:0], bin); err != nil || !bytes.Equal(out, in) {
					t.Errorf("AppendJSON = %s, %v", out, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestWideRecord covers records with more fields than the encoder keeps on
// the stack, in and out of order.
func TestWideRecord(t *testing.T) {
	var schema, in, rev, want strings.Builder
	schema.WriteString(`{"type":"record","name":"Wide","fields":[`)
	for i := range 40 {
		if i > 0 {
			schema.WriteByte(',')
		}
		def := ""
		if i%3 == 0 {
			def = `,"default":` + strconv.Itoa(-i)
		}
		fmt.Fprintf(&schema, `{"name":"f%d","type":"int"%s}`, i, def)
	}
	schema.WriteString(`]}`)
	c := mustParse(t, schema.String())
	in.WriteByte('{')
	rev.WriteByte('{')
	want.WriteByte('{')
	for i := range 40 {
		if i > 0 {
			want.WriteByte(',')
		}
		v := -i
		if i%3 != 0 {
			v = i
			if in.Len() > 1 {
				in.WriteByte(',')
			}
			fmt.Fprintf(&in, `"f%d":%d`, i, i)
		}
		fmt.Fprintf(&want, `"f%d":%d`, i, v)
	}
	for i := 39; i >= 0; i-- {
		if i%3 != 0 {
			if rev.Len() > 1 {
				rev.WriteByte(',')
			}
			fmt.Fprintf(&rev, `"f%d":%d`, i, i)
		}
	}
	in.WriteByte('}')
	rev.WriteByte('}')
	want.WriteByte('}')
	for _, json := range []string{in.String(), rev.String(), want.String()} {
		bin, err := c.AppendBinary(nil, []byte(json))
		if err != nil {
			t.Fatal(err)
		}
		out, err := c.AppendJSON(nil, bin)
		if err != nil || string(out) != want.String() {
			t.Fatalf("got %s, %v\nwant %s", out, err, want.String())
		}
	}
	_, err := c.AppendBinary(nil, []byte(`{"f39":1,"f1":1,"f1":2}`))
	if err == nil || err.Error() != `field "f1": appears twice` {
		t.Fatalf("error = %v", err)
	}
	_, err = c.AppendBinary(nil, []byte(`{"f39":1,"`+strings.Repeat("z", 100)+`":1}`))
	if err == nil || err.Error() != `field "`+strings.Repeat("z", 40)+`...": not in record Wide` {
		t.Fatalf("error = %v", err)
	}
	_, err = c.AppendBinary(nil, []byte("{\"f1\":1\xff"))
	if err == nil || err.Error() != `invalid json: expected '}', got byte 0xff at offset 7` {
		t.Fatalf("error = %v", err)
	}
}

// TestNestedDefaults finds field defaults in records declared inside
// unions, arrays and maps, and in hamba's {"type": [union]} form.
func TestNestedDefaults(t *testing.T) {
	c := mustParse(t, `{"type":"record","name":"Top","fields":[
		{"name":"m","type":{"type":"map","values":{"type":"array","items":["null",
			{"type":"record","name":"In","fields":[{"name":"x","type":"long","default":-9007199254740993}]}]}}},
		{"name":"u","type":{"type":["null",{"type":"record","name":"In2","fields":[{"name":"y","type":"string","default":"d"}]}]}},
		{"name":"again","type":["null","In"],"default":null}]}`)
	bin, err := c.AppendBinary(nil, []byte(`{"m":{"k":[{"In":{}},null]},"u":{"In2":{}}}`))
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.AppendJSON(nil, bin)
	want := `{"m":{"k":[{"In":{"x":-9007199254740993}},null]},"u":{"In2":{"y":"d"}},"again":null}`
	if err != nil || string(out) != want {
		t.Fatalf("got %s, %v\nwant %s", out, err, want)
	}
}
