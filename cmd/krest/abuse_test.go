package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// peakRSS is the child's peak resident set (VmHWM), in MiB.
func peakRSS(t *testing.T, p *process) int {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				t.Fatal(err)
			}
			return kb / 1024
		}
	}
	t.Fatal("no VmHWM")
	return 0
}

// TestAbuseMemory sends the shapes that took krest to 11 GiB before its
// memory was bounded: 500 concurrent 8 MiB bodies, 8 concurrent requests
// of a million empty records, and requests at the record cap. krest's peak
// resident memory must stay within its budgets (request.memory.max.bytes
// and producer.buffer.memory, 64 MiB each here) plus a baseline of 160 MiB
// (the Go runtime, franz-go's buffers, the read and write buffers of 500
// connections), and krest must still answer afterwards.
func TestAbuseMemory(t *testing.T) {
	seeds := realSeeds(t)
	const budgets, baseline = 64 + 64, 160
	p := startKrest(t, "-bootstrap.servers", seeds,
		"-o", "request.memory.max.bytes=67108864", "-o", "producer.buffer.memory=67108864")
	topic := fmt.Sprintf("abuse-%d", time.Now().UnixNano())
	start := peakRSS(t, p)

	// 8 MiB bodies: nine records of 700 KiB each (Kafka takes 1 MiB).
	value := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{'x'}, 700<<10))
	var big bytes.Buffer
	big.WriteString(`{"records":[`)
	for i := range 9 {
		if i > 0 {
			big.WriteByte(',')
		}
		big.WriteString(`{"value":"` + value + `"}`)
	}
	big.WriteString(`]}`)
	million := []byte(`{"records":[` + strings.Repeat(`{},`, 999_999) + `{}]}`)
	atCap := []byte(`{"records":[` + strings.Repeat(`{},`, 99_999) + `{}]}`)

	client := &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{MaxConnsPerHost: 0, MaxIdleConnsPerHost: 500}}
	statuses := map[string]int{}
	var mu sync.Mutex
	send := func(n int, body []byte) {
		var wg sync.WaitGroup
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequest("POST", p.url+"/topics/"+topic, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/vnd.kafka.binary.v2+json")
				key := "refused" // reset while sending: krest answered 429 and closed
				if resp, err := client.Do(req); err == nil {
					resp.Body.Close()
					key = strconv.Itoa(resp.StatusCode)
				}
				mu.Lock()
				statuses[key]++
				mu.Unlock()
			}()
		}
		wg.Wait()
	}
	send(500, big.Bytes())
	t.Logf("500 × %d MiB: %v; peak RSS %d MiB", big.Len()>>20, statuses, peakRSS(t, p))
	if statuses["200"] == 0 || statuses["500"] > 0 || statuses["503"] > 0 {
		t.Errorf("8 MiB bodies: %v, want some 200s, the rest 429 or refused", statuses)
	}
	clear(statuses)
	send(8, million)
	t.Logf("8 × 10^6 empty records: %v; peak RSS %d MiB", statuses, peakRSS(t, p))
	if statuses["413"] != 8 {
		t.Errorf("a million records: %v, want 413 each", statuses)
	}
	clear(statuses)
	send(8, atCap)
	t.Logf("8 × 10^5 empty records: %v; peak RSS %d MiB", statuses, peakRSS(t, p))
	if statuses["200"] == 0 {
		t.Errorf("records at the cap: %v, want some 200s", statuses)
	}
	if peak := peakRSS(t, p); peak > budgets+baseline {
		t.Errorf("peak RSS %d MiB (%d at start), over the budgets (%d MiB) plus the baseline (%d MiB)", peak, start, budgets, baseline)
	}
	if status, _ := p.get(t, "/"); status != 200 {
		t.Errorf("GET / = %d after the abuse", status)
	}
}
