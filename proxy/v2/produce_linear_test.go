//go:build !race

package v2

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/krest-dev/krest/codec"
	"github.com/krest-dev/krest/proxy/produce"
)

// parseShapes are record shapes of a produce body, each decoded on its own
// path: records sonic decodes to nothing ({}, null, {"headers":null}) once
// sent the parser back to the body for each of them, from its start.
var parseShapes = []struct {
	name, record string
	last         string // the last record, when it differs (null: refused)
}{
	{"empty", `{}`, ""},
	{"null-last", `{}`, `null`},
	{"headers-null", `{"headers":null}`, ""},
	{"tombstone", `{"value":null}`, ""},
	{"null-header", `{"headers":[{"name":"h","value":null}]}`, ""},
	{"key-only", `{"key":"a2V5"}`, ""},
	{"value", `{"value":"dmFs"}`, ""},
	{"partition", `{"partition":0}`, ""},
	{"escapes", `{"value":"` + strings.Repeat(`\/`, 8) + `"}`, ""},
}

// shapeBody is a produce body of n records of one shape.
func shapeBody(record, last string, n int) []byte {
	var b strings.Builder
	b.WriteString(`{"records":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		if i == n-1 && last != "" {
			b.WriteString(last)
		} else {
			b.WriteString(record)
		}
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

// decodeOnce decodes body with j, reused as a pooled job is, and reports
// whether it was refused (null-last is, at its last record).
func decodeOnce(tb testing.TB, j *produceJob, body []byte) bool {
	j.reset()
	j.batch.Reset()
	err := j.decode(body, codec.Binary, "t", produce.AutoPartition)
	if err != nil && !strings.Contains(err.Error(), "may not be null") {
		tb.Fatal(err)
	}
	return err != nil
}

// TestProduceParseLinear: decoding a produce body costs the same per
// record whether it holds 1,000 records or 100,000, whatever their shape.
// A 300 KB body of 100,000 {} records once took a minute of CPU: each
// record sonic decodes to nothing sent the parser back to the start of the
// body to tell null from {} (ns/record grew with the body: 8,400 at 1k
// records, 78,000 at 10k). That rescan allocated the same per record at
// every size, so only time tells: the best of five runs each way, within
// 3× (a quadratic parse is 100× at these sizes), retried before failing,
// which a busy machine does not flake.
func TestProduceParseLinear(t *testing.T) {
	if testing.Short() {
		t.Skip("times 100,000-record bodies")
	}
	const small, large = 1_000, 100_000
	for _, sh := range parseShapes {
		t.Run(sh.name, func(t *testing.T) {
			smallBody, largeBody := shapeBody(sh.record, sh.last, small), shapeBody(sh.record, sh.last, large)
			j := getProduceJob()
			defer putProduceJob(j)
			if refused := decodeOnce(t, j, largeBody); refused != (sh.last == "null") {
				t.Fatalf("refused=%v", refused)
			}
			var ratio float64
			for attempt := 0; attempt < 3; attempt++ {
				best := [2]time.Duration{time.Hour, time.Hour}
				for range 5 {
					start := time.Now()
					for range large / small {
						decodeOnce(t, j, smallBody)
					}
					best[0] = min(best[0], time.Since(start))
					start = time.Now()
					decodeOnce(t, j, largeBody)
					best[1] = min(best[1], time.Since(start))
				}
				ratio = float64(best[1]) / float64(best[0])
				t.Logf("%.1f ns/record at %d records, %.1f at %d (%.2f×)",
					float64(best[0])/large, small, float64(best[1])/large, large, ratio)
				if ratio <= 3 {
					return
				}
			}
			t.Errorf("time per record at %d records is %.1f× that at %d: not linear", large, ratio, small)
		})
	}
}

func TestFirstNullRecord(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]int{
		`{"records":[{},{}]}`:                                    -1,
		`{"records":[{},null,{},null]}`:                          1,
		` { "records" : [ null ] } `:                             0,
		`{"records":[{"value":"null,null"},null]}`:               1,
		`{"records":[{"value":[null]},{"key":null}]}`:            -1,
		`{"records":[{"value":"\"null"},null]}`:                  1,
		`{"x":[null],"records":[{}]}`:                            -1,
		`{"rec\u006frds":[{},null]}`:                             1,
		`{"records":[null],"records":[{},{},null]}`:              2,
		`{"records":[null],"records":[{}]}`:                      -1,
		`{"value_schema":"{\"records\":[null]}","records":[{}]}`: -1,
	} {
		if got := firstNullRecord([]byte(body)); got != want {
			t.Errorf("firstNullRecord(%s) = %d, want %d", body, got, want)
		}
	}
}

// BenchmarkProduceParse decodes produce bodies of each shape at three
// sizes; ns/record is the figure to compare across sizes (it should not
// grow with them).
//
//	go test ./proxy/v2/ -run '^$' -bench BenchmarkProduceParse -benchtime 5x
func BenchmarkProduceParse(b *testing.B) {
	for _, sh := range parseShapes {
		for _, n := range []int{1_000, 10_000, 100_000} {
			body := shapeBody(sh.record, sh.last, n)
			b.Run(sh.name+"/"+strconv.Itoa(n/1000)+"k", func(b *testing.B) {
				j := getProduceJob()
				defer putProduceJob(j)
				decodeOnce(b, j, body) // size the job's slices
				b.SetBytes(int64(len(body)))
				b.ReportAllocs()
				for b.Loop() {
					decodeOnce(b, j, body)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
			})
		}
	}
}
