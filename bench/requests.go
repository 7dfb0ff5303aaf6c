package main

import (
	"bufio"
	"bytes"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/valyala/fasthttp"
)

// brokerRequests counts the produce and fetch requests a franz-go client
// writes to the brokers, as a kgo hook: the broker's cost follows their
// number more than the bytes they carry (row 12 prints both sides').
type brokerRequests struct {
	produce, fetch atomic.Int64
	// slowProduce and slowFetch count the requests answered more than
	// slowRequest after they were written.
	slowProduce, slowFetch atomic.Int64
}

// slowRequest is how long a Kafka request may take before row 12 counts it
// as slow (krest's histogram has a bucket there).
const slowRequest = 100 * time.Millisecond

var (
	_ kgo.HookBrokerWrite = (*brokerRequests)(nil)
	_ kgo.HookBrokerE2E   = (*brokerRequests)(nil)
)

// franzRequests counts the requests of the latency rows' franz-go clients.
var franzRequests brokerRequests

func (c *brokerRequests) OnBrokerWrite(_ kgo.BrokerMetadata, key int16, _ int, _, _ time.Duration, err error) {
	if err == nil {
		countKey(key, &c.produce, &c.fetch)
	}
}

func (c *brokerRequests) OnBrokerE2E(_ kgo.BrokerMetadata, key int16, e kgo.BrokerE2E) {
	if e.Err() == nil && e.WriteWait+e.TimeToWrite+e.ReadWait+e.TimeToRead > slowRequest {
		countKey(key, &c.slowProduce, &c.slowFetch)
	}
}

// countKey adds one to produce or fetch when key is that request's.
func countKey(key int16, produce, fetch *atomic.Int64) {
	switch key {
	case 0:
		produce.Add(1)
	case 1:
		fetch.Add(1)
	}
}

// krestSlowRequests reads from krest's /metrics how many requests its
// producer and its consumers took more than slowRequest over.
func krestSlowRequests(base string) (producer, consumer int64) {
	code, body, err := fasthttp.Get(nil, base+"/metrics")
	if err != nil || code != 200 {
		return -1, -1
	}
	var total, fast [2]int64
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		i := 0
		switch {
		case bytes.Contains(line, []byte(`client="producer"`)):
		case bytes.Contains(line, []byte(`client="consumer"`)):
			i = 1
		default:
			continue
		}
		v := line[bytes.LastIndexByte(line, ' ')+1:]
		n, _ := strconv.ParseInt(string(v), 10, 64)
		switch {
		case bytes.HasPrefix(line, []byte("krest_kafka_request_duration_seconds_count{")):
			total[i] = n
		case bytes.HasPrefix(line, []byte("krest_kafka_request_duration_seconds_bucket{")) && bytes.Contains(line, []byte(`le="0.1"`)):
			fast[i] = n
		}
	}
	return total[0] - fast[0], total[1] - fast[1]
}

// krestRequests reads from krest's /metrics how many requests its producer
// and its consumers (every instance's) have made to the brokers, of every
// kind: produce and fetch requests, mostly.
func krestRequests(base string) (producer, consumer int64) {
	code, body, err := fasthttp.Get(nil, base+"/metrics")
	if err != nil || code != 200 {
		return -1, -1
	}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		for _, c := range []struct {
			prefix string
			n      *int64
		}{
			{`krest_kafka_request_duration_seconds_count{client="producer"} `, &producer},
			{`krest_kafka_request_duration_seconds_count{client="consumer"} `, &consumer},
		} {
			if v, ok := bytes.CutPrefix(line, []byte(c.prefix)); ok {
				*c.n, _ = strconv.ParseInt(string(v), 10, 64)
			}
		}
	}
	return producer, consumer
}
