package consumer

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestTake: take moves buffered records to the read while they fit in
// MaxBytes (the first one always), only of the read's topic when it has one,
// and keeps the rest in order.
func TestTake(t *testing.T) {
	t.Parallel()
	rec := func(topic string, off int64, size int) *kgo.Record {
		return &kgo.Record{Topic: topic, Offset: off, Value: make([]byte, size)}
	}
	offsets := func(recs []*kgo.Record) []int64 {
		out := []int64{}
		for _, r := range recs {
			out = append(out, r.Offset)
		}
		return out
	}
	for _, tc := range []struct {
		name      string
		buf       []*kgo.Record
		lim       ReadLimits
		taken     []int64
		kept      []int64
		wantBytes int64
		full      bool
	}{
		{"all fit", []*kgo.Record{rec("a", 0, 3), rec("a", 1, 3)}, ReadLimits{MaxBytes: 10},
			[]int64{0, 1}, []int64{}, 6, false},
		{"max bytes stops", []*kgo.Record{rec("a", 0, 3), rec("a", 1, 3), rec("a", 2, 3)}, ReadLimits{MaxBytes: 6},
			[]int64{0, 1}, []int64{2}, 6, true},
		{"oversized first record", []*kgo.Record{rec("a", 0, 50), rec("a", 1, 1)}, ReadLimits{MaxBytes: 10},
			[]int64{0}, []int64{1}, 50, true},
		{"one topic", []*kgo.Record{rec("a", 0, 1), rec("b", 10, 1), rec("a", 1, 1)}, ReadLimits{MaxBytes: 10, Topic: "a"},
			[]int64{0, 1}, []int64{10}, 2, false},
		{"empty", nil, ReadLimits{MaxBytes: 10}, []int64{}, []int64{}, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Instance{buf: slices.Clone(tc.buf)}
			got, n, full := c.take(nil, 0, tc.lim)
			if !slices.Equal(offsets(got), tc.taken) || n != tc.wantBytes || full != tc.full {
				t.Errorf("take = %v, %d bytes, full %v; want %v, %d, %v", offsets(got), n, full, tc.taken, tc.wantBytes, tc.full)
			}
			if !slices.Equal(offsets(c.buf), tc.kept) {
				t.Errorf("kept %v, want %v", offsets(c.buf), tc.kept)
			}
		})
	}
}

func TestFailing(t *testing.T) {
	c := &Instance{}
	boom := errors.New("boom")
	c.failing(boom, true)
	c.failSince = c.failSince.Add(-time.Minute)
	if c.Failing(time.Second) != boom {
		t.Fatal("a lasting ping failure is not reported")
	}
	c.failing(nil, true)
	if c.Failing(0) != nil {
		t.Fatal("a successful ping did not clear a ping failure")
	}
	c.failing(boom, false)
	c.failing(nil, true)
	if c.Failing(0) != boom {
		t.Fatal("a successful ping cleared a fetch failure")
	}
	c.failing(nil, false)
	if c.Failing(0) != nil {
		t.Fatal("records arriving did not clear a fetch failure")
	}
}
