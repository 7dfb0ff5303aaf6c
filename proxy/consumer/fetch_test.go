package consumer

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestFetcher reads ranges of a partition over one shared client: from the
// middle, across several fetches (tiny fetch sizes), and up to the end.
func TestFetcher(t *testing.T) {
	t.Parallel()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "t"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	seeds := kgo.SeedBrokers(c.ListenAddrs()...)
	pcl, err := kgo.NewClient(seeds, kgo.DefaultProduceTopic("t"), kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.MaxBufferedRecords(1))
	if err != nil {
		t.Fatal(err)
	}
	defer pcl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := range 20 { // one batch per record
		if err := pcl.ProduceSync(ctx, &kgo.Record{Partition: 1, Value: fmt.Appendf(nil, "v%d", i)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	cl, err := kgo.NewClient(seeds, kgo.FetchMaxPartitionBytes(1), kgo.FetchMaxBytes(1))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	f := NewFetcher(cl)
	for _, tc := range []struct {
		offset, n int64
		want      int
	}{
		{0, 1, 1}, {5, 10, 10}, {15, 5, 5}, {19, 3, 1}, {20, 1, 0},
	} {
		recs, err := f.Fetch(ctx, "t", 1, tc.offset, tc.n)
		if err != nil || len(recs) != tc.want {
			t.Fatalf("Fetch(%d, %d) = %d records, %v; want %d", tc.offset, tc.n, len(recs), err, tc.want)
		}
		for i, r := range recs {
			if off := tc.offset + int64(i); r.Offset != off || string(r.Value) != fmt.Sprintf("v%d", off) || r.Topic != "t" || r.Partition != 1 {
				t.Errorf("Fetch(%d, %d)[%d] = %s@%d", tc.offset, tc.n, i, r.Value, r.Offset)
			}
		}
	}
	if _, err := f.Fetch(ctx, "t", 5, 0, 1); err != ErrPartitionNotFound {
		t.Errorf("Fetch of a missing partition: %v", err)
	}
}
