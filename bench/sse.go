package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bytedance/sonic"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/valyala/fasthttp"
)

// Baselines measured by earlier rows of the same run, for the stream rows.
var (
	row3Java, row3Franz *metric
	row5Franz           *metric
)

// sseStream opens a Server-Sent Events read of a consumer instance and
// calls each with the data of every event until it returns false.
func sseStream(inst string, each func(data []byte) bool) error {
	return sseStreamContext(context.Background(), inst, each)
}

// sseStreamContext is sseStream ending, with ctx's error, when ctx ends.
func sseStreamContext(ctx context.Context, inst string, each func(data []byte) bool) error {
	req, _ := http.NewRequestWithContext(ctx, "GET", inst+"/records", nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("stream: %d", resp.StatusCode)
	}
	br := bufio.NewReaderSize(resp.Body, 1<<20)
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// An event longer than the buffer: gather it.
			full := append([]byte(nil), line...)
			for err == bufio.ErrBufferFull {
				line, err = br.ReadSlice('\n')
				full = append(full, line...)
			}
			line = full
		}
		if err != nil {
			return err
		}
		if data, ok := bytes.CutPrefix(line, []byte("data: ")); ok && !each(data) {
			return nil
		}
	}
}

// krestStreamLatency is krestLatency with the records received through an
// SSE stream of the instance instead of polls.
func krestStreamLatency(base, topic string, rate int, d time.Duration) (latencies, error) {
	inst, err := createInstance(base, fmt.Sprintf("slat-%d", time.Now().UnixNano()), "c", topic, `,"auto.offset.reset":"latest"`)
	if err != nil {
		return nil, err
	}
	defer httpJSON("DELETE", inst, "")
	httpJSON("GET", inst+"/records?timeout=3000", "") // join the group before measuring
	var mu sync.Mutex
	var lat latencies
	var stopped atomic.Bool
	readDone := make(chan error, 1)
	go func() {
		readDone <- sseStream(inst, func(data []byte) bool {
			var recs []struct {
				Value string `json:"value"`
			}
			sonic.Unmarshal(data, &recs)
			mu.Lock()
			for _, r := range recs {
				v, _ := base64.StdEncoding.DecodeString(r.Value)
				lat = append(lat, since(v))
			}
			mu.Unlock()
			return !stopped.Load()
		})
	}()
	cl := &fasthttp.Client{MaxConnsPerHost: 16}
	url := base + "/topics/" + topic
	paced(rate, d, func() {
		req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		defer fasthttp.ReleaseRequest(req)
		defer fasthttp.ReleaseResponse(resp)
		req.SetRequestURI(url)
		req.Header.SetMethod("POST")
		req.Header.SetContentType("application/vnd.kafka.binary.v2+json")
		req.SetBodyString(`{"records":[{"value":"` + base64.StdEncoding.EncodeToString(stamp()) + `"}]}`)
		cl.Do(req, resp)
	})
	time.Sleep(time.Second)
	stopped.Store(true)
	// One more record so that the reader sees the stop and returns.
	httpDo("POST", url, "application/vnd.kafka.binary.v2+json", `{"records":[{"value":"AAAAAAAAAAA="}]}`)
	select {
	case <-readDone:
	case <-time.After(10 * time.Second):
		return nil, fmt.Errorf("the stream reader did not stop")
	}
	mu.Lock()
	defer mu.Unlock()
	return lat[:max(len(lat)-1, 0)], nil
}

// krestStreamConsumer drains records of topic through one SSE stream of a
// consumer instance, timed from the first record to the last; mark runs
// at both.
func krestStreamConsumer(base, topic string, records int64, mark func()) (loadResult, error) {
	inst, err := createInstance(base, fmt.Sprintf("krest-sse-%d", time.Now().UnixNano()), "c", topic, "")
	if err != nil {
		return loadResult{}, err
	}
	defer httpJSON("DELETE", inst, "")
	var n atomic.Int64
	stop := make(chan struct{})
	go progress("krest SSE consumer", &n, stop)
	defer close(stop)
	var start time.Time
	err = sseStream(inst, func(data []byte) bool {
		if start.IsZero() {
			mark()
			start = time.Now()
		}
		n.Add(int64(bytes.Count(data, []byte(`"offset":`))))
		if n.Load() >= records {
			mark()
			return false
		}
		return true
	})
	if n.Load() < records {
		return loadResult{}, fmt.Errorf("SSE consumer read %d of %d records: %v", n.Load(), records, err)
	}
	return loadResult{records: n.Load(), requests: 1, elapsed: time.Since(start)}, nil
}

// Row 7: end-to-end latency at row 5's rate, received through an SSE
// stream; compared with row 5's franz-go figure.
func rowStreamLatency(cfg config, k *krestProc, adm *kadm.Client) (row, error) {
	r := row{Name: fmt.Sprintf("7 e2e latency @ %d rec/s, SSE stream", cfg.scale.latencyRate)}
	topic, err := createTopic(adm, "bench-latency-sse", 1)
	if err != nil {
		return r, err
	}
	lat, err := krestStreamLatency(k.url, topic, cfg.scale.latencyRate, cfg.scale.latencyDuration)
	if err != nil {
		return r, err
	}
	r.Krest = latencyMetric(lat, cfg.scale.latencyDuration)
	r.Franz = row5Franz
	return r, nil
}

// Row 8: one SSE stream of one instance draining row 3's volume of 1 KiB
// records; compared with row 3's Java and franz-go figures.
func rowStreamConsume(cfg config, k *krestProc, adm *kadm.Client) (row, error) {
	const size = 1024
	r := row{Name: "8 consume 1 KiB, 1 SSE stream"}
	topic, err := createTopic(adm, "bench-consume-sse", 4)
	if err != nil {
		return r, err
	}
	if _, err := franzProducer(cfg.brokers, topic, cfg.scale.consumeRecords, 0, size, 8, false); err != nil {
		return r, err
	}
	res, err := measure(k, &r, size, func(mark func()) (loadResult, error) {
		return krestStreamConsumer(k.url, topic, cfg.scale.consumeRecords, mark)
	})
	if err != nil {
		return r, err
	}
	r.Krest = toMetric(res, size)
	r.Java, r.Franz = row3Java, row3Franz
	ratios(&r)
	return r, nil
}
