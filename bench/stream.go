package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
)

// streamLoad drives krest's v3 streaming produce: conns connections, each
// one long chunked request carrying total/conns records, its results read
// as they arrive.
type streamLoad struct {
	url   string // …/v3/clusters/any/topics/t/records
	size  int
	conns int
	total int64
	label string
}

func (l streamLoad) run() (loadResult, error) {
	rec := []byte(`{"value":{"type":"BINARY","data":"` + base64Payload(l.size) + `"}}` + "\n")
	tr := &http.Transport{MaxConnsPerHost: l.conns, DisableCompression: true, WriteBufferSize: 64 << 10, ReadBufferSize: 64 << 10}
	defer tr.CloseIdleConnections()
	cl := &http.Client{Transport: tr}
	var done atomic.Int64
	stop := make(chan struct{})
	go progress(l.label, &done, stop)
	defer close(stop)
	var wg sync.WaitGroup
	errs := make(chan error, l.conns)
	start := time.Now()
	for i := range l.conns {
		n := l.total / int64(l.conns)
		if int64(i) < l.total%int64(l.conns) {
			n++
		}
		wg.Go(func() {
			body := &recordsReader{rec: rec, left: n}
			req, _ := http.NewRequest("POST", l.url, body)
			req.Header.Set("Content-Type", "application/json")
			req.ContentLength = -1
			resp, err := cl.Do(req)
			if err != nil {
				errs <- err
				return
			}
			defer resp.Body.Close()
			sc := bufio.NewScanner(resp.Body)
			sc.Buffer(make([]byte, 64<<10), 1<<20)
			var got int64
			for sc.Scan() {
				if !bytes.HasPrefix(sc.Bytes(), []byte(`{"error_code":200,`)) {
					errs <- fmt.Errorf("stream result: %s", sc.Bytes())
					return
				}
				got++
				done.Add(1)
			}
			if got != n {
				errs <- fmt.Errorf("stream: %d results for %d records (%v)", got, n, sc.Err())
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return loadResult{}, err
	}
	return loadResult{records: done.Load(), requests: int64(l.conns), elapsed: time.Since(start)}, nil
}

// row1Java is row 1's Java figure, which row 6 is measured against.
var row1Java *metric

// Row 6: v3 streaming produce, 1 KiB binary values, one long request on
// each of 8 connections; compared with row 1's Java and franz-go figures.
func rowProduceStream(cfg config, k *krestProc, adm *kadm.Client) (row, error) {
	const size = 1024
	r := row{Name: "6 produce v3 stream 1 KiB, 8 conns"}
	topic, err := createTopic(adm, "bench-stream-krest", 4)
	if err != nil {
		return r, err
	}
	res, err := measure(k, &r, size, whole(streamLoad{
		url: k.url + "/v3/clusters/any/topics/" + topic + "/records", size: size, conns: 8,
		total: cfg.scale.produceRecords, label: "krest v3 stream",
	}.run))
	if err != nil {
		return r, err
	}
	r.Krest = toMetric(res, size)
	r.Java = row1Java
	if r.Franz, err = baseline(size, onNewTopic(adm, "bench-stream-franz", 4, func(topic string) (loadResult, error) {
		return franzProducerProcess(cfg.brokers, topic, cfg.scale.produceRecords, 0, size, 8, false)
	})); err != nil {
		return r, err
	}
	ratios(&r)
	return r, nil
}

// recordsReader yields rec left times, in large reads, without copying
// the records through a pipe: the load generator shares the machine with
// krest and should cost it as little as possible.
type recordsReader struct {
	rec  []byte
	left int64
	off  int // into rec, of a record cut by the previous read
}

func (r *recordsReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && r.left > 0 {
		c := copy(p[n:], r.rec[r.off:])
		n += c
		r.off += c
		if r.off == len(r.rec) {
			r.off = 0
			r.left--
		}
	}
	if n == 0 && r.left == 0 {
		return 0, io.EOF
	}
	return n, nil
}
