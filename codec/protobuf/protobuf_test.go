package protobuf

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

const proto3Schema = `syntax = "proto3";
package test.v1;

import "google/protobuf/timestamp.proto";

message Person {
  string name = 1;
  int32 age = 2;
  int64 big = 3;
  uint64 ubig = 4;
  double score = 5;
  float ratio = 6;
  bool active = 7;
  bytes blob = 8;
  Color color = 9;
  Address address = 10;
  repeated string tags = 11;
  repeated Address past = 12;
  map<string, int32> counts = 13;
  map<int32, Address> by_id = 14;
  oneof contact {
    string email = 15;
    string phone = 16;
  }
  google.protobuf.Timestamp created_at = 17;
  optional int32 maybe = 18;
  sint32 zig = 19;
  fixed64 fx = 20;

  message Note {
    string text = 1;
    message Deep {
      int32 level = 1;
    }
    Deep deep = 2;
  }
  Note note = 21;
}

message Address {
  string street = 1;
  string zip_code = 2;
}

enum Color {
  COLOR_UNSPECIFIED = 0;
  RED = 1;
  GREEN = 2;
}
`

const proto2Schema = `syntax = "proto2";
package p2;

message Rec {
  optional string name = 1;
  optional int32 n = 2 [default = 7];
  required int64 id = 3;
  optional E e = 4;
  optional group G = 5 {
    optional int32 x = 1;
  }
  optional Sub sub = 6;
  repeated int32 xs = 7;
  oneof o {
    int32 a = 8;
    string b = 9;
  }
  map<string, Sub> subs = 10;
  optional bytes raw = 11 [default = "hi"];

  message Sub {
    optional bool flag = 1;
    optional double d = 2;
  }
}

enum E {
  E_ONE = 1;
  E_TWO = 2;
}
`

// personDefaults is the JSON of an empty Person: every field without
// presence, with its default value (Java's includingDefaultValueFields).
const personDefaults = `"name":"","age":0,"big":"0","ubig":"0","score":0,"ratio":0,"active":false,"blob":"","color":"COLOR_UNSPECIFIED","tags":[],"past":[],"counts":{},"byId":{},"zig":0,"fx":"0"`

func mustCompile(t testing.TB, schema string) *Codec {
	t.Helper()
	c, err := Compile(schema)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return c
}

func toBinary(t testing.TB, c *Codec, index []int, js string) []byte {
	t.Helper()
	b, err := c.AppendBinary(nil, index, []byte(js))
	if err != nil {
		t.Fatalf("AppendBinary(%v, %s): %v", index, js, err)
	}
	return b
}

func toJSON(t testing.TB, c *Codec, index []int, bin []byte) string {
	t.Helper()
	out, err := c.AppendJSON(nil, index, bin)
	if err != nil {
		t.Fatalf("AppendJSON(%v): %v", index, err)
	}
	return string(out)
}

