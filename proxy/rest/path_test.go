package rest

import (
	"net/url"
	"strings"
	"testing"
)

func TestCanonicalPath(t *testing.T) {
	tests := []struct {
		raw, want string // want "": refused
	}{
		{"/", "/"},
		{"/topics", "/topics"},
		{"/topics/", "/topics/"},
		{"/%74opics/t", "/topics/t"},
		{"/topics/a.b_c-d", "/topics/a.b_c-d"},
		{"/topics/%41%2d", "/topics/A-"},
		{"/consumers/g%20x/instances/i", "/consumers/g%20x/instances/i"},
		{"/consumers/g x", "/consumers/g%20x"},
		{"/consumers/%25", "/consumers/%25"},
		{"/consumers/%3f%23", "/consumers/%3F%23"},
		{"/consumers/%c3%a9", "/consumers/%C3%A9"},
		{"/v3/clusters/c:1@x", "/v3/clusters/c:1@x"},
		// Ambiguous: refused.
		{"", ""},
		{"topics", ""},
		{"//topics", ""},
		{"/topics//t", ""},
		{"/topics/t//", ""},
		{"/v3/../topics", ""},
		{"/v3/./topics", ""},
		{"/topics/..", ""},
		{"/topics/.", ""},
		{"/consumers/..%2F-%2Fhealthy", ""},
		{"/consumers/a%2fb", ""},
		{"/consumers/%2e%2e", ""},
		{"/consumers/%2E", ""},
		{"/consumers/.%2e", ""},
		{"/consumers/%2e./x", ""},
		{"/consumers/a%5cb", ""},
		{"/consumers/a\\b", ""},
		{"/consumers/a%00", ""},
		{"/consumers/a%0a", ""},
		{"/consumers/a%7F", ""},
		{"/consumers/%", ""},
		{"/consumers/%4", ""},
		{"/consumers/%zz", ""},
		{"/consumers/%ff", ""},
		{"/consumers/\x01", ""},
	}
	for _, tt := range tests {
		got, ok := CanonicalPath(nil, []byte(tt.raw))
		if tt.want == "" {
			if ok {
				t.Errorf("%q: canonical %q, want refused", tt.raw, got)
			}
			continue
		}
		if !ok || string(got) != tt.want {
			t.Errorf("%q: %q %v, want %q", tt.raw, got, ok, tt.want)
		}
	}
}

// FuzzCanonicalPath: a canonical path is its own canonical form, decodes
// to as many segments as it has, has no dot or empty segment but a
// trailing one, and never holds an escaped '/'.
func FuzzCanonicalPath(f *testing.F) {
	for _, s := range []string{"/", "/topics/t", "/consumers/..%2F-%2Fhealthy", "/%74opics", "/a%25b/c%2e", "/x y/%c3%a9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		canon, ok := CanonicalPath(nil, []byte(raw))
		if !ok {
			return
		}
		again, ok := CanonicalPath(nil, canon)
		if !ok || string(again) != string(canon) {
			t.Fatalf("%q → %q → %q %v", raw, canon, again, ok)
		}
		segs := strings.Split(string(canon)[1:], "/")
		for i, s := range segs {
			d, err := url.PathUnescape(s)
			if err != nil || strings.Contains(d, "/") || d == "." || d == ".." || (d == "" && i != len(segs)-1) {
				t.Fatalf("%q → %q: segment %q decodes to %q (%v)", raw, canon, s, d, err)
			}
		}
	})
}
