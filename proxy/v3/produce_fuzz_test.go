package v3

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/krest-dev/krest/proxy/config"
	"github.com/krest-dev/krest/proxy/produce"
	"github.com/krest-dev/krest/proxy/rest"
)

// splitObjects splits buf with the scanner, feeding it in pieces of n
// bytes, as reads would.
func splitObjects(buf []byte, n int) (objs [][]byte, bad bool) {
	sc := newObjectScanner()
	var have []byte
	for off := 0; off < len(buf) || off == 0; off += n {
		have = append(have, buf[off:min(off+n, len(buf))]...)
		for {
			start, end, st := sc.next(have)
			if st == scanMore {
				break
			}
			if st == scanBad {
				return objs, true
			}
			objs = append(objs, append([]byte(nil), have[start:end]...))
		}
		if n <= 0 || off+n >= len(buf) {
			break
		}
	}
	return objs, false
}

func TestObjectScanner(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		bad  bool
	}{
		{`{"a":1}{"b":"}"}` + "\n" + ` {"c":[{"d":"\"{"}]}`, []string{`{"a":1}`, `{"b":"}"}`, `{"c":[{"d":"\"{"}]}`}, false},
		{`{"a":1} x {"b":2}`, []string{`{"a":1}`}, true},
		{`{"a":1}{"b"`, []string{`{"a":1}`}, false},
		{`[1]`, nil, true},
		{"", nil, false},
	} {
		for _, n := range []int{1, 2, 3, 1000} {
			got, bad := splitObjects([]byte(tc.in), n)
			var gs []string
			for _, g := range got {
				gs = append(gs, string(g))
			}
			if bad != tc.bad || len(gs) != len(tc.want) {
				t.Fatalf("%q by %d: %q bad=%v, want %q bad=%v", tc.in, n, gs, bad, tc.want, tc.bad)
			}
			for i := range gs {
				if gs[i] != tc.want[i] {
					t.Fatalf("%q by %d: %q, want %q", tc.in, n, gs, tc.want)
				}
			}
		}
	}
}

// FuzzObjectScanner checks that, for concatenated valid JSON objects, the
// scanner finds exactly what encoding/json's decoder finds, however the
// bytes arrive, and that it never panics on anything.
func FuzzObjectScanner(f *testing.F) {
	f.Add([]byte(`{"a":1}{"b":"}"}`), 3)
	f.Add([]byte(`{"k":{"type":"BINARY","data":"Zm9v"}} {"x":"\\\""}`), 1)
	f.Fuzz(func(t *testing.T, in []byte, n int) {
		if n <= 0 || n > 64 {
			n = 7
		}
		got, bad := splitObjects(in, n)
		d := json.NewDecoder(bytes.NewReader(in))
		var want [][]byte
		for {
			var v json.RawMessage
			if err := d.Decode(&v); err != nil {
				break
			}
			if len(v) == 0 || v[0] != '{' {
				return // the scanner only takes objects
			}
			want = append(want, v)
		}
		if d.More() || d.InputOffset() != int64(len(bytes.TrimRight(in, " \t\r\n"))) {
			return // not a clean sequence of objects
		}
		if bad || len(got) != len(want) {
			t.Fatalf("%q: scanner %d objects (bad=%v), decoder %d", in, len(got), bad, len(want))
		}
		for i := range got {
			if !bytes.Equal(got[i], want[i]) {
				t.Fatalf("%q: object %d %q, decoder %q", in, i, got[i], want[i])
			}
		}
	})
}