func TestRoundTrip(t *testing.T) {
	c3 := mustCompile(t, proto3Schema)
	c2 := mustCompile(t, proto2Schema)
	tests := []struct {
		name  string
		c     *Codec
		index []int
		in    string
		out   string
	}{
		{"empty", c3, nil, `{}`, `{` + personDefaults + `}`},
		{"scalars", c3, []int{0},
			`{"name":"Ann","age":-42,"big":"-9007199254740993","ubig":18446744073709551615,"score":1.5,"ratio":0.25,"active":true,"blob":"AQID","zig":-3,"fx":"7"}`,
			`{"name":"Ann","age":-42,"big":"-9007199254740993","ubig":"18446744073709551615","score":1.5,"ratio":0.25,"active":true,"blob":"AQID","color":"COLOR_UNSPECIFIED","tags":[],"past":[],"counts":{},"byId":{},"zig":-3,"fx":"7"}`},
		{"special floats", c3, nil, `{"score":"NaN","ratio":"-Infinity"}`,
			`{"name":"","age":0,"big":"0","ubig":"0","score":"NaN","ratio":"-Infinity","active":false,"blob":"","color":"COLOR_UNSPECIFIED","tags":[],"past":[],"counts":{},"byId":{},"zig":0,"fx":"0"}`},
		{"enum by name and number", c3, nil, `{"color":"GREEN"}`, `{` + strings.Replace(personDefaults, `"COLOR_UNSPECIFIED"`, `"GREEN"`, 1) + `}`},
		{"enum number", c3, nil, `{"color":1}`, `{` + strings.Replace(personDefaults, `"COLOR_UNSPECIFIED"`, `"RED"`, 1) + `}`},
		{"unknown enum number", c3, nil, `{"color":7}`, `{` + strings.Replace(personDefaults, `"COLOR_UNSPECIFIED"`, `7`, 1) + `}`},
		{"proto names accepted", c3, nil, `{"by_id":{"1":{"zip_code":"1000"}},"created_at":"2024-01-02T03:04:05Z"}`,
			`{` + strings.Replace(personDefaults, `"byId":{}`, `"byId":{"1":{"street":"","zipCode":"1000"}},"createdAt":"2024-01-02T03:04:05Z"`, 1) + `}`},
		{"nested and repeated", c3, nil,
			`{"address":{"street":"Main"},"tags":["a","b"],"past":[{"zipCode":"1"},{}]}`,
			`{"name":"","age":0,"big":"0","ubig":"0","score":0,"ratio":0,"active":false,"blob":"","color":"COLOR_UNSPECIFIED","address":{"street":"Main","zipCode":""},"tags":["a","b"],"past":[{"street":"","zipCode":"1"},{"street":"","zipCode":""}],"counts":{},"byId":{},"zig":0,"fx":"0"}`},
		{"maps sorted", c3, nil, `{"counts":{"b":2,"a":1,"c":0}}`,
			`{` + strings.Replace(personDefaults, `"counts":{}`, `"counts":{"a":1,"b":2,"c":0}`, 1) + `}`},
		{"oneof", c3, nil, `{"phone":""}`, `{` + strings.Replace(personDefaults, `"byId":{}`, `"byId":{},"phone":""`, 1) + `}`},
		{"proto3 optional", c3, nil, `{"maybe":0}`, `{` + strings.Replace(personDefaults, `"byId":{}`, `"byId":{},"maybe":0`, 1) + `}`},
		{"timestamp", c3, nil, `{"createdAt":"2024-01-02T03:04:05.120+01:00"}`, `{` + strings.Replace(personDefaults, `"byId":{}`, `"byId":{},"createdAt":"2024-01-02T02:04:05.120Z"`, 1) + `}`},
		{"spaces and escapes", c3, nil, `{"name":"a \"b\" \\ c\n\u00e9 <&>"}`,
			`{` + strings.Replace(personDefaults, `"name":""`, `"name":"a \"b\" \\ c\né <&>"`, 1) + `}`},
		{"nested message by index", c3, []int{0, 0}, `{"text":"hi","deep":{"level":3}}`, `{"text":"hi","deep":{"level":3}}`},
		{"doubly nested by index", c3, []int{0, 0, 0}, `{}`, `{"level":0}`},
		{"second top-level", c3, []int{1}, `{"zip_code":"X"}`, `{"street":"","zipCode":"X"}`},
		// proto2: unset optional scalars are printed with their defaults,
		// unset messages, groups and oneof members are not.
		{"proto2 defaults", c2, nil, `{"id":5}`, `{"name":"","n":7,"id":"5","e":"E_ONE","xs":[],"subs":{},"raw":"aGk="}`},
		{"proto2 nested defaults", c2, nil, `{"id":"1","sub":{},"subs":{"k":{"d":2}},"g":{},"b":"x","e":"E_TWO"}`,
			`{"name":"","n":7,"id":"1","e":"E_TWO","g":{"x":0},"sub":{"flag":false,"d":0},"xs":[],"b":"x","subs":{"k":{"flag":false,"d":2}},"raw":"aGk="}`},
		{"proto2 sub by index", c2, []int{0, 0}, `{}`, `{"flag":false,"d":0}`},
	}
	for _, tt := range tests {
		bin := toBinary(t, tt.c, tt.index, tt.in)
		got := toJSON(t, tt.c, tt.index, bin)
		if got != tt.out {
			t.Errorf("%s:\n got: %s\nwant: %s", tt.name, got, tt.out)
			continue
		}
		if !json.Valid([]byte(got)) {
			t.Errorf("%s: invalid JSON %s", tt.name, got)
		}
		// The output parses back and renders the same. (The binary may
		// differ: printed proto2 defaults become set fields.)
		if again := toJSON(t, tt.c, tt.index, toBinary(t, tt.c, tt.index, got)); again != got {
			t.Errorf("%s: second round trip changed JSON:\n got: %s\nwant: %s", tt.name, again, got)
		}
	}
}

