package devcluster

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestDevClusterBehavesLikeAStockBroker checks what `make run` users rely
// on: produce auto-creates a one-partition topic, 5 MiB messages fit, and
// retention by size is enforced across all topics.
func TestDevClusterBehavesLikeAStockBroker(t *testing.T) {
	t.Parallel()
	c, err := Start(0)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Addrs()...), kgo.AllowAutoTopicCreation(), kgo.ProducerBatchMaxBytes(8<<20))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	big := make([]byte, 5<<20)
	rand.Read(big) // incompressible, so the broker really stores 5 MiB
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "auto", Value: big}).FirstErr(); err != nil {
		t.Fatalf("5 MiB record: %v", err)
	}
	md, err := kadm.NewClient(cl).Metadata(ctx, "auto")
	if err != nil || len(md.Topics["auto"].Partitions) != 1 {
		t.Fatalf("auto-created topic: %v %+v", err, md.Topics["auto"])
	}
	for range RetentionBytes/len(big) + 2 {
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "auto", Value: big}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	c.c.ApplyRetention()
	starts, err := kadm.NewClient(cl).ListStartOffsets(ctx, "auto")
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := starts.Lookup("auto", 0); o.Offset == 0 {
		t.Errorf("start offset still 0 after %d MiB: size retention not applied", (RetentionBytes/len(big)+3)*5)
	}
}
