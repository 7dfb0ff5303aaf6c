package policy

import (
	"testing"
	"time"
)

func TestProduceLimits(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  ProduceConfig
		// records of size bytes sent to cluster at once; want allowed
		cluster []string
		size    int
		want    int
	}{
		{"off", ProduceConfig{}, []string{"a", "a", "a"}, 10, 3},
		{"global count", ProduceConfig{Enabled: true, Requests: 100, RequestsGlobal: 2, Bytes: 1e6, BytesGlobal: 1e6, Expiry: time.Hour}, []string{"a", "b", "c"}, 10, 2},
		{"per cluster count", ProduceConfig{Enabled: true, Requests: 1, RequestsGlobal: 100, Bytes: 1e6, BytesGlobal: 1e6, Expiry: time.Hour}, []string{"a", "a", "b"}, 10, 2},
		{"global bytes", ProduceConfig{Enabled: true, Requests: 100, RequestsGlobal: 100, Bytes: 1e6, BytesGlobal: 25, Expiry: time.Hour}, []string{"a", "b", "c"}, 10, 2},
		{"per cluster bytes", ProduceConfig{Enabled: true, Requests: 100, RequestsGlobal: 100, Bytes: 15, BytesGlobal: 1e6, Expiry: time.Hour}, []string{"a", "a", "b"}, 10, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := NewProduceLimits(tc.cfg)
			got := 0
			for _, c := range tc.cluster {
				if l.Allow(c, tc.size) {
					got++
				}
			}
			if got != tc.want {
				t.Errorf("%d allowed, want %d", got, tc.want)
			}
		})
	}
	var nilLimits *ProduceLimits
	if !nilLimits.Allow("a", 1) {
		t.Error("nil limits refused a record")
	}
}