func TestAppendKeepsPrefix(t *testing.T) {
	c := mustCompile(t, proto3Schema)
	prefix := []byte{0, 0, 0, 0, 1, 0}
	bin, err := c.AppendBinary(slices.Clone(prefix), nil, []byte(`{"name":"x"}`))
	if err != nil || !bytes.HasPrefix(bin, prefix) || !bytes.Equal(bin[len(prefix):], toBinary(t, c, nil, `{"name":"x"}`)) {
		t.Fatalf("AppendBinary with prefix: %x, %v", bin, err)
	}
	out, err := c.AppendJSON([]byte(`[`), nil, bin[len(prefix):])
	if err != nil || string(out) != `[{"name":"x",`+personDefaults[len(`"name":"",`):]+`}` {
		t.Fatalf("AppendJSON with prefix: %s, %v", out, err)
	}
	// On error dst is returned unchanged.
	dst := []byte("keep")
	if got, err := c.AppendBinary(dst, nil, []byte(`{"nope":1}`)); err == nil || string(got) != "keep" {
		t.Fatalf("AppendBinary error: %q, %v", got, err)
	}
	if got, err := c.AppendJSON(dst, nil, []byte{0xff}); err == nil || string(got) != "keep" {
		t.Fatalf("AppendJSON error: %q, %v", got, err)
	}
}

func TestBinaryMatchesProtoMarshal(t *testing.T) {
	c := mustCompile(t, proto3Schema)
	n, err := c.lookup([]int{0})
	if err != nil {
		t.Fatal(err)
	}
	md := n.md
	fields := md.Fields()
	m := dynamicpb.NewMessage(md)
	m.Set(fields.ByName("name"), protoreflect.ValueOfString("Ann"))
	m.Set(fields.ByName("age"), protoreflect.ValueOfInt32(42))
	m.Set(fields.ByName("big"), protoreflect.ValueOfInt64(-1))
	m.Set(fields.ByName("score"), protoreflect.ValueOfFloat64(2.5))
	m.Set(fields.ByName("blob"), protoreflect.ValueOfBytes([]byte{1, 2, 3}))
	m.Set(fields.ByName("color"), protoreflect.ValueOfEnum(2))
	addr := m.Mutable(fields.ByName("address")).Message()
	addr.Set(addr.Descriptor().Fields().ByName("zip_code"), protoreflect.ValueOfString("1000"))
	tags := m.Mutable(fields.ByName("tags")).List()
	tags.Append(protoreflect.ValueOfString("a"))
	tags.Append(protoreflect.ValueOfString("b"))
	counts := m.Mutable(fields.ByName("counts")).Map()
	for i, k := range []string{"z", "a", "m"} {
		counts.Set(protoreflect.ValueOfString(k).MapKey(), protoreflect.ValueOfInt32(int32(i)))
	}
	m.Set(fields.ByName("email"), protoreflect.ValueOfString("a@b"))
	ts := m.Mutable(fields.ByName("created_at")).Message()
	ts.Set(ts.Descriptor().Fields().ByName("seconds"), protoreflect.ValueOfInt64(1704164645))
	ts.Set(ts.Descriptor().Fields().ByName("nanos"), protoreflect.ValueOfInt32(5e8))

	want, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	js := `{"name":"Ann","age":42,"big":"-1","score":2.5,"blob":"AQID","color":"GREEN","address":{"zipCode":"1000"},
		"tags":["a","b"],"counts":{"z":0,"a":1,"m":2},"email":"a@b","createdAt":"2024-01-02T03:04:05.5Z"}`
	for range 3 { // deterministic despite map iteration order
		if got := toBinary(t, c, nil, js); !bytes.Equal(got, want) {
			t.Fatalf("AppendBinary:\n got %x\nwant %x", got, want)
		}
	}
	// And the Timestamp is the real well-known type.
	var tsMsg timestamppb.Timestamp
	tsBin, _ := proto.Marshal(ts.Interface())
	if err := proto.Unmarshal(tsBin, &tsMsg); err != nil || !tsMsg.AsTime().Equal(time.Date(2024, 1, 2, 3, 4, 5, 5e8, time.UTC)) {
		t.Fatalf("timestamp: %v %v", tsMsg.AsTime(), err)
	}
	// Binary produced elsewhere (proto.Marshal) renders as expected.
	got := toJSON(t, c, []int{0}, want)
	const wantJSON = `{"name":"Ann","age":42,"big":"-1","ubig":"0","score":2.5,"ratio":0,"active":false,"blob":"AQID","color":"GREEN","address":{"street":"","zipCode":"1000"},"tags":["a","b"],"past":[],"counts":{"a":1,"m":2,"z":0},"byId":{},"email":"a@b","createdAt":"2024-01-02T03:04:05.500Z","zig":0,"fx":"0"}`
	if got != wantJSON {
		t.Fatalf("AppendJSON:\n got %s\nwant %s", got, wantJSON)
	}
}

