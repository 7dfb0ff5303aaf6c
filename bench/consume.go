package main

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

const v2 = "application/vnd.kafka.v2+json"

func httpJSON(method, url, body string) (int, string, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", v2)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String(), nil
}

// createInstance creates and subscribes one consumer instance.
func createInstance(base, group, name, topic, extra string) (string, error) {
	status, body, err := httpJSON("POST", base+"/consumers/"+group, `{"name":"`+name+`","format":"binary","auto.offset.reset":"earliest"`+extra+`}`)
	if err != nil || status != 200 {
		return "", fmt.Errorf("create instance: %d %s %v", status, body, err)
	}
	inst := base + "/consumers/" + group + "/instances/" + name
	if status, body, err = httpJSON("POST", inst+"/subscription", `{"topics":["`+topic+`"]}`); err != nil || status != 204 {
		return "", fmt.Errorf("subscribe: %d %s %v", status, body, err)
	}
	return inst, nil
}

// krestConsumer reads records of topic through n instances of one group,
// each polled by its own goroutine with a large max_bytes.
func krestConsumer(base, topic string, instances int, records int64) (loadResult, error) {
	group := fmt.Sprintf("krest-perf-%d", time.Now().UnixNano())
	var urls []string
	start := time.Now()
	for i := range instances {
		u, err := createInstance(base, group, fmt.Sprintf("c%d", i), topic, "")
		if err != nil {
			return loadResult{}, err
		}
		urls = append(urls, u)
	}
	fmt.Fprintf(os.Stderr, "  krest consumer: %d instances subscribed in %v\n", instances, time.Since(start).Round(time.Millisecond))
	cl := &fasthttp.Client{MaxConnsPerHost: instances, ReadTimeout: time.Minute}
	var n atomic.Int64
	var firstErr atomic.Value
	var first sync.Once
	stop := make(chan struct{})
	go progress("krest consumer", &n, stop)
	deadline := time.Now().Add(5 * time.Minute)
	var wg sync.WaitGroup
	for _, u := range urls {
		wg.Go(func() {
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			req.SetRequestURI(u + "/records?max_bytes=16777216&timeout=1000")
			req.Header.Set("Accept", "application/vnd.kafka.binary.v2+json")
			for n.Load() < records && time.Now().Before(deadline) {
				if err := cl.Do(req, resp); err != nil || resp.StatusCode() != 200 {
					firstErr.CompareAndSwap(nil, fmt.Errorf("read: %v %d %s", err, resp.StatusCode(), abbreviate(resp.Body())))
					return
				}
				got := int64(bytes.Count(resp.Body(), []byte(`"offset":`)))
				if got > 0 {
					first.Do(func() {
						fmt.Fprintf(os.Stderr, "  krest consumer: first records after %v\n", time.Since(start).Round(time.Millisecond))
					})
				}
				n.Add(got)
			}
		})
	}
	wg.Wait()
	close(stop)
	elapsed := time.Since(start)
	for _, u := range urls {
		httpJSON("DELETE", u, "")
	}
	if err, _ := firstErr.Load().(error); err != nil {
		return loadResult{}, err
	}
	if n.Load() < records {
		return loadResult{}, fmt.Errorf("krest consumer read %d of %d records", n.Load(), records)
	}
	return loadResult{records: n.Load(), elapsed: elapsed}, nil
}
