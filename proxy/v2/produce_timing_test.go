package v2

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/krest-dev/krest/codec"
	"github.com/krest-dev/krest/proxy/produce"
)

// produceBody is a produce request of n records with size-byte values.
func produceBody(n, size int) []byte {
	v := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("x", size)))
	recs := make([]string, n)
	for i := range recs {
		recs[i] = `{"key":"a2V5","value":"` + v + `"}`
	}
	return []byte(`{"records":[` + strings.Join(recs, ",") + `]}`)
}

// BenchmarkDecodeProduce is the produce decode path: envelope parse, base64
// decode into the pooled arena, kgo records built (500 × 1 KiB per op).
func BenchmarkDecodeProduce(b *testing.B) {
	body := produceBody(500, 1024)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		j := getProduceJob()
		if err := j.decode(body, codec.Binary, "t", produce.AutoPartition); err != nil {
			b.Fatal(err)
		}
		putProduceJob(j)
	}
}

// BenchmarkAppendProduceResponse renders the response of 500 records.
func BenchmarkAppendProduceResponse(b *testing.B) {
	batch := produce.GetBatch()
	batch.Grow(500)
	for i := range batch.Records {
		batch.Records[i].Partition, batch.Records[i].Offset = int32(i%4), int64(1_000_000+i)
	}
	var dst []byte
	b.ReportAllocs()
	for b.Loop() {
		dst = appendProduceResponse(dst[:0], nil, nil, batch)
	}
	b.SetBytes(int64(len(dst)))
}

// BenchmarkAppendRecords renders 1000 consumed 1 KiB binary records.
func BenchmarkAppendRecords(b *testing.B) {
	recs := make([]*kgo.Record, 1000)
	for i := range recs {
		recs[i] = &kgo.Record{Topic: "topic", Key: []byte("key"), Value: make([]byte, 1024), Partition: 1, Offset: int64(i)}
	}
	s := &API{}
	dst := make([]byte, 0, renderedSize(recs))
	b.SetBytes(int64(len(recs) * 1027))
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if dst, err = s.appendRecords(dst[:0], recs, codec.Binary, recordStyle{topic: true, extensions: true}); err != nil {
			b.Fatal(err)
		}
	}
}
