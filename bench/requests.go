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

// krestCounts is what krest's producer (index 0) and its consumers (index
// 1, every instance's) have asked of the brokers: requests of every kind
// (produce and fetch requests, mostly), and those that took over
// slowRequest.
type krestCounts struct{ all, slow [2]int64 }

// krestRequests reads krest's request counts from its /metrics (-1 each
// when it cannot).
func krestRequests(base string) krestCounts {
	code, body, err := fasthttp.Get(nil, base+"/metrics")
	if err != nil || code != 200 {
		return krestCounts{all: [2]int64{-1, -1}, slow: [2]int64{-1, -1}}
	}
	var c krestCounts
	var fast [2]int64
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
		n, _ := strconv.ParseInt(string(line[bytes.LastIndexByte(line, ' ')+1:]), 10, 64)
		switch {
		case bytes.HasPrefix(line, []byte("krest_kafka_request_duration_seconds_count{")):
			c.all[i] = n
		case bytes.HasPrefix(line, []byte("krest_kafka_request_duration_seconds_bucket{")) && bytes.Contains(line, []byte(`le="0.1"`)):
			fast[i] = n
		}
	}
	c.slow = [2]int64{c.all[0] - fast[0], c.all[1] - fast[1]}
	return c
}

// since returns the counts made after before.
func (c krestCounts) since(before krestCounts) krestCounts {
	for i := range 2 {
		c.all[i] -= before.all[i]
		c.slow[i] -= before.slow[i]
	}
	return c
}
