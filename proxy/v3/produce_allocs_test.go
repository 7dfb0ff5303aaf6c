//go:build !race

// The race detector drops pooled objects at random, so these budgets run
// without it (make test runs every Allocs test once more without -race).

package v3

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/krest-dev/krest/pool"
	"github.com/krest-dev/krest/proxy/config"
)

// v3ProduceBudget is the allocation budget of v3's produce per record,
// streamed or batched, without Kafka: scan (or split), build, chunk and
// render, as v2's (TestProduceHotPathAllocs). Nothing is allocated per
// record: what remains is per request or per read (a batch's entries and
// its map of ids), spread over its records.
const v3ProduceBudget = 0.05

// TestStreamProduceAllocs is the budget of a stream's records: what the
// reader does for each (room in the window, build into the chunk) and what
// the writer does (render its result), per record of a 500-record read.
func TestStreamProduceAllocs(t *testing.T) {
	const n = 500
	raw := []byte(`{"key":{"type":"BINARY","data":"a2V5"},"value":{"type":"BINARY","data":"` + string(make64(1024)) + `"}}`)
	a := &API{Config: &config.Config{}}
	s := &stream{b: builder{a: a, topic: "t"}, cluster: "c", window: make(chan struct{}, n), start: time.Now(), maxDuration: time.Hour}
	in := make([]byte, len(raw))
	run := func() {
		s.cur = getChunk()
		for range n {
			copy(in, raw)
			if !s.record(in) {
				t.Fatal("the stream ended")
			}
		}
		c := s.cur
		c.b.Seal()
		for i := range c.entries {
			if c.entries[i].fail != nil {
				t.Fatal(c.entries[i].fail)
			}
			s.out = appendResult(s.out[:0], s.cluster, c, &c.entries[i])
		}
		s.done(c)
	}
	run()
	perRecord := testing.AllocsPerRun(20, run) / n
	t.Logf("%.2f allocations per streamed record", perRecord)
	if perRecord > v3ProduceBudget {
		t.Errorf("%.2f allocations per streamed record, budget %.2f", perRecord, v3ProduceBudget)
	}
}

// TestBatchProduceAllocs is the budget of records:batch per entry: split
// the body, build and check each entry, render the 207 body, for a
// 500-entry request (the request's own allocations, the split entries and
// the map of ids, spread over its entries).
func TestBatchProduceAllocs(t *testing.T) {
	const n = 500
	var body bytes.Buffer
	body.WriteString(`{"entries":[`)
	for i := range n {
		if i > 0 {
			body.WriteByte(',')
		}
		fmt.Fprintf(&body, `{"id":"e%d","key":{"type":"BINARY","data":"a2V5"},"value":{"type":"BINARY","data":"%s"}}`, i, make64(1024))
	}
	body.WriteString(`]}`)
	a := &API{Config: &config.Config{}}
	in := make([]byte, body.Len())
	ok, failed := pool.GetBuffer(), pool.GetBuffer()
	run := func() {
		copy(in, body.Bytes())
		entries, err := splitBatch(in, n)
		if err != nil {
			t.Fatal(err)
		}
		c := getChunk()
		if err := a.buildEntries(c, &builder{a: a, topic: "t"}, "c", entries, len(in)); err != nil {
			t.Fatal(err)
		}
		c.b.Seal()
		a.appendBatchResults(ok, failed, c, "t", "c")
		putChunk(c)
	}
	run()
	perEntry := testing.AllocsPerRun(20, run) / n
	t.Logf("%.2f allocations per entry", perEntry)
	if perEntry > v3ProduceBudget {
		t.Errorf("%.2f allocations per entry, budget %.2f", perEntry, v3ProduceBudget)
	}
}
