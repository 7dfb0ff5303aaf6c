package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// javaProducer runs the Java client's ProducerPerformance with the same acks
// and linger as krest's producer.
func javaProducer(libs, brokers, topic string, records, size int) (loadResult, error) {
	cmd := exec.Command("java", "-Xmx512M", "-cp", libs+"/*", "org.apache.kafka.tools.ProducerPerformance",
		"--topic", topic, "--num-records", strconv.Itoa(records), "--record-size", strconv.Itoa(size),
		"--throughput", "-1", "--producer-props", "bootstrap.servers="+brokers, "acks=all", "linger.ms=5",
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return loadResult{}, fmt.Errorf("ProducerPerformance: %v\n%s", err, out)
	}
	// "N records sent, X records/sec (Y MB/sec), ..." is the last summary line.
	m := regexp.MustCompile(`(\d+) records sent, ([\d.]+) records/sec`).FindAllSubmatch(out, -1)
	if len(m) == 0 {
		return loadResult{}, fmt.Errorf("ProducerPerformance output not understood:\n%s", out)
	}
	last := m[len(m)-1]
	n, _ := strconv.ParseInt(string(last[1]), 10, 64)
	rate, _ := strconv.ParseFloat(string(last[2]), 64)
	return loadResult{records: n, elapsed: time.Duration(float64(n) / rate * float64(time.Second)), cpu: childCPU(cmd)}, nil
}

// javaConsumer runs ConsumerPerformance over records of topic.
func javaConsumer(libs, brokers, topic string, records int) (loadResult, error) {
	cmd := exec.Command("java", "-Xmx512M", "-cp", libs+"/*", "org.apache.kafka.tools.ConsumerPerformance",
		"--bootstrap-server", brokers, "--topic", topic, "--num-records", strconv.Itoa(records),
		"--timeout", "120000", "--hide-header", "--group", fmt.Sprintf("java-perf-%d", time.Now().UnixNano()),
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return loadResult{}, fmt.Errorf("ConsumerPerformance: %v\n%s", err, out)
	}
	// start.time, end.time, MB, MB.sec, nMsg, nMsg.sec, rebalance.ms, fetch.ms,
	// fetch.MB.sec, fetch.nMsg.sec. fetch.nMsg.sec leaves out the group
	// join, as the krest figure does.
	for _, line := range bytes.Split(out, []byte("\n")) {
		f := strings.Split(string(line), ",")
		if len(f) < 10 {
			continue
		}
		n, err1 := strconv.ParseInt(strings.TrimSpace(f[4]), 10, 64)
		rate, err2 := strconv.ParseFloat(strings.TrimSpace(f[9]), 64)
		if err1 == nil && err2 == nil && rate > 0 {
			return loadResult{records: n, elapsed: time.Duration(float64(n) / rate * float64(time.Second)), cpu: childCPU(cmd)}, nil
		}
	}
	return loadResult{}, fmt.Errorf("ConsumerPerformance output not understood:\n%s", out)
}

// newFranzProducer is a franz-go client with krest's producer settings
// (idempotent, acks=all, linger 5 ms, no compression) that buffers up to
// 1 Mi records and counts its requests in franzRequests.
func newFranzProducer(brokers, topic string) (*kgo.Client, error) {
	return kgo.NewClient(kgo.SeedBrokers(strings.Split(brokers, ",")...), kgo.DefaultProduceTopic(topic),
		kgo.ProducerLinger(5*time.Millisecond), kgo.ProducerBatchCompression(kgo.NoCompression()), kgo.AllowAutoTopicCreation(), kgo.MaxBufferedRecords(1<<20), kgo.WithHooks(&franzRequests))
}

// franzProducer produces records of size bytes with the same settings as
// krest's producer (idempotent, acks=all, linger 5 ms, no compression), from conns
// goroutines; each waits for its record when sync is set (the 1-record
// request case), else records are produced asynchronously.
func franzProducer(brokers, topic string, records int64, duration time.Duration, size, conns int, waitEach bool) (loadResult, error) {
	cl, err := newFranzProducer(brokers, topic)
	if err != nil {
		return loadResult{}, err
	}
	defer cl.Close()
	value := payload(size)
	var sent, done atomic.Int64
	var firstErr atomic.Value
	var latMu sync.Mutex
	var lat latencies // of each ProduceSync, when waitEach
	start := time.Now()
	deadline := time.Time{}
	if duration > 0 {
		deadline = start.Add(duration)
	}
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			var mine latencies
			defer func() {
				latMu.Lock()
				lat = append(lat, mine...)
				latMu.Unlock()
			}()
			ctx := context.Background()
			for {
				if records > 0 && sent.Add(1) > records {
					return
				}
				if !deadline.IsZero() && time.Now().After(deadline) {
					return
				}
				r := &kgo.Record{Value: value}
				if waitEach {
					t0 := time.Now()
					if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
						firstErr.CompareAndSwap(nil, err)
						return
					}
					mine = append(mine, time.Since(t0))
					done.Add(1)
					continue
				}
				cl.Produce(ctx, r, func(_ *kgo.Record, err error) {
					if err != nil {
						firstErr.CompareAndSwap(nil, err)
					}
					done.Add(1)
				})
			}
		})
	}
	wg.Wait()
	if err := cl.Flush(context.Background()); err != nil {
		return loadResult{}, err
	}
	if err, _ := firstErr.Load().(error); err != nil {
		return loadResult{}, err
	}
	return loadResult{records: done.Load(), elapsed: time.Since(start), latency: lat}, nil
}