// FuzzBuildRecord decodes arbitrary records as a stream does: an error or
// a record, never a panic, and a record's bytes all within its buffer.
func FuzzBuildRecord(f *testing.F) {
	f.Add([]byte(`{"key":{"type":"BINARY","data":"Zm9vYmFy"},"value":{"type":"JSON","data":{"foo":"bar"}},"headers":[{"name":"h","value":"aGk="}],"timestamp":"2021-02-05T19:14:42Z","partition_id":1}`))
	f.Add([]byte(`{"value":{"type":"STRING","data":"x"}}`))
	f.Add([]byte(`{"value":{"schema_id":1,"data":{}}}`))
	f.Add([]byte(`{"id":"a","value":null}`))
	b := builder{a: &API{Config: &config.Config{}}, topic: "t"}
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, batch := range []bool{false, true} {
			var key, value side
			in := append([]byte(nil), raw...)
			out := produce.GetBatch()
			arena := len(out.Arena.B)
			_, err := b.build(in, batch, out, &key, &value)
			if err != nil {
				if len(out.Records) != 0 || len(out.Arena.B) != arena {
					t.Fatalf("%q: a refused record left %d records, %d bytes", raw, len(out.Records), len(out.Arena.B)-arena)
				}
				produce.PutBatch(out)
				continue
			}
			out.Seal()
			r := &out.Records[0]
			buf := out.Arena.B
			for _, p := range [][]byte{r.Key, r.Value} {
				if p != nil && cap(buf) > 0 && !within(p, buf) {
					t.Fatalf("%q: a record field is outside its buffer", raw)
				}
			}
			if r.Topic != "t" {
				t.Fatalf("topic %q", r.Topic)
			}
			produce.PutBatch(out)
		}
	})
}

func within(p, buf []byte) bool {
	if len(p) == 0 {
		return true
	}
	full := buf[:cap(buf)]
	for i := range full {
		if &full[i] == &p[0] {
			return i+len(p) <= len(full)
		}
	}
	return false
}

func TestAppendInstant(t *testing.T) {
	for _, tc := range []struct {
		t    time.Time
		want string
	}{
		{time.Date(2022, 4, 22, 14, 48, 47, 650e6, time.UTC), "2022-04-22T14:48:47.650Z"},
		{time.Date(2021, 2, 5, 19, 14, 42, 0, time.UTC), "2021-02-05T19:14:42Z"},
		{time.Date(2021, 2, 5, 19, 14, 42, 1000, time.FixedZone("x", 3600)), "2021-02-05T18:14:42.000001Z"},
		{time.Date(2021, 2, 5, 19, 14, 42, 7, time.UTC), "2021-02-05T19:14:42.000000007Z"},
	} {
		if got := string(appendInstant(nil, tc.t)); got != tc.want {
			t.Errorf("%v: %s, want %s", tc.t, got, tc.want)
		}
	}
}

// FuzzFillFast: the allocation-free decode of a record (fillFast) accepts
// only what the strict decoder accepts, and reads it the same; what it
// does not take is left to the strict decoder (fill).
func FuzzFillFast(f *testing.F) {
	f.Add([]byte(`{"key":{"type":"BINARY","data":"Zm9vYmFy"},"value":{"type":"JSON","data":{"foo":"bar"}},"headers":[{"name":"h","value":"aGk="}],"timestamp":"2021-02-05T19:14:42Z","partition_id":1}`))
	f.Add([]byte(`{"value":{"type":"STRING","data":"x"}}`))
	f.Add([]byte(`{"value":{"schema_id":1,"subject":"s","subject_name_strategy":"TOPIC_NAME","data":{}}}`))
	f.Add([]byte(`{"id":"a","value":null,"key":{}}`))
	f.Add([]byte(`{"value":{"type":"BIN\u0041RY","data":"eA=="}}`))
	f.Add([]byte(`{"value":{"type":5}}`))
	f.Add([]byte(`{"headers":[{"name":null},{"name":"\u00e9"}],"key":[]}`))
	b := builder{a: &API{Config: &config.Config{}}, topic: "t"}
	f.Fuzz(func(t *testing.T, raw []byte) { matchesStrict(t, &b, "fillFast", b.fillFast, raw) })
}

// matchesStrict fails t if fill (a decode into b.rec named name) accepts
// raw where the strict decoder refuses it, or reads it otherwise; what
// fill refuses is left to the decoders behind it.
func matchesStrict(t *testing.T, b *builder, name string, fill func([]byte) error, raw []byte) {
	in := append([]byte(nil), raw...)
	var strict produceRecord
	strictErr := rest.DecodeJSONInPlace(in, &strict)
	if fill(in) != nil {
		return
	}
	if strictErr != nil {
		t.Fatalf("%q: %s accepted what the strict decoder refuses: %v", raw, name, strictErr)
	}
	if diff := compareRecords(&b.rec, &strict); diff != "" {
		t.Fatalf("%q: %s read %s", raw, name, diff)
	}
}

