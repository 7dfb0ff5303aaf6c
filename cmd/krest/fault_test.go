//go:build faults

// The fault suite kills the broker, so it runs on a broker of its own
// (make faults, part of make test), never beside the other tests.

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/krest-dev/krest/proxy/testenv"
)

// faultBroker returns the seeds of the fault suite's broker, its pid file
// and its restart script.
func faultBroker(t *testing.T) (seeds, pidFile, restart string) {
	t.Helper()
	b := testenv.FaultBroker(t)
	return strings.Join(b.Seeds, ","), b.PIDFile, b.Restart
}

// loader produces records with unique ids through krest from a few
// goroutines and remembers which ids krest acknowledged.
type loader struct {
	url, topic string
	client     *http.Client

	mu         sync.Mutex
	acked      map[string]bool
	sent       int
	failed     int
	maxLatency time.Duration
	stop       chan struct{}
	wg         sync.WaitGroup
}

func startLoad(url, topic string, workers int) *loader {
	l := &loader{url: url, topic: topic, client: &http.Client{Timeout: 2 * time.Minute}, acked: map[string]bool{}, stop: make(chan struct{})}
	for w := range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; ; i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				l.send(w, i)
			}
		}()
	}
	return l
}

func (l *loader) send(w, i int) {
	var ids []string
	var recs []string
	for r := range 10 {
		id := fmt.Sprintf("%d-%d-%d", w, i, r)
		ids = append(ids, id)
		recs = append(recs, `{"value":"`+id+`"}`)
	}
	start := time.Now()
	resp, err := l.client.Post(l.url+"/topics/"+l.topic, "application/vnd.kafka.json.v2+json", strings.NewReader(`{"records":[`+strings.Join(recs, ",")+`]}`))
	took := time.Since(start)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sent += len(ids)
	l.maxLatency = max(l.maxLatency, took)
	if err != nil {
		l.failed += len(ids)
		time.Sleep(50 * time.Millisecond)
		return
	}
	defer resp.Body.Close()
	var pr struct {
		Offsets []struct {
			Offset    *int64 `json:"offset"`
			ErrorCode *int   `json:"error_code"`
		} `json:"offsets"`
	}
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&pr) != nil || len(pr.Offsets) != len(ids) {
		l.failed += len(ids)
		return
	}
	for k, o := range pr.Offsets {
		if o.Offset != nil && o.ErrorCode == nil {
			l.acked[ids[k]] = true
		} else {
			l.failed++
		}
	}
}

func (l *loader) finish() {
	close(l.stop)
	l.wg.Wait()
}

func (l *loader) ackedCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

// checkExactlyOnce reads the whole topic and checks that every id krest
// acknowledged is there exactly once.
func checkExactlyOnce(t *testing.T, seeds, topic string, acked map[string]bool) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(seeds, ",")...), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	end, _ := ends.Lookup(topic, 0)
	seen := map[string]int{}
	var read int64
	for read < end.Offset && ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		fs.EachRecord(func(r *kgo.Record) {
			var id string
			if json.Unmarshal(r.Value, &id) == nil {
				seen[id]++
			}
			read = r.Offset + 1
		})
	}
	if read < end.Offset {
		t.Fatalf("read %d of %d records", read, end.Offset)
	}
	lost, dup := 0, 0
	for id := range acked {
		switch seen[id] {
		case 0:
			lost++
		case 1:
		default:
			dup++
		}
	}
	t.Logf("%d records in the topic, %d acknowledged: %d lost, %d duplicated", end.Offset, len(acked), lost, dup)
	if lost > 0 || dup > 0 {
		t.Errorf("acknowledged records: %d lost, %d duplicated", lost, dup)
	}
}

func createFaultTopic(t *testing.T, seeds, name string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(seeds, ",")...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 1, 1, nil, name); err != nil {
		t.Fatal(err)
	}
}

// TestFaultBrokerKill: the broker is killed with -9 under load and started
// again on the same ports and data. Requests made while it is down are
// answered within the delivery timeout, krest recovers without a restart,
// and every record krest acknowledged is in the topic exactly once.
func TestFaultBrokerKill(t *testing.T) {
	seeds, pidFile, restart := faultBroker(t)
	topic := fmt.Sprintf("fault-kill-%d", time.Now().UnixNano())
	createFaultTopic(t, seeds, topic)
	const delivery = 8 * time.Second
	p := startKrest(t, "-bootstrap.servers", seeds, "-o", "producer.delivery.timeout.ms="+strconv.Itoa(int(delivery/time.Millisecond)))
	l := startLoad(p.url, topic, 4)
	time.Sleep(3 * time.Second)
	before := l.ackedCount()
	pid, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("kill", "-9", strings.TrimSpace(string(pid))).CombinedOutput(); err != nil {
		t.Fatalf("kill -9 the broker: %v %s", err, out)
	}
	// Readiness follows the broker: 503 while it is down, 200 once back.
	waitReady := func(want int) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			status, body := p.get(t, "/-/ready")
			if status == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("/-/ready stayed %d %s, want %d", status, body, want)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	waitReady(503)
	time.Sleep(2 * time.Second)
	if out, err := exec.Command(restart).CombinedOutput(); err != nil {
		t.Fatalf("restart the broker: %v %s", err, out)
	}
	waitReady(200)
	restarted := l.ackedCount()
	deadline := time.Now().Add(60 * time.Second)
	for l.ackedCount() < restarted+500 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	l.finish()
	t.Logf("acknowledged: %d before the kill, %d when the broker was back, %d in all; %d of %d records failed; slowest answer %v",
		before, restarted, len(l.acked), l.failed, l.sent, l.maxLatency)
	if len(l.acked) < restarted+500 {
		t.Errorf("krest did not recover: %d records acknowledged after the broker came back", len(l.acked)-restarted)
	}
	if l.maxLatency > delivery+10*time.Second {
		t.Errorf("a request took %v with producer.delivery.timeout.ms=%v", l.maxLatency, delivery)
	}
	checkExactlyOnce(t, seeds, topic, l.acked)
	p.stop(t)
}

