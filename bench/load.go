package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// produceLoad drives krest's produce endpoint: conns connections, each
// sending body (recsPerReq records) until total records were acknowledged
// or duration passed (whichever is set). It prints progress every second.
type produceLoad struct {
	url         string // e.g. http://127.0.0.1:1234/topics/t
	contentType string
	body        []byte
	recsPerReq  int
	conns       int
	total       int64         // records; 0 = use duration
	duration    time.Duration // 0 = use total
	label       string
}

type loadResult struct {
	records  int64
	requests int64
	elapsed  time.Duration
	latency  latencies     // of each request (krest loads only)
	cpu      time.Duration // CPU the native client's process spent (0: not measured)
	machine  machineUse    // the rest of the machine meanwhile (set by measure)
}

func (l produceLoad) run() (loadResult, error) {
	cl := &fasthttp.Client{MaxConnsPerHost: l.conns, ReadTimeout: time.Minute, WriteTimeout: time.Minute}
	var sent, done, reqs atomic.Int64
	var firstErr atomic.Value
	start := time.Now()
	deadline := time.Time{}
	if l.duration > 0 {
		deadline = start.Add(l.duration)
	}
	stop := make(chan struct{})
	go progress(l.label, &done, stop)
	var wg sync.WaitGroup
	var latMu sync.Mutex
	var lat latencies
	for range l.conns {
		wg.Go(func() {
			var mine latencies
			defer func() {
				latMu.Lock()
				lat = append(lat, mine...)
				latMu.Unlock()
			}()
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			req.SetRequestURI(l.url)
			req.Header.SetMethod("POST")
			req.Header.SetContentType(l.contentType)
			for {
				if l.total > 0 && sent.Add(int64(l.recsPerReq)) > l.total {
					return
				}
				if !deadline.IsZero() && time.Now().After(deadline) {
					return
				}
				req.SetBodyRaw(l.body)
				t0 := time.Now()
				if err := cl.Do(req, resp); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				if resp.StatusCode() != 200 || bytes.Contains(resp.Body(), []byte(`"error_code":5`)) {
					firstErr.CompareAndSwap(nil, fmt.Errorf("produce: %d %s", resp.StatusCode(), abbreviate(resp.Body())))
					return
				}
				mine = append(mine, time.Since(t0))
				done.Add(int64(l.recsPerReq))
				reqs.Add(1)
			}
		})
	}
	wg.Wait()
	close(stop)
	res := loadResult{records: done.Load(), requests: reqs.Load(), elapsed: time.Since(start), latency: lat}
	if err, _ := firstErr.Load().(error); err != nil {
		return res, err
	}
	return res, nil
}

// progress prints the rate of n once a second until stop closes.
func progress(label string, n *atomic.Int64, stop chan struct{}) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	last := int64(0)
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			cur := n.Load()
			fmt.Fprintf(os.Stderr, "  %-28s %10d records  %9.0f rec/s\n", label, cur, float64(cur-last))
			last = cur
		}
	}
}

func abbreviate(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "..."
	}
	return string(b)
}

// payload is the record value of every row: size random upper-case letters,
// generated once and sent in every record, as ProducerPerformance does.
func payload(size int) []byte {
	r := rand.New(rand.NewPCG(uint64(size), 42))
	v := make([]byte, size)
	for i := range v {
		v[i] = byte('A' + r.IntN(26))
	}
	return v
}

// base64Payload is payload(size) in base64, a binary-format value.
func base64Payload(size int) string { return base64.StdEncoding.EncodeToString(payload(size)) }

// binaryBody is a produce body of n records with payload(size) values.
func binaryBody(n, size int) []byte {
	enc := base64Payload(size)
	recs := make([]string, n)
	for i := range recs {
		recs[i] = `{"value":"` + enc + `"}`
	}
	return []byte(`{"records":[` + strings.Join(recs, ",") + `]}`)
}