func TestIndex(t *testing.T) {
	c3 := mustCompile(t, proto3Schema)
	c2 := mustCompile(t, proto2Schema)
	if got := c3.DefaultIndex(); !slices.Equal(got, []int{0}) {
		t.Errorf("DefaultIndex = %v", got)
	}
	tests := []struct {
		c    *Codec
		name string
		want []int
	}{
		{c3, "test.v1.Person", []int{0}},
		{c3, ".test.v1.Person", []int{0}},
		{c3, "test.v1.Person.Note", []int{0, 0}}, // map entries are not counted
		{c3, "test.v1.Person.Note.Deep", []int{0, 0, 0}},
		{c3, "test.v1.Address", []int{1}},
		{c2, "p2.Rec", []int{0}},
		{c2, "p2.Rec.Sub", []int{0, 0}}, // the group message G is not counted
	}
	for _, tt := range tests {
		got, err := tt.c.Index(tt.name)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("Index(%q) = %v, %v; want %v", tt.name, got, err, tt.want)
		}
		n, err := tt.c.lookup(got)
		if err != nil || string(n.md.FullName()) != strings.TrimPrefix(tt.name, ".") {
			t.Errorf("lookup(%v) = %v, %v", got, n, err)
		}
	}
	for _, name := range []string{"test.v1.Person.CountsEntry", "test.v1.Color", "Person", "", "p2.Rec.G"} {
		c := c3
		if strings.HasPrefix(name, "p2") {
			c = c2
		}
		if _, err := c.Index(name); err == nil || err.Error() != `no message "`+name+`" in schema` {
			t.Errorf("Index(%q) error = %v", name, err)
		}
	}
	// The returned slices are copies.
	p, _ := c3.Index("test.v1.Address")
	p[0] = 9
	if p2, _ := c3.Index("test.v1.Address"); p2[0] != 1 {
		t.Error("Index returned shared slice")
	}
}