// TestFaultKrestSigterm: SIGTERM under load loses no acknowledged record.
func TestFaultKrestSigterm(t *testing.T) {
	seeds, _, _ := faultBroker(t)
	topic := fmt.Sprintf("fault-sigterm-%d", time.Now().UnixNano())
	createFaultTopic(t, seeds, topic)
	p := startKrest(t, "-bootstrap.servers", seeds)
	l := startLoad(p.url, topic, 4)
	time.Sleep(3 * time.Second)
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("krest exited %v after SIGTERM with the broker up:\n%s", err, p.stderr.String())
		}
	case <-time.After(40 * time.Second):
		t.Fatalf("krest did not exit:\n%s", p.stderr.String())
	}
	l.finish()
	t.Logf("%d records acknowledged, %d of %d failed (after SIGTERM)", len(l.acked), l.failed, l.sent)
	if len(l.acked) == 0 {
		t.Fatal("nothing was acknowledged: the test proves nothing")
	}
	checkExactlyOnce(t, seeds, topic, l.acked)
}

// TestFaultStreamsBrokerKill: streams do not hang silently when the broker
// dies: an instance stream and a topic tail each end with an SSE error
// event carrying a JSON error.
func TestFaultStreamsBrokerKill(t *testing.T) {
	seeds, pidFile, restart := faultBroker(t)
	topic := fmt.Sprintf("fault-stream-%d", time.Now().UnixNano())
	createFaultTopic(t, seeds, topic)
	p := startKrest(t, "-bootstrap.servers", seeds, "-o", "consumer.stream.heartbeat.ms=1000")
	do := func(method, path, ct, body string) (int, string) {
		req, _ := http.NewRequest(method, p.url+path, strings.NewReader(body))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b := new(strings.Builder)
		_, _ = io.Copy(b, resp.Body)
		return resp.StatusCode, b.String()
	}
	const v2 = "application/vnd.kafka.v2+json"
	if code, body := do("POST", "/consumers/fs", v2, `{"name":"i","format":"json","auto.offset.reset":"earliest"}`); code != 200 {
		t.Fatalf("create: %d %s", code, body)
	}
	if code, body := do("POST", "/consumers/fs/instances/i/subscription", v2, `{"topics":["`+topic+`"]}`); code != 204 {
		t.Fatalf("subscribe: %d %s", code, body)
	}
	_, clusters := do("GET", "/v3/clusters", "", "")
	var cl struct {
		Data []struct {
			ID string `json:"cluster_id"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(clusters), &cl); err != nil || len(cl.Data) != 1 {
		t.Fatalf("clusters: %s", clusters)
	}
	open := func(path string) <-chan string {
		req, _ := http.NewRequest("GET", p.url+path, nil)
		req.Header.Set("Accept", "text/event-stream")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("open %s: %v", path, err)
		}
		lines := make(chan string, 1024)
		go func() {
			defer close(lines)
			defer resp.Body.Close()
			sc := bufio.NewScanner(resp.Body)
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				lines <- sc.Text()
			}
		}()
		return lines
	}
	streams := map[string]<-chan string{
		"instance": open("/consumers/fs/instances/i/records"),
		"tail":     open("/v3/clusters/" + cl.Data[0].ID + "/topics/" + topic + "/records"),
	}
	if code, body := do("POST", "/topics/"+topic, "application/vnd.kafka.json.v2+json", `{"records":[{"value":1}]}`); code != 200 {
		t.Fatalf("produce: %d %s", code, body)
	}
	for name, lines := range streams {
		waitLine(t, name, lines, 30*time.Second, func(l string) bool { return strings.HasPrefix(l, "data: ") })
	}
	pid, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("kill", "-9", strings.TrimSpace(string(pid))).CombinedOutput(); err != nil {
		t.Fatalf("kill -9 the broker: %v %s", err, out)
	}
	defer func() {
		if out, err := exec.Command(restart).CombinedOutput(); err != nil {
			t.Fatalf("restart the broker: %v %s", err, out)
		}
	}()
	for name, lines := range streams {
		waitLine(t, name, lines, 60*time.Second, func(l string) bool { return l == "event: error" })
		data := waitLine(t, name, lines, 5*time.Second, func(l string) bool { return strings.HasPrefix(l, "data: ") })
		var e struct {
			Code    int    `json:"error_code"`
			Message string `json:"message"`
		}
		if err := json.Unmarshal([]byte(strings.TrimPrefix(data, "data: ")), &e); err != nil || e.Code == 0 || e.Message == "" {
			t.Errorf("%s: error event %q", name, data)
		}
		t.Logf("%s stream ended with %s", name, data)
	}
	p.stop(t)
}

// waitLine returns the first line of lines that ok accepts, failing after
// d or at the stream's end.
func waitLine(t *testing.T, name string, lines <-chan string, d time.Duration, ok func(string) bool) string {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case l, open := <-lines:
			if !open {
				t.Fatalf("%s: the stream ended first", name)
			}
			if ok(l) {
				return l
			}
		case <-deadline:
			t.Fatalf("%s: nothing after %v", name, d)
		}
	}
}
