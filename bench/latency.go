package main

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bytedance/sonic"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/valyala/fasthttp"
)

// latencies are end-to-end delays, produced → received.
type latencies []time.Duration

func (l latencies) pct(p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	s := slices.Clone(l)
	slices.Sort(s)
	return s[min(int(float64(len(s))*p), len(s)-1)]
}

// stamp is a value carrying its send time.
func stamp() []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(time.Now().UnixNano()))
}

func since(v []byte) time.Duration {
	if len(v) < 8 {
		return -1
	}
	return time.Duration(time.Now().UnixNano() - int64(binary.BigEndian.Uint64(v)))
}

// paced calls send rate times a second for d, from a few goroutines so a slow
// send does not delay the next one.
func paced(rate int, d time.Duration, send func()) {
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	work := make(chan struct{}, 1024)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range work {
				send()
			}
		})
	}
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		<-tick.C
		select {
		case work <- struct{}{}:
		default: // senders saturated: skip rather than queue
		}
	}
	close(work)
	wg.Wait()
}

// krestLatency produces one-record requests at rate through krest and
// receives them through a polling consumer instance.
func krestLatency(base, topic string, rate int, d time.Duration) (latencies, error) {
	inst, err := createInstance(base, fmt.Sprintf("lat-%d", time.Now().UnixNano()), "c", topic, `,"auto.offset.reset":"latest"`)
	if err != nil {
		return nil, err
	}
	defer httpJSON("DELETE", inst, "")
	// Let the member join before measuring.
	httpJSON("GET", inst+"/records?timeout=3000", "")
	var mu sync.Mutex
	var lat latencies
	stop := make(chan struct{})
	readDone := make(chan error, 1)
	go func() {
		cl := &fasthttp.Client{}
		req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		req.SetRequestURI(inst + "/records?timeout=500")
		req.Header.Set("Accept", "application/vnd.kafka.binary.v2+json")
		for {
			select {
			case <-stop:
				readDone <- nil
				return
			default:
			}
			if err := cl.Do(req, resp); err != nil || resp.StatusCode() != 200 {
				readDone <- fmt.Errorf("read: %v %d", err, resp.StatusCode())
				return
			}
			var recs []struct {
				Value string `json:"value"`
			}
			sonic.Unmarshal(resp.Body(), &recs)
			mu.Lock()
			for _, r := range recs {
				v, _ := base64.StdEncoding.DecodeString(r.Value)
				lat = append(lat, since(v))
			}
			mu.Unlock()
		}
	}()
	cl := &fasthttp.Client{MaxConnsPerHost: 16}
	url := base + "/topics/" + topic
	paced(rate, d, func() {
		body := `{"records":[{"value":"` + base64.StdEncoding.EncodeToString(stamp()) + `"}]}`
		req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		defer fasthttp.ReleaseRequest(req)
		defer fasthttp.ReleaseResponse(resp)
		req.SetRequestURI(url)
		req.Header.SetMethod("POST")
		req.Header.SetContentType("application/vnd.kafka.binary.v2+json")
		req.SetBodyString(body)
		cl.Do(req, resp)
	})
	time.Sleep(time.Second)
	close(stop)
	if err := <-readDone; err != nil {
		return nil, err
	}
	return lat, nil
}

// franzLatency is the same through native franz-go clients.
func franzLatency(brokers, topic string, rate int, d time.Duration) (latencies, error) {
	prod, cons, err := franzLatencyClients(brokers, topic, "franz-lat", kgo.NewOffset().AtEnd(), 500*time.Millisecond)
	if err != nil {
		return nil, err
	}
	defer prod.Close()
	defer cons.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var lat latencies
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			fs := cons.PollFetches(ctx)
			fs.EachRecord(func(r *kgo.Record) { lat = append(lat, since(r.Value)) })
		}
	}()
	paced(rate, d, func() {
		prod.Produce(ctx, &kgo.Record{Value: stamp()}, nil)
	})
	time.Sleep(time.Second)
	cancel()
	<-done
	return lat, nil
}

// franzLatencyClients makes the latency rows' franz-go pair: a producer to
// topic lingering 5 ms as krest's does, and a consumer in a group of its
// own (named after group) starting at reset, which has joined and holds
// its partitions when this returns.
func franzLatencyClients(brokers, topic, group string, reset kgo.Offset, maxWait time.Duration) (prod, cons *kgo.Client, err error) {
	seeds := strings.Split(brokers, ",")
	prod, err = kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.DefaultProduceTopic(topic), kgo.ProducerLinger(5*time.Millisecond),
		kgo.ProducerBatchCompression(kgo.NoCompression()), kgo.MaxBufferedRecords(1<<20), kgo.WithHooks(&franzRequests))
	if err != nil {
		return nil, nil, err
	}
	cons, err = kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.ConsumeTopics(topic), kgo.ConsumerGroup(fmt.Sprintf("%s-%d", group, time.Now().UnixNano())),
		kgo.ConsumeResetOffset(reset), kgo.FetchMaxWait(maxWait), kgo.WithHooks(&franzRequests))
	if err != nil {
		prod.Close()
		return nil, nil, err
	}
	warm, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	cons.PollFetches(warm)
	cancel()
	return prod, cons, nil
}
