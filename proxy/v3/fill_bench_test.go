package v3

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/krest-dev/krest/proxy/config"
)

// BenchmarkFill is the decode of one streamed record (fill: the fast path,
// the strict decoder behind it) by shape; the 1 KiB binary value is bench
// row 6's record.
//
//	go test ./proxy/v3/ -run '^$' -bench BenchmarkFill -benchmem
func BenchmarkFill(b *testing.B) {
	kib := `{"value":{"type":"BINARY","data":"` + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("x", 1024))) + `"}}`
	for _, sh := range append(streamShapes[:len(streamShapes):len(streamShapes)], struct{ name, record string }{"value-1KiB", kib}) {
		bl := &builder{a: &API{Config: &config.Config{}}, topic: "t"}
		raw := []byte(sh.record)
		b.Run(sh.name, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				if err := bl.fill(raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