func TestErrors(t *testing.T) {
	c3 := mustCompile(t, proto3Schema)
	c2 := mustCompile(t, proto2Schema)
	long := strings.Repeat("x", 200)
	tests := []struct {
		c     *Codec
		index []int
		in    string
		err   string
	}{
		{c3, nil, `{"nope":1}`, `field "nope": unknown field`},
		{c3, nil, `{"name":"a",
  "address":{"street":"s","floor":2}}`, `field "address.floor": unknown field`},
		{c3, nil, `{"age":"x"}`, `field "age": invalid value for int32 field: "x"`},
		{c3, nil, `{"age":1.5}`, `field "age": invalid value for int32 field: 1.5`},
		{c3, nil, `{"age":"` + long + `"}`, `field "age": invalid value for int32 field: "` + strings.Repeat("x", 39) + `...`},
		{c3, nil, `{"age":` + long + `}`, `field "age": invalid value ` + strings.Repeat("x", 32)}, // protojson quotes 32 bytes
		{c3, nil, `{"address":"` + long + `"}`, `field "address": unexpected token "` + strings.Repeat("x", 39) + `...`},
		{c3, nil, `{"name":5}`, `field "name": invalid value for string field: 5`},
		{c3, nil, `{"address":{"zipCode":5}}`, `field "address.zipCode": invalid value for string field: 5`},
		{c3, nil, `{"past":[{},{"street":true}]}`, `field "past[1].street": invalid value for string field: true`},
		{c3, nil, `{"counts":{"a":"x"}}`, `field "counts.a": invalid value for int32 field: "x"`},
		{c3, nil, `{"byId":{"k":{}}}`, `field "byId.k": invalid value for int32 key: "k"`},
		{c3, nil, `{"color":"BLUE"}`, `field "color": invalid value for enum field: "BLUE"`},
		{c3, nil, `{"email":"a","phone":"b"}`, `field "phone": oneof test.v1.Person.contact is already set`},
		{c3, nil, `{"name":"a","name":"b"}`, `field "name": duplicate field`},
		{c3, []int{1}, `{"zipCode":"a","zip_code":"b"}`, `field "zip_code": duplicate field`},
		{c3, nil, `{"address":5}`, `field "address": unexpected token 5`},
		{c3, nil, `{"createdAt":"yesterday"}`, `field "createdAt": invalid google.protobuf.Timestamp value "yesterday"`},
		{c3, nil, `{"name":}`, `field "name": unexpected token }`},
		{c3, nil, `{"name":"é","nöpe\n":1}`, `field "nöpe\n": unknown field`},
		{c3, nil, `[1]`, `syntax error at line 1:1: unexpected token [`},
		{c3, nil, `{"name":"a"} {}`, `syntax error at line 1:14: unexpected token {`},
		{c3, nil, ``, `unexpected end of JSON input`},
		{c3, nil, `{"name":"a"`, `unexpected end of JSON input`},
		{c2, nil, `{}`, `required field p2.Rec.id not set`},
		{c2, nil, `{"id":1,"[p2.ext]":1}`, `field "[p2.ext]": unknown field`},
		{c3, []int{2}, `{}`, `invalid message index [2]`},
		{c3, []int{0, 1}, `{}`, `invalid message index [0, 1]`},
		{c3, []int{0, 0, 0, 0}, `{}`, `invalid message index [0, 0, 0, 0]`},
		{c3, []int{-1}, `{}`, `invalid message index [-1]`},
	}
	for _, tt := range tests {
		_, err := tt.c.AppendBinary(nil, tt.index, []byte(tt.in))
		if err == nil || err.Error() != tt.err {
			t.Errorf("AppendBinary(%v, %.60q)\n got: %v\nwant: %s", tt.index, tt.in, err, tt.err)
		}
	}

	binTests := []struct {
		c     *Codec
		index []int
		in    []byte
		err   string
	}{
		{c3, nil, []byte{0xff}, `invalid protobuf binary for test.v1.Person: cannot parse invalid wire-format data`},
		{c3, nil, []byte{0x0a, 0x02, 0xff, 0xfe}, `invalid protobuf binary for test.v1.Person: field test.v1.Person.name contains invalid UTF-8`},
		{c2, nil, []byte{0x0a, 0x00}, `invalid protobuf binary for p2.Rec: required field p2.Rec.id not set`},
		{c3, []int{3}, nil, `invalid message index [3]`},
		// A map entry whose key repeats with a wrong wire type makes
		// proto.Unmarshal panic on dynamic messages (found by fuzzing).
		{c3, nil, []byte("j\x05\n\x010\b0"), `invalid protobuf binary for test.v1.Person: cannot parse invalid wire-format data`},
	}
	for _, tt := range binTests {
		_, err := tt.c.AppendJSON(nil, tt.index, tt.in)
		if err == nil || err.Error() != tt.err {
			t.Errorf("AppendJSON(%v, %x)\n got: %v\nwant: %s", tt.index, tt.in, err, tt.err)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct{ schema, err string }{
		{`syntax = "proto3";
message A {
  int32 x = 1
}`, `protobuf: schema.proto:4:1: syntax error: expecting ';'`},
		{`syntax = "proto3";
message A { Missing m = 1; }`, `protobuf: schema.proto:2:13: field A.m: unknown type Missing`},
		{`syntax = "proto3";
import "other.proto";
message A {}`, `protobuf: schema.proto:2:8: could not resolve path "other.proto": file does not exist`},
		{`syntax = "proto3";
enum E { E0 = 0; }`, `protobuf: schema defines no message`},
		{``, `protobuf: schema defines no message`},
	}
	for _, tt := range tests {
		_, err := Compile(tt.schema)
		if err == nil || err.Error() != tt.err {
			t.Errorf("Compile(%.40q)\n got: %v\nwant: %s", tt.schema, err, tt.err)
		}
	}
	// Well-known imports work.
	mustCompile(t, `syntax = "proto3";
import "google/protobuf/duration.proto";
import "google/protobuf/struct.proto";
import "google/protobuf/wrappers.proto";
import "google/protobuf/any.proto";
message W {
  google.protobuf.Duration d = 1;
  google.protobuf.Struct s = 2;
  google.protobuf.Int64Value i = 3;
  google.protobuf.Any a = 4;
}`)
}

func TestWellKnownTypes(t *testing.T) {
	c := mustCompile(t, `syntax = "proto3";
package w;
import "google/protobuf/duration.proto";
import "google/protobuf/struct.proto";
import "google/protobuf/wrappers.proto";
import "google/protobuf/any.proto";
message W {
  google.protobuf.Duration d = 1;
  google.protobuf.Struct s = 2;
  google.protobuf.Int64Value i = 3;
  google.protobuf.Any a = 4;
  google.protobuf.Value v = 5;
}
message Other { string x = 1; }`)
	in := `{"d":"1.5s","s":{"k":[1,"two",null,true,{"z":{}}]},"i":"5","a":{"@type":"type.googleapis.com/w.Other","x":"y"},"v":null}`
	want := `{"d":"1.500s","s":{"k":[1,"two",null,true,{"z":{}}]},"i":"5","a":{"@type":"type.googleapis.com/w.Other","x":"y"},"v":null}`
	if got := toJSON(t, c, nil, toBinary(t, c, nil, in)); got != want {
		t.Errorf("well-known types:\n got: %s\nwant: %s", got, want)
	}
	// Any is resolved against the schema only.
	_, err := c.AppendBinary(nil, nil, []byte(`{"a":{"@type":"type.googleapis.com/google.protobuf.Timestamp","value":"2024-01-01T00:00:00Z"}}`))
	if err == nil || err.Error() != `field "a.@type": unable to resolve "type.googleapis.com/google.protobuf.Timestamp": "not found"` {
		t.Errorf("Any with foreign type: %v", err)
	}
}

func TestConcurrent(t *testing.T) {
	c := mustCompile(t, proto2Schema)
	bin := toBinary(t, c, nil, `{"id":1,"subs":{"a":{},"b":{"flag":true}}}`)
	want := toJSON(t, c, nil, bin)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				if got := toJSON(t, c, nil, bin); got != want {
					t.Errorf("concurrent AppendJSON: %s", got)
					return
				}
				toBinary(t, c, nil, want)
			}
		}()
	}
	wg.Wait()
}

