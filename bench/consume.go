package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

const v2 = "application/vnd.kafka.v2+json"

// httpJSON sends a request with a v2 JSON body (or none).
func httpJSON(method, url, body string) (int, string, error) {
	return httpDo(method, url, v2, body)
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

// krestConsumer reads records of topic (of partitions partitions) through n
// instances of one group, each polled by its own goroutine with a large
// max_bytes, and times the reads from the moment the group is balanced.
// mark runs when the clock starts and when it stops.
func krestConsumer(base, topic string, partitions, instances int, records int64, mark func()) (loadResult, error) {
	group := fmt.Sprintf("krest-perf-%d", time.Now().UnixNano())
	var urls []string
	created := time.Now()
	for i := range instances {
		u, err := createInstance(base, group, fmt.Sprintf("c%d", i), topic, "")
		if err != nil {
			return loadResult{}, err
		}
		urls = append(urls, u)
	}
	// The clock starts once the group is stable, every instance holding
	// partitions: ConsumerPerformance's fetch.nMsg.sec, the Java figure
	// this row compares with, likewise leaves out its join. (A group of
	// several members forms over one or two heartbeats, 3 s each.)
	if err := awaitBalanced(urls, partitions); err != nil {
		return loadResult{}, err
	}
	fmt.Fprintf(os.Stderr, "  krest consumer: %d instances subscribed and balanced in %v\n", instances, time.Since(created).Round(time.Millisecond))
	mark()
	start := time.Now()
	cl := &fasthttp.Client{MaxConnsPerHost: instances, ReadTimeout: time.Minute}
	var n atomic.Int64
	var firstErr atomic.Value
	var first, last sync.Once
	var end time.Time
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
			// Read every response into the same buffer. Without this the
			// client hands the body back to fasthttp's pool after each
			// read, and the pool, calibrated by the small responses of
			// the rows before, drops a multi-MB buffer: every read then
			// allocated and cleared ~4 MiB, ~1 CPU-s/GB on the cores
			// krest shares with the load generator.
			resp.KeepBodyBuffer = true
			for n.Load() < records && time.Now().Before(deadline) {
				if err := cl.Do(req, resp); err != nil || resp.StatusCode() != 200 {
					firstErr.CompareAndSwap(nil, fmt.Errorf("read: %v %d %s", err, resp.StatusCode(), abbreviate(resp.Body())))
					return
				}
				// One '{' per record: the binary format's record objects
				// hold no nested object without headers, and base64 has
				// no '{'. (Counting a one-byte pattern is vectorised;
				// counting `"offset":` cost the client half a core.)
				got := int64(bytes.Count(resp.Body(), []byte{'{'}))
				if got > 0 {
					first.Do(func() {
						fmt.Fprintf(os.Stderr, "  krest consumer: first records after %v\n", time.Since(start).Round(time.Millisecond))
					})
				}
				if n.Add(got) >= records {
					// The last record is in: the others' long polls
					// may now wait out their timeout, uncounted.
					last.Do(func() {
						end = time.Now()
						mark()
					})
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	elapsed := end.Sub(start)
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

// awaitBalanced waits until every instance holds partitions and together
// they hold all of them.
func awaitBalanced(urls []string, partitions int) error {
	deadline := time.Now().Add(time.Minute)
	for {
		total, empty := 0, false
		for _, u := range urls {
			status, body, err := httpJSON("GET", u+"/assignments", "")
			if err != nil || status != 200 {
				return fmt.Errorf("assignments: %d %s %v", status, body, err)
			}
			n := strings.Count(body, `"partition":`)
			total += n
			empty = empty || n == 0
		}
		if total == partitions && !empty {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("group not balanced after a minute (%d of %d partitions held)", total, partitions)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
