package devcluster

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
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

// TestDevClusterCapsPartitions: a topic of the dev broker holds at most
// MaxPartitions partitions, at creation and after an increase; asking for
// 2,147,483,647 once made kfake grow without bound.
func TestDevClusterCapsPartitions(t *testing.T) {
	t.Parallel()
	c, err := Start(0)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Addrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	refused := func(what string, err error, want error) {
		t.Helper()
		if !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", what, err, want)
		}
	}
	for _, n := range []int32{math.MaxInt32, MaxPartitions + 1} {
		resp, err := adm.CreateTopic(ctx, n, 1, nil, "huge")
		if err == nil {
			err = resp.Err
		}
		refused(fmt.Sprintf("create with %d partitions", n), err, kerr.InvalidPartitions)
		if err == nil || !strings.Contains(resp.ErrMessage, "at most 1000 partitions per topic") {
			t.Errorf("create with %d partitions: message %q", n, resp.ErrMessage)
		}
	}
	// A request with one topic over the cap is refused whole.
	req := kmsg.NewPtrCreateTopicsRequest()
	for topic, n := range map[string]int32{"over": MaxPartitions + 1, "fine": 1} {
		rt := kmsg.NewCreateTopicsRequestTopic()
		rt.Topic, rt.NumPartitions, rt.ReplicationFactor = topic, n, 1
		req.Topics = append(req.Topics, rt)
	}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Topics) != 2 {
		t.Fatalf("%d topics answered, want 2", len(resp.Topics))
	}
	for _, rt := range resp.Topics {
		want := kerr.InvalidRequest
		if rt.Topic == "over" {
			want = kerr.InvalidPartitions
		}
		refused(rt.Topic, kerr.ErrorForCode(rt.ErrorCode), want)
	}
	if resp, err := adm.CreateTopic(ctx, MaxPartitions, 1, nil, "max"); err != nil || resp.Err != nil {
		t.Fatalf("create with %d partitions: %v %v", MaxPartitions, err, resp.Err)
	}
	if resp, err := adm.CreateTopic(ctx, 1, 1, nil, "small"); err != nil || resp.Err != nil {
		t.Fatalf("create: %v %v", err, resp.Err)
	}
	for _, n := range []int{math.MaxInt32, MaxPartitions + 1} {
		ur, err := adm.UpdatePartitions(ctx, n, "small")
		if err != nil {
			t.Fatal(err)
		}
		refused(fmt.Sprintf("increase to %d", n), ur["small"].Err, kerr.InvalidPartitions)
	}
	if ur, err := adm.UpdatePartitions(ctx, 4, "small"); err != nil || ur["small"].Err != nil {
		t.Fatalf("increase to 4: %v %v", err, ur["small"].Err)
	}
	md, err := adm.Metadata(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for topic, want := range map[string]int{"max": MaxPartitions, "small": 4, "huge": 0, "over": 0, "fine": 0} {
		if got := len(md.Topics[topic].Partitions); got != want {
			t.Errorf("%s: %d partitions, want %d", topic, got, want)
		}
	}
}
