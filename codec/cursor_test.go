package codec

import (
	"encoding/json"
	"testing"
)

func TestCursorRaw(t *testing.T) {
	for _, tc := range []struct {
		in        string
		raw       string // what Raw takes; "" for nothing
		unchecked string // what RawUnchecked takes
	}{
		{` "abc" ,`, `"abc"`, `"abc"`},
		{`""`, `""`, `""`},
		{`null}`, `null`, `null`},
		{`-12,`, `-12`, `-12`},
		{`0`, `0`, `0`},
		{`01`, ``, ``},
		{`-`, ``, ``},
		{`1.5`, `1`, `1`}, // the caller finds the '.' where a ',' or '}' should be
		{`true`, ``, ``},
		{`"a\/b"`, ``, `"a\/b"`},
		{`"a\"b"`, ``, ``},
		{`"ab\\"`, ``, ``}, // may be an escaped quote: left to the decoder
		{"\"a\x01b\"", ``, "\"a\x01b\""},
		{"\"\xff\"", ``, "\"\xff\""},
		{`"é"`, `"é"`, `"é"`},
		{`"abc`, ``, ``},
	} {
		s := Cursor{B: []byte(tc.in)}
		raw, ok := s.Raw()
		if got := string(raw); ok != (tc.raw != "") || ok && got != tc.raw {
			t.Errorf("Raw(%q) = %q, %v; want %q", tc.in, got, ok, tc.raw)
		}
		s = Cursor{B: []byte(tc.in)}
		raw, ok = s.RawUnchecked()
		if got := string(raw); ok != (tc.unchecked != "") || ok && got != tc.unchecked {
			t.Errorf("RawUnchecked(%q) = %q, %v; want %q", tc.in, got, ok, tc.unchecked)
		}
		if s.WS(); ok && s.I != len(tc.in) && tc.in[s.I] != ',' && tc.in[s.I] != '}' && tc.in[s.I] != '.' {
			t.Errorf("RawUnchecked(%q) stopped at %d", tc.in, s.I)
		}
	}
}

// TestCursorObjects walks objects and arrays as the hand decodes do: the
// names and values taken, or the document refused.
func TestCursorObjects(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // the members read, or "refused"
	}{
		{`{}`, ``},
		{` { "a" : 1 , "b" : [ "x" , null ] } `, `a=1 b=["x" null] `},
		{`{"a":1,"a":2}`, `refused`}, // twice
		{`{"c":1}`, `refused`},       // unknown
		{`{"a":1,}`, `refused`},
		{`{"b":[]}`, `b=[] `},
		{`{"b":[,]}`, `refused`},
		{`{"b":["x" "y"]}`, `refused`},
		{`{"a":1} x`, `refused`},
		{`{"a\u0062":1}`, `refused`},
	} {
		s := Cursor{B: []byte(tc.in)}
		got := ""
		ok := s.Next('{') && s.Members(func(name []byte) (uint8, bool) {
			switch string(name) {
			case "a":
				v, ok := s.Raw()
				got += "a=" + string(v) + " "
				return 1, ok
			case "b":
				got += "b=["
				first := true
				ok := s.Next('[') && s.Elements(func() bool {
					v, ok := s.Raw()
					if !first {
						got += " "
					}
					first = false
					got += string(v)
					return ok
				})
				got += "] "
				return 2, ok
			}
			return 0, false
		}) && s.End()
		if !ok {
			got = "refused"
		}
		if got != tc.want {
			t.Errorf("%q: %q, want %q", tc.in, got, tc.want)
		}
		if ok && !json.Valid([]byte(tc.in)) {
			t.Errorf("%q: taken, but it is not JSON", tc.in)
		}
	}
}
