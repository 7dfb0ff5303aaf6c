package consumer

import (
	"maps"
	"testing"
)

func TestParsePositions(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want map[int32]int64
	}{
		{"0:15,1:7", map[int32]int64{0: 15, 1: 7}},
		{"3:0", map[int32]int64{3: 0}},
		{"", nil},
		{"0:1,0:2", nil},
		{"0:-1", nil},
		{"-1:0", nil},
		{"0:1,", nil},
		{"0", nil},
		{"a:b", nil},
		{"2147483648:0", nil},
	} {
		got, err := ParsePositions(tc.in)
		if (err != nil) != (tc.want == nil) || !maps.Equal(got, tc.want) {
			t.Errorf("%q: %v %v, want %v", tc.in, got, err, tc.want)
		}
	}
}

// FuzzParsePositions: whatever parses renders back to an equal set of
// positions (AppendPositions and ParsePositions round-trip), and nothing
// panics.
func FuzzParsePositions(f *testing.F) {
	f.Add("0:15,1:7")
	f.Add("0:1,0:2")
	f.Fuzz(func(t *testing.T, in string) {
		got, err := ParsePositions(in)
		if err != nil {
			return
		}
		tail := &Tail{next: got}
		again, err := ParsePositions(string(tail.AppendPositions(nil)))
		if err != nil || !maps.Equal(again, got) {
			t.Fatalf("%q → %v → %v (%v)", in, got, again, err)
		}
	})
}
