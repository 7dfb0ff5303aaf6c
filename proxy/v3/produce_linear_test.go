//go:build !race

package v3

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/krest-dev/krest/proxy/produce"

	"github.com/krest-dev/krest/proxy/config"
)

// streamBody is n records of one shape, as a stream carries them.
func streamBody(record string, n int) []byte {
	return []byte(strings.Repeat(record+"\n", n))
}

// batchBody is n records of one shape as a records:batch body.
func batchBody(record string, n int) []byte {
	var b strings.Builder
	b.WriteString(`{"entries":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"id":"e` + strconv.Itoa(i) + `",` + strings.TrimPrefix(record, "{"))
	}
	b.WriteString(`]}`)
	return []byte(strings.ReplaceAll(b.String(), `,}`, `}`))
}

// scanAndBuild splits a stream body into records and builds each, as a
// stream's reader does (without Kafka), feeding the scanner readStep
// bytes at a time; it returns the records built.
func scanAndBuild(tb testing.TB, b *builder, body []byte) int {
	sc := newObjectScanner()
	var key, value side
	out := produce.GetBatch()
	defer produce.PutBatch(out)
	n := 0
	for off := 0; off < len(body); off += readStep {
		have := body[:min(off+readStep, len(body))]
		for {
			start, end, st := sc.next(have)
			if st != scanObject {
				if st == scanBad {
					tb.Fatalf("bad byte at %d", end-1)
				}
				break
			}
			if len(out.Records) == maxChunkRecords {
				out.Reset()
			}
			if _, err := b.build(have[start:end], false, out, &key, &value); err != nil {
				tb.Fatal(err)
			}
			n++
		}
	}
	return n
}

// batchAndBuild parses a records:batch body and builds its entries, as
// ProduceBatch does (without Kafka).
func batchAndBuild(tb testing.TB, b *builder, body []byte) {
	entries, err := splitBatch(body, 1<<20)
	if err != nil {
		tb.Fatal(err)
	}
	var key, value side
	out := produce.GetBatch()
	defer produce.PutBatch(out)
	out.Reserve(len(entries))
	out.Arena.B = slices.Grow(out.Arena.B, len(body))
	for _, e := range entries {
		id, err := b.build(e, true, out, &key, &value)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := checkEntryID(id); err != nil {
			tb.Fatal(err)
		}
	}
}

// bestRatio runs small reps times and large once, three times over, and
// returns the best time of large over the best of the reps of small;
// retried up to three times while over 3.
func bestRatio(t *testing.T, small func(), reps int, large func()) float64 {
	t.Helper()
	var ratio float64
	for attempt := 0; attempt < 3; attempt++ {
		best := [2]time.Duration{time.Hour, time.Hour}
		for range 3 {
			start := time.Now()
			for range reps {
				small()
			}
			best[0] = min(best[0], time.Since(start))
			start = time.Now()
			large()
			best[1] = min(best[1], time.Since(start))
		}
		ratio = float64(best[1]) / float64(best[0])
		t.Logf("best %v for %d small runs, %v for the large one (%.2f×)", best[0], reps, best[1], ratio)
		if ratio <= 3 {
			break
		}
	}
	return ratio
}

// TestProduceScanLinear: a stream's records cost the same per record at
// 1,000 records and at 100,000, and the same per byte in a record of 1 KiB
// and of 1 MiB whatever its escapes: the scanner once searched for a
// string's closing quote again after each backslash, so a value of many
// escapes took time quadratic in its length.
func TestProduceScanLinear(t *testing.T) {
	if testing.Short() {
		t.Skip("times large bodies")
	}
	b := &builder{a: &API{Config: &config.Config{}}, topic: "t"}
	const small, large = 1_000, 100_000
	for _, sh := range streamShapes {
		t.Run(sh.name, func(t *testing.T) {
			sb, lb := streamBody(sh.record, small), streamBody(sh.record, large)
			if n := scanAndBuild(t, b, lb); n != large {
				t.Fatalf("%d records built, want %d", n, large)
			}
			if r := bestRatio(t, func() { scanAndBuild(t, b, sb) }, large/small, func() { scanAndBuild(t, b, lb) }); r > 3 {
				t.Errorf("time per record at %d records is %.1f× that at %d: not linear", large, r, small)
			}
		})
	}
	for _, esc := range []string{`\\`, `\"`, `\/`, `\u0041`} {
		t.Run("escapes "+esc, func(t *testing.T) {
			rec := func(size int) []byte {
				return []byte(`{"value":{"type":"JSON","data":"` + strings.Repeat(esc, size/len(esc)) + `"}}`)
			}
			const smallSize, largeSize = 1 << 10, 1 << 20
			sb, lb := rec(smallSize), rec(largeSize)
			if r := bestRatio(t, func() { scanAndBuild(t, b, sb) }, largeSize/smallSize, func() { scanAndBuild(t, b, lb) }); r > 3 {
				t.Errorf("time per byte of a %d-byte record is %.1f× that of a %d-byte one: not linear", largeSize, r, smallSize)
			}
		})
	}
}

// TestProduceBatchLinear: the entries of records:batch cost the same per
// entry at 1,000 entries and at 100,000 (their ids checked, then each
// built), whatever their shape.
func TestProduceBatchLinear(t *testing.T) {
	if testing.Short() {
		t.Skip("times 100,000-entry bodies")
	}
	b := &builder{a: &API{Config: &config.Config{}}, topic: "t"}
	const small, large = 1_000, 100_000
	for _, sh := range streamShapes {
		t.Run(sh.name, func(t *testing.T) {
			sb, lb := batchBody(sh.record, small), batchBody(sh.record, large)
			parse := func(body []byte) { batchAndBuild(t, b, body) }
			parse(lb)
			if r := bestRatio(t, func() { parse(sb) }, large/small, func() { parse(lb) }); r > 3 {
				t.Errorf("time per entry at %d entries is %.1f× that at %d: not linear", large, r, small)
			}
		})
	}
}

// BenchmarkProduceScan is a stream's parse (scan and build) and a batch's
// (ids and build) of each record shape at three sizes; ns/record should
// not grow with the size.
//
//	go test ./proxy/v3/ -run '^$' -bench BenchmarkProduceScan -benchtime 5x
func BenchmarkProduceScan(b *testing.B) {
	bl := &builder{a: &API{Config: &config.Config{}}, topic: "t"}
	for _, sh := range streamShapes {
		for _, n := range []int{1_000, 10_000, 100_000} {
			size := strconv.Itoa(n/1000) + "k"
			body := streamBody(sh.record, n)
			b.Run("stream/"+sh.name+"/"+size, func(b *testing.B) {
				b.SetBytes(int64(len(body)))
				b.ReportAllocs()
				for b.Loop() {
					scanAndBuild(b, bl, body)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
			})
			batch := batchBody(sh.record, n)
			b.Run("batch/"+sh.name+"/"+size, func(b *testing.B) {
				b.SetBytes(int64(len(batch)))
				b.ReportAllocs()
				for b.Loop() {
					batchAndBuild(b, bl, batch)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
			})
		}
	}
}