// franzBatches produces records of size bytes with franzProducer's
// settings in krest's shape (row 1): see produceBatches.
func franzBatches(brokers, topic string, records int64, size, conns, batch int) (loadResult, error) {
	cl, err := newFranzProducer(brokers, topic)
	if err != nil {
		return loadResult{}, err
	}
	defer cl.Close()
	value := payload(size)
	return produceBatches(cl, records, conns, batch, func() func() ([]byte, error) {
		return func() ([]byte, error) { return value, nil }
	})
}

// produceBatches produces n records through cl in krest's shape (rows 1
// and 4): conns goroutines, each producing batch records and waiting for
// all of them (ProduceSync) before its next batch, as those rows' HTTP
// clients wait for each request's response. Each goroutine takes its
// records' values from a function of its own, from values.
func produceBatches(cl *kgo.Client, n int64, conns, batch int, values func() func() ([]byte, error)) (loadResult, error) {
	var sent, done atomic.Int64
	var firstErr atomic.Value
	start := time.Now()
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			next := values()
			recs := make([]*kgo.Record, batch)
			for sent.Add(int64(batch)) <= n {
				for i := range recs {
					v, err := next()
					if err != nil {
						firstErr.CompareAndSwap(nil, err)
						return
					}
					recs[i] = &kgo.Record{Value: v}
				}
				if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				done.Add(int64(batch))
			}
		})
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return loadResult{}, err
	}
	return loadResult{records: done.Load(), elapsed: time.Since(start)}, nil
}

// franzConsumer reads records of topic from the start, timed from its
// group assignment (as the other consumers are, without the join) to its
// last record; mark runs at both.
func franzConsumer(brokers, topic string, records int64, mark func()) (loadResult, error) {
	assigned := make(chan time.Time, 1)
	var marked sync.Once
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(brokers, ",")...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.ConsumerGroup(fmt.Sprintf("franz-perf-%d", time.Now().UnixNano())),
		kgo.DisableAutoCommit(), kgo.OnPartitionsAssigned(func(context.Context, *kgo.Client, map[string][]int32) {
			marked.Do(mark)
			select {
			case assigned <- time.Now():
			default:
			}
		}))
	if err != nil {
		return loadResult{}, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var n int64
	for n < records {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return loadResult{}, fmt.Errorf("franz-go consumer: %d of %d records: %w", n, records, ctx.Err())
		}
		n += int64(fs.NumRecords())
	}
	mark()
	return loadResult{records: n, elapsed: time.Since(<-assigned)}, nil
}

// franzMembers reads records of topic with members franz-go clients in one
// group, each fetching as a krest consumer instance does (fetchBytes per
// fetch and partition, two fetches at most): krest's shape in row 3, where
// the plain franzConsumer is one client for every partition. It is timed
// from the moment the members together hold every partition, as the krest
// consumer is, to the last record; mark runs when the members start polling
// and at the last record.
func franzMembers(brokers, topic string, records int64, members, partitions int, fetchBytes int32, mark func()) (loadResult, error) {
	group := fmt.Sprintf("franz-members-%d", time.Now().UnixNano())
	var held atomic.Int64 // partitions assigned across the members
	var balanced atomic.Int64
	var clients []*kgo.Client
	defer func() {
		for _, cl := range clients {
			cl.Close()
		}
	}()
	for range members {
		cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(brokers, ",")...), kgo.ConsumeTopics(topic),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.ConsumerGroup(group), kgo.DisableAutoCommit(),
			kgo.FetchMaxBytes(fetchBytes), kgo.FetchMaxPartitionBytes(fetchBytes), kgo.MaxConcurrentFetches(2),
			kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
				if held.Add(int64(len(m[topic]))) == int64(partitions) {
					balanced.CompareAndSwap(0, time.Now().UnixNano())
				}
			}),
			kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, m map[string][]int32) { held.Add(-int64(len(m[topic]))) }))
		if err != nil {
			return loadResult{}, err
		}
		clients = append(clients, cl)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// As the bench polls krest's instances only once they are balanced,
	// the members poll only then; until then each fetches ahead at most
	// what it buffers, as an instance does.
	for balanced.Load() == 0 {
		if ctx.Err() != nil {
			return loadResult{}, fmt.Errorf("franz-go members: the group did not balance: %w", ctx.Err())
		}
		time.Sleep(10 * time.Millisecond)
	}
	mark()
	var n atomic.Int64
	var end atomic.Int64
	var wg sync.WaitGroup
	for _, cl := range clients {
		wg.Go(func() {
			for n.Load() < records && ctx.Err() == nil {
				pctx, pcancel := context.WithTimeout(ctx, time.Second)
				fs := cl.PollRecords(pctx, 10000)
				pcancel()
				if n.Add(int64(fs.NumRecords())) >= records && end.CompareAndSwap(0, time.Now().UnixNano()) {
					mark()
				}
			}
		})
	}
	wg.Wait()
	if n.Load() < records {
		return loadResult{}, fmt.Errorf("franz-go members: %d of %d records", n.Load(), records)
	}
	return loadResult{records: n.Load(), elapsed: time.Duration(end.Load() - balanced.Load())}, nil
}
