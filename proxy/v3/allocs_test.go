package v3

import (
	"testing"

	"github.com/krest-dev/krest/proxy/config"
)

// TestBuildAllocs: building one streamed binary record and rendering its
// result allocates nothing (the builder's decoder, raw forms and entities,
// the chunk's batch and the result are reused). A numeric partition_id and
// timestamp cost nothing more.
func TestBuildAllocs(t *testing.T) {
	value := `"value":{"type":"BINARY","data":"` + string(make64(1024)) + `"}`
	for _, raw := range []string{
		`{"key":{"type":"BINARY","data":"a2V5"},` + value + `}`,
		`{"partition_id":0,"timestamp":1700000000.5,"key":{"type":"BINARY","data":"a2V5"},` + value + `}`,
	} {
		b := builder{a: &API{Config: &config.Config{}}, topic: "t"}
		in := make([]byte, len(raw))
		c := getChunk()
		var out []byte
		allocs := testing.AllocsPerRun(1000, func() {
			copy(in, raw)
			c.b.Reset()
			c.entries = c.entries[:0]
			var e entry
			if _, err := b.build(in, false, c.b, &e.key, &e.value); err != nil {
				t.Fatal(err)
			}
			c.entries = append(c.entries, e)
			c.b.Seal()
			out = appendResult(out[:0], "cluster", c, &c.entries[0])
		})
		putChunk(c)
		t.Logf("%.1f allocations per record of %.40s", allocs, raw)
		if allocs > 0 {
			t.Errorf("%.1f allocations per record of %.40s, budget 0", allocs, raw)
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