// compareRecords names the first difference between two decoded records.
func compareRecords(got, want *produceRecord) string {
	if string(got.ID) != string(want.ID) || string(got.PartitionID) != string(want.PartitionID) || string(got.Timestamp) != string(want.Timestamp) {
		return "another id, partition_id or timestamp"
	}
	if len(got.Headers) != len(want.Headers) {
		return "another number of headers"
	}
	for i := range got.Headers {
		if !sameString(got.Headers[i].Name, want.Headers[i].Name) || string(got.Headers[i].Value) != string(want.Headers[i].Value) {
			return fmt.Sprintf("another header %d", i)
		}
	}
	for _, p := range [][2]*produceData{{got.Key, want.Key}, {got.Value, want.Value}} {
		g, w := p[0], p[1]
		if (g == nil) != (w == nil) {
			return "another key or value presence"
		}
		if g == nil {
			continue
		}
		if !sameString(g.Type, w.Type) || !sameString(g.Subject, w.Subject) || !sameString(g.SubjectNameStrategy, w.SubjectNameStrategy) || !sameString(g.Schema, w.Schema) ||
			string(g.SchemaID) != string(w.SchemaID) || string(g.SchemaVersion) != string(w.SchemaVersion) || string(g.Data) != string(w.Data) {
			return "another key or value"
		}
	}
	return ""
}

func sameString(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// FuzzFillHand: the hand decode of a record (fillHand) accepts only what
// the strict decoder accepts, and reads it the same; what it does not take
// is left to fillFast.
func FuzzFillHand(f *testing.F) {
	for _, seed := range []string{
		`{"key":{"type":"BINARY","data":"Zm9vYmFy"},"value":{"type":"BINARY","data":null},"headers":[{"name":"h","value":"aGk="},{"name":null,"value":null},{}],"timestamp":"2021-02-05T19:14:42Z","partition_id":1}`,
		` { "id" : -12 , "value" : { "schema_id" : 0 , "schema_version" : null , "subject" : "s" , "subject_name_strategy" : "TOPIC_NAME" , "schema" : "\"x" , "data" : "é" } } `,
		`{"value":{"type":"STRING","data":"` + strings.Repeat("abcdefgh", 9) + `é"}}`,
		`{"value":{"type":"BINARY","data":"` + strings.Repeat("abcdefgh", 9) + "\x01" + `"}}`,
		`{"value":{"type":"BINARY","data":"` + strings.Repeat("abcdefgh", 9) + `\/"}}`,
		`{"value":{"type":"BINARY","data":"` + strings.Repeat("abcdefgh", 6) + "\x1f" + strings.Repeat("abcdefgh", 6) + `"}}`,
		`{"value":{"type":"BINARY","data":"ab` + "\x1f" + strings.Repeat("abcdefgh", 6) + `"}}`,
		`{"value":{"type":"BINARY","data":"ab\\"` + strings.Repeat("abcdefgh", 6) + `"}}`,
		`{"value":{"type":"STRING","data":"` + strings.Repeat("abcdefgh", 6) + "\xc3\xa9" + strings.Repeat("abcdefgh", 6) + `"}}`,
		`{"value":{"type":"STRING","data":"` + strings.Repeat("abcdefgh", 6) + "\xc3" + strings.Repeat("abcdefgh", 6) + `"}}`,
		`{"value":{},"key":null,"headers":null,"id":"x","timestamp":1612552482000}`,
		`{"value":null,"value":null}`,
		`{"partition_id":01}`,
		`{"partition_id":-}`,
		`{"partition_id":1.5}`,
		`{"Value":null}`,
		`{"value":{"type":"BINARY","data":"x"}}x`,
		`{"headers":[{"name":"a"},]}`,
		`{"value":nul}`,
		`{"key":{"type":"\xff"}}`,
		`{"id":true}`,
	} {
		f.Add([]byte(seed))
	}
	b := builder{a: &API{Config: &config.Config{}}, topic: "t"}
	f.Fuzz(func(t *testing.T, raw []byte) { matchesStrict(t, &b, "fillHand", b.fillHand, raw) })
}

// TestFillHandTakes: the plain records a stream mostly carries are read by
// hand, not left to the slower decoders.
func TestFillHandTakes(t *testing.T) {
	b := builder{a: &API{Config: &config.Config{}}, topic: "t"}
	for _, sh := range streamShapes {
		err := b.fillHand([]byte(sh.record))
		if sh.name == "json" {
			if err == nil {
				t.Errorf("%s: taken by hand", sh.name)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: left to the decoders: %v", sh.name, err)
		}
	}
}