func TestCompact(t *testing.T) {
	in := "xx{ \"a b\" : [1, 2],\n\t\"c\\\" d\": \"\\\\\" }"
	if got := string(compact([]byte(in), 2)); got != `xx{"a b":[1,2],"c\" d":"\\"}` {
		t.Errorf("compact = %s", got)
	}
}

func FuzzAppendJSON(f *testing.F) {
	c3 := mustCompile(f, proto3Schema)
	c2 := mustCompile(f, proto2Schema)
	f.Add([]byte{}, false)
	f.Add(toBinary(f, c3, nil, `{"name":"Ann","past":[{}],"counts":{"a":1},"byId":{"1":{}},"createdAt":"2024-01-01T00:00:00Z","note":{"deep":{}}}`), false)
	f.Add(toBinary(f, c2, nil, `{"id":1,"g":{"x":1},"subs":{"a":{}}}`), true)
	f.Fuzz(func(t *testing.T, bin []byte, p2 bool) {
		c := c3
		if p2 {
			c = c2
		}
		out, err := c.AppendJSON(nil, nil, bin)
		if err != nil {
			if msg := err.Error(); len(msg) > 300 || strings.ContainsAny(msg, "\n\r") {
				t.Fatalf("bad message %q", msg)
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("invalid JSON %s", out)
		}
		// What was printed parses back.
		if _, err := c.AppendBinary(nil, nil, out); err != nil {
			t.Fatalf("AppendBinary(%s): %v", out, err)
		}
	})
}

func FuzzAppendBinary(f *testing.F) {
	c3 := mustCompile(f, proto3Schema)
	c2 := mustCompile(f, proto2Schema)
	for _, s := range []string{
		`{}`, `{"name":"Ann","age":1,"past":[{"street":"x"}],"counts":{"a":1},"byId":{"1":{}},"createdAt":"2024-01-01T00:00:00Z"}`,
		`{"email":"a","phone":"b"}`, `{"age":"x"}`, `[`, `{"note":{"deep":{"level":"1"}}}`, `{"id":"1","g":{"x":1}}`,
	} {
		f.Add([]byte(s), false)
	}
	f.Add([]byte(`{"id":1,"subs":{"a":{"d":"NaN"}}}`), true)
	f.Fuzz(func(t *testing.T, js []byte, p2 bool) {
		c := c3
		if p2 {
			c = c2
		}
		bin, err := c.AppendBinary(nil, nil, js)
		if err != nil {
			if msg := err.Error(); len(msg) > 300 || strings.ContainsAny(msg, "\n\r") {
				t.Fatalf("bad message %q", msg)
			}
			return
		}
		if _, err := c.AppendJSON(nil, nil, bin); err != nil {
			t.Fatalf("AppendJSON of accepted input %q: %v", js, err)
		}
	})
}

const benchJSON = `{"name":"Ann","age":42,"big":"123456789","score":1.5,"active":true,"color":"RED",
"address":{"street":"Main","zipCode":"1000"},"tags":["a","b","c"],"past":[{"street":"Old"}],
"counts":{"x":1,"y":2},"email":"ann@example.com","createdAt":"2024-01-02T03:04:05Z"}`

func BenchmarkAppendBinary(b *testing.B) {
	c := mustCompile(b, proto3Schema)
	in := []byte(benchJSON)
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		var err error
		buf, err = c.AppendBinary(buf[:0], nil, in)
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendJSON(b *testing.B) {
	for _, bc := range []struct{ name, schema, in string }{
		{"proto3", proto3Schema, benchJSON},
		{"proto2", proto2Schema, `{"id":1,"subs":{"a":{},"b":{"flag":true}},"xs":[1,2,3]}`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := mustCompile(b, bc.schema)
			bin := toBinary(b, c, nil, bc.in)
			var buf []byte
			b.ReportAllocs()
			for b.Loop() {
				var err error
				buf, err = c.AppendJSON(buf[:0], nil, bin)
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestMessageName(t *testing.T) {
	c, err := Compile(`syntax = "proto3"; package p; message A { message B {} } message C {}`)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		index []int
		want  string
	}{{nil, "p.A"}, {[]int{0}, "p.A"}, {[]int{0, 0}, "p.A.B"}, {[]int{1}, "p.C"}} {
		if got, err := c.MessageName(tc.index); err != nil || got != tc.want {
			t.Errorf("MessageName(%v) = %q, %v; want %q", tc.index, got, err, tc.want)
		}
	}
	if _, err := c.MessageName([]int{5}); err == nil {
		t.Error("MessageName of a bad index succeeded")
	}
}
