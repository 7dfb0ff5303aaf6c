package admin

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestQueries(t *testing.T) {
	t.Parallel()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "t"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	a := New(cl)
	ctx := context.Background()

	if ids, err := a.Brokers(ctx); err != nil || len(ids) != 1 {
		t.Errorf("Brokers = %v, %v", ids, err)
	}
	if names, err := a.TopicNames(ctx); err != nil || len(names) != 1 || names[0] != "t" {
		t.Errorf("TopicNames = %v, %v", names, err)
	}
	parts, err := a.Partitions(ctx, "t")
	if err != nil || len(parts) != 2 || parts[0].ID != 0 || parts[1].ID != 1 || len(parts[1].Replicas) != 1 ||
		!parts[1].Replicas[0].Leader || !parts[1].Replicas[0].InSync || parts[1].Leader != parts[1].Replicas[0].Broker {
		t.Errorf("Partitions = %+v, %v", parts, err)
	}
	if start, end, err := a.Offsets(ctx, "t", 1); err != nil || start != 0 || end != 0 {
		t.Errorf("Offsets = %d, %d, %v", start, end, err)
	}
	for _, tc := range []struct {
		name string
		err  error
		want error
	}{
		{"missing topic", errOf(a.Partitions(ctx, "missing")), kerr.UnknownTopicOrPartition}, // or ErrTopicNotFound, when the broker leaves it out
		{"missing partition", errOf(a.Partition(ctx, "t", 2)), ErrPartitionNotFound},
		{"offsets of a missing partition", errOf3(a.Offsets(ctx, "t", 9)), ErrPartitionNotFound},
	} {
		if !errors.Is(tc.err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, tc.err, tc.want)
		}
	}
}

func errOf[T any](_ T, err error) error          { return err }
func errOf3[T, U any](_ T, _ U, err error) error { return err }

func TestCheckTopicName(t *testing.T) {
	t.Parallel()
	for name, ok := range map[string]bool{
		"a": true, "A-b_c.9": true, strings.Repeat("x", 249): true, "__consumer_offsets": true,
		"": false, ".": false, "..": false, "a b": false, "a/b": false, "☃": false, strings.Repeat("x", 250): false, "a\x00": false,
	} {
		if err := CheckTopicName(name); (err == nil) != ok {
			t.Errorf("CheckTopicName(%q) = %v", name, err)
		}
	}
	if err := CheckWritable("__transaction_state"); err == nil {
		t.Error("__transaction_state writable")
	}
	if err := CheckWritable("__my_topic"); err != nil {
		t.Errorf("__my_topic: %v", err)
	}
}

func TestAddClamped(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ a, b, want int64 }{
		{1, 2, 3},
		{5, -7, -2},
		{1, math.MaxInt64, math.MaxInt64},
		{math.MaxInt64, 1, math.MaxInt64},
		{-1, math.MinInt64, math.MinInt64},
		{math.MinInt64, -1, math.MinInt64},
		{math.MaxInt64, math.MinInt64, -1},
	} {
		if got := addClamped(tc.a, tc.b); got != tc.want {
			t.Errorf("addClamped(%d, %d) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
