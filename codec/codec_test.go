package codec

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseFormat(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Format
		ok   bool
	}{
		{"binary", Binary, true}, {"BINARY", Binary, true}, {"json", JSON, true}, {"Avro", Avro, true},
		{"jsonschema", JSONSchema, true}, {"protobuf", Protobuf, true}, {"string", 0, false}, {"", 0, false},
	} {
		got, ok := ParseFormat(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseFormat(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
		if ok && !strings.EqualFold(got.String(), tc.in) {
			t.Errorf("%v.String() = %q", got, got.String())
		}
	}
	if !Avro.UsesSchema() || Binary.UsesSchema() || JSON.UsesSchema() {
		t.Error("UsesSchema wrong")
	}
}

func TestAppendBase64Value(t *testing.T) {
	for _, tc := range []struct {
		raw, want, err string
	}{
		{`"a2V5"`, "key", ""},
		{`"Y29uZmx1ZW50"`, "confluent", ""},
		{`"aGk="`, "hi", ""},
		{`"aGk"`, "hi", ""}, // unpadded accepted
		{`""`, "", ""},
		{`"\/w=="`, "\xff", ""}, // JSON-escaped slash
		{`"a\u0047k="`, "hi", ""},
		{`"!!!"`, "", `data="!!!" is not a valid base64 string.`},
		{`"aGk=\n"`, "", `data="aGk=\n" is not a valid base64 string.`},
		{`123`, "", `data=123 is not a base64 string.`},
		{`{"a":1}`, "", `data={"a":1} is not a base64 string.`},
		{`true`, "", `data=true is not a base64 string.`},
	} {
		got, err := AppendBase64Value([]byte("x"), []byte(tc.raw))
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("%s: err = %v, want %q", tc.raw, err, tc.err)
			}
			continue
		}
		if err != nil || string(got) != "x"+tc.want {
			t.Errorf("%s: got %q, %v; want %q", tc.raw, got, err, tc.want)
		}
	}
}

func TestAppendBase64RoundTrip(t *testing.T) {
	for _, s := range []string{"", "a", "ab", "abc", "\x00\xff\x10 binary"} {
		enc := AppendBase64(nil, []byte(s))
		if string(enc) != base64.StdEncoding.EncodeToString([]byte(s)) {
			t.Fatalf("AppendBase64(%q) = %s", s, enc)
		}
		dec, err := AppendBase64Value(nil, append(append([]byte{'"'}, enc...), '"'))
		if err != nil || string(dec) != s {
			t.Fatalf("round trip %q: %q %v", s, dec, err)
		}
	}
}

func TestAppendCompactJSON(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"a": 1, "b" : [1, 2 ,3]}`, `{"a":1,"b":[1,2,3]}`},
		{"\n {\"s\": \"a b\\\" c \"}\t", `{"s":"a b\" c "}`},
		{`"x"`, `"x"`},
		{`12.5e3`, `12.5e3`},
		{`[ ]`, `[]`},
		{`"\\"`, `"\\"`},
	} {
		if got := AppendCompactJSON(nil, []byte(tc.in)); string(got) != tc.want {
			t.Errorf("AppendCompactJSON(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestAppendUnquoteMatchesEncodingJSON(t *testing.T) {
	for _, in := range []string{`"plain"`, `"a\"b\\c\/d"`, `"\b\f\n\r\t"`, `"\u00e9\u4e2d"`, `"\ud83d\ude00"`, `"\ud83d"`, `"\ude00x"`, `"é"`} {
		var want string
		if err := json.Unmarshal([]byte(in), &want); err != nil {
			t.Fatal(err)
		}
		got, err := AppendUnquote(nil, []byte(in))
		if err != nil || string(got) != want {
			t.Errorf("AppendUnquote(%s) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{`"`, `x`, `"\x"`, `"\u12"`, "\"a\x01\"", `"a"b"`} {
		if _, err := AppendUnquote(nil, []byte(bad)); err == nil {
			t.Errorf("AppendUnquote(%q) accepted", bad)
		}
	}
}

// TestAppendQuoteLikeJackson pins the exact escapes: Jackson's short forms,
// \u00XX for other control characters, raw U+FFFD for invalid UTF-8.
func TestAppendQuoteLikeJackson(t *testing.T) {
	got, valid := AppendQuoteBytes([]byte("x"), []byte("a\bb\fc\x01\x7f\"\\/<\xffé"))
	if want := "x\"a\\bb\\fc\\u0001\x7f\\\"\\\\/<\uFFFDé\""; string(got) != want || valid {
		t.Errorf("AppendQuoteBytes = %q, %v; want %q, false", got, valid, want)
	}
	if _, valid := AppendQuoteBytes(nil, []byte("é中😀")); !valid {
		t.Error("valid UTF-8 reported invalid")
	}
}

func TestAppendQuoteMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"plain", "quote\" back\\ slash", "ctl\x00\x1f\n\r\t", "<html>&", "é中😀", "bad\xffutf8"} {
		got := AppendQuote(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("AppendQuote(%q) = %s: invalid JSON: %v", s, got, err)
		}
		if want := strings.ToValidUTF8(s, "\uFFFD"); back != want {
			t.Errorf("AppendQuote(%q) decodes to %q", s, back)
		}
	}
}

func FuzzAppendBase64Value(f *testing.F) {
	for _, s := range []string{`"a2V5"`, `"aGk"`, `"\/w=="`, `123`, `"!!"`, `""`, `"\u0041"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !json.Valid(raw) {
			return // callers pass tokens already validated by the JSON parser
		}
		out, err := AppendBase64Value(nil, raw)
		if err != nil {
			return
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			t.Fatalf("accepted non-string %s", raw)
		}
		if !bytes.Equal(AppendBase64(nil, out), []byte(base64.StdEncoding.EncodeToString(out))) {
			t.Fatal("encode mismatch")
		}
	})
}

func FuzzAppendUnquote(f *testing.F) {
	for _, s := range []string{`"plain"`, `"\ud83d\ude00"`, `"\u12"`, `"a\"b"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, err := AppendUnquote(nil, raw)
		var want string
		jerr := json.Unmarshal(raw, &want)
		isToken := len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"'
		if jerr == nil && isToken {
			if err != nil {
				t.Fatalf("rejected valid string %q: %v", raw, err)
			}
			if utf8.Valid(raw) && string(got) != want {
				t.Fatalf("AppendUnquote(%q) = %q, want %q", raw, got, want)
			}
		}
	})
}

func FuzzAppendCompactJSON(f *testing.F) {
	for _, s := range []string{`{"a": [1, 2]}`, `" a "`, `[ {"k" : "v\" "} ]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !json.Valid(raw) {
			return
		}
		got := AppendCompactJSON(nil, raw)
		var want bytes.Buffer
		if err := json.Compact(&want, raw); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("AppendCompactJSON(%q) = %q, want %q", raw, got, want.Bytes())
		}
	})
}

func TestAppendJSONValue(t *testing.T) {
	if got, err := AppendJSONValue(nil, []byte(`{ "a" : [1, 2] }`)); err != nil || string(got) != `{"a":[1,2]}` {
		t.Errorf("valid value: %q, %v", got, err)
	}
	for _, bad := range []string{`"\å"`, `{"a":}`, `[1,`, `tru`} {
		if _, err := AppendJSONValue(nil, []byte(bad)); err == nil || !strings.Contains(err.Error(), "is not valid JSON") {
			t.Errorf("AppendJSONValue(%q) = %v", bad, err)
		}
	}
}

// stdDecode is appendBase64's contract written with encoding/base64 alone:
// padded standard base64, or unpadded when the length is not a multiple of 4,
// and no skipped line breaks.
func stdDecode(s []byte) ([]byte, bool) {
	enc := base64.StdEncoding
	if len(s)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	out, err := enc.DecodeString(string(s))
	if err != nil || bytes.ContainsAny(s, "\r\n") {
		return nil, false
	}
	return out, true
}

// FuzzBase64MatchesStdlib holds the SIMD encoder and decoder to
// encoding/base64 on any input, long enough for the vector loops or not.
func FuzzBase64MatchesStdlib(f *testing.F) {
	long := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("krest\xff\x00"), 40))
	for _, s := range []string{"", "a2V5", "aGk", "/w==", long, long[:101], long[:60] + "!" + long[61:],
		long[:50] + "\n" + long[51:], long[:200] + "=" + long[201:], long[:len(long)-4] + "AB=="} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		enc := AppendBase64([]byte("prefix"), in)
		if want := "prefix" + base64.StdEncoding.EncodeToString(in); string(enc) != want {
			t.Fatalf("AppendBase64(%q) = %q, want %q", in, enc, want)
		}
		got, ok := appendBase64([]byte("p"), in)
		want, wantOK := stdDecode(in)
		if ok != wantOK || (ok && string(got) != "p"+string(want)) {
			t.Fatalf("appendBase64(%q) = %q, %v; encoding/base64 gives %q, %v", in, got, ok, want, wantOK)
		}
	})
}
