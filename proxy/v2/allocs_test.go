//go:build !race

package v2

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/krest-dev/krest/codec"
	"github.com/krest-dev/krest/proxy/produce"
)

// TestProduceHotPathAllocs is the allocation budget of the produce hot path
// per record, in steady state (pooled job warm): decode the request, build
// the kgo records, render the response. What remains is per request (the
// decoder's copy of the body, slices of the envelope), nothing per record;
// a regression past the budget fails here, not in production.
//
// Both decodes are held to it: the hand decode of a plain binary envelope
// (what clients send) and sonic's (any other).
func TestProduceHotPathAllocs(t *testing.T) {
	const n = 500
	const budgetPerRecord = 0.05 // 25 per 500-record request
	body := produceBody(n, 1024)
	for _, hand := range []bool{true, false} {
		run := func() {
			j := getProduceJob()
			var charge recordCharge
			if taken := j.parseHand(body, n, &charge, true); !hand {
				j.reset()
				if err := j.parse(body); err != nil {
					t.Fatal(err)
				}
			} else if !taken {
				t.Fatal("the hand decode did not take the body")
			}
			if err := j.build(codec.Binary, "t", produce.AutoPartition); err != nil {
				t.Fatal(err)
			}
			recs := j.batch.Records
			for i := range recs {
				recs[i].Partition, recs[i].Offset = 0, int64(i)
			}
			j.out = appendProduceResponse(j.out[:0], nil, nil, j.batch)
			putProduceJob(j)
		}
		run() // warm the pool
		perRecord := testing.AllocsPerRun(20, run) / n
		t.Logf("hand decode %v: %.2f allocations per record", hand, perRecord)
		if perRecord > budgetPerRecord {
			t.Errorf("produce hot path (hand decode %v): %.2f allocations per record, budget %.1f", hand, perRecord, budgetPerRecord)
		}
	}
}

// TestRenderRecordsAllocs: rendering consumed records allocates nothing
// per record once the buffer is sized.
func TestRenderRecordsAllocs(t *testing.T) {
	recs := make([]*kgo.Record, 100)
	for i := range recs {
		recs[i] = &kgo.Record{Topic: "t", Value: make([]byte, 100), Offset: int64(i)}
	}
	s := &API{}
	dst := make([]byte, 0, renderedSize(recs))
	if a := testing.AllocsPerRun(20, func() {
		dst, _ = s.appendRecords(dst[:0], recs, codec.Binary, recordStyle{topic: true, extensions: true})
	}); a != 0 {
		t.Errorf("rendering 100 records: %.0f allocations, want 0", a)
	}
}
