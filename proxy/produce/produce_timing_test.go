package produce

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// BenchmarkProduceOneRecord: concurrent one-record calls (bench row 2's
// shape) against kfake, whose cost is small beside the Producer's own.
func BenchmarkProduceOneRecord(b *testing.B) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(4, "t"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close) // after the producer's
	p := lingeringProducer(b, c, 5*time.Millisecond)
	ctx := context.Background()
	b.SetParallelism(32) // 64 callers on 2 cores, as in row 2
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			bt := GetBatch()
			fill(bt, AutoPartition, "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789")
			if err := p.Produce(ctx, bt); err != nil || bt.Errs[0] != nil {
				b.Fatal(err, bt.Errs[0])
			}
			PutBatch(bt)
		}
	})
}
