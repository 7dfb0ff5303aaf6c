package v3

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/krest-dev/krest/proxy/config"
)

// TestBuildAllocs bounds the allocations of building one streamed binary
// record: the decoder's own, the key and value entities and their type
// strings; the record, its buffer and the result are reused.
// A numeric partition_id and timestamp cost nothing more.
func TestBuildAllocs(t *testing.T) {
	value := `"value":{"type":"BINARY","data":"` + string(make64(1024)) + `"}`
	for _, raw := range []string{
		`{"key":{"type":"BINARY","data":"a2V5"},` + value + `}`,
		`{"partition_id":0,"timestamp":1700000000.5,"key":{"type":"BINARY","data":"a2V5"},` + value + `}`,
	} {
		b := builder{a: &API{Config: &config.Config{}}, topic: "t"}
		in := make([]byte, len(raw))
		var r kgo.Record
		var key, value side
		buf := make([]byte, 0, 4096)
		var out []byte
		sl := &slot{}
		allocs := testing.AllocsPerRun(1000, func() {
			copy(in, raw)
			var err error
			if buf, err = b.build(in, false, &r, buf[:0], &key, &value); err != nil {
				t.Fatal(err)
			}
			sl.rec, sl.key, sl.value = r, key, value
			out = appendResult(out[:0], "cluster", sl)
		})
		t.Logf("%.1f allocations per record of %.40s", allocs, raw)
		if allocs > 8 {
			t.Errorf("%.1f allocations per record of %.40s, budget 8", allocs, raw)
		}
	}
}

func make64(n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = 'A'
	}
	return out
}
