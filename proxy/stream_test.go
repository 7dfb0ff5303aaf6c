package proxy

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// openStream opens a streamed read of c with accept and returns its
// lines as they arrive, and a function that closes the stream.
func openStream(t *testing.T, c *restConsumer, accept string) (<-chan string, *http.Response, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", c.ts.url+c.path("/records"), nil)
	req.Header.Set("Accept", accept)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	lines := make(chan string, 1024)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	stop := func() {
		cancel()
		resp.Body.Close()
	}
	t.Cleanup(stop)
	return lines, resp, stop
}

// sseRecords collects the records of SSE data events until want arrived.
func sseRecords(t *testing.T, lines <-chan string, want int) []consumerRecordJSON {
	t.Helper()
	var out []consumerRecordJSON
	deadline := time.After(30 * time.Second)
	for len(out) < want {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the stream ended after %d of %d records", len(out), want)
			}
			if data, ok := strings.CutPrefix(l, "data: "); ok {
				var recs []consumerRecordJSON
				if err := json.Unmarshal([]byte(data), &recs); err != nil {
					t.Fatalf("event data %q: %v", data, err)
				}
				out = append(out, recs...)
			}
		case <-deadline:
			t.Fatalf("%d of %d records after 30 s", len(out), want)
		}
	}
	return out
}

func produceJSON(t *testing.T, ts *testServer, topic string, from, n int) {
	t.Helper()
	var recs []string
	for i := from; i < from+n; i++ {
		recs = append(recs, fmt.Sprintf(`{"value":{"n":%d}}`, i))
	}
	status, body, _ := ts.do(t, "POST", "/topics/"+topic, map[string]string{"Content-Type": "application/vnd.kafka.json.v2+json"},
		[]byte(`{"records":[`+strings.Join(recs, ",")+`]}`))
	if status != 200 {
		t.Fatalf("produce: %d %s", status, body)
	}
}

// TestStreamSSE: records produced while an SSE stream is open arrive on it,
// in order and complete; a second stream is 409; the instance polls again
// once the stream is closed, and idle streams get heartbeats.
func TestStreamSSE(t *testing.T) {
	b := realBroker(t)
	ts := startServer(t, b, map[string]string{"consumer.stream.heartbeat.ms": "200", "consumer.instance.timeout.ms": "1500"})
	topic := createTopic(t, b, 1)
	c := newRESTConsumer(t, ts, "sse-"+topic, `{"format":"json","auto.offset.reset":"earliest"}`)
	c.mustCall(t, "POST", "/subscription", `{"topics":["`+topic+`"]}`, 204)
	lines, resp, stop := openStream(t, c, "text/event-stream")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("stream: %d %v", resp.StatusCode, resp.Header)
	}
	if _, m, _ := ts.do(t, "GET", "/metrics", nil, nil); !strings.Contains(m, `krest_streams_open{kind="consumer_instance"} 1`) {
		t.Errorf("the open stream is not in /metrics")
	}
	// A second stream of the same instance.
	status, body, _ := ts.do(t, "GET", c.path("/records"), map[string]string{"Accept": "text/event-stream"}, nil)
	if status != 409 || body != `{"error_code":40903,"message":"Illegal state: the consumer instance already has an open stream; close it first"}` {
		t.Errorf("second stream: %d %s", status, body)
	}
	for i := 0; i < 3; i++ {
		produceJSON(t, ts, topic, i*10, 10)
	}
	got := sseRecords(t, lines, 30)
	for i, r := range got {
		if r.Offset != int64(i) || string(r.Value) != fmt.Sprintf(`{"n":%d}`, i) || r.Topic != topic {
			t.Fatalf("record %d: %+v", i, r)
		}
	}
	// Heartbeats while idle, for longer than the instance's idle expiry:
	// an open stream keeps its instance.
	time.Sleep(2 * time.Second)
	deadline := time.After(10 * time.Second)
	for beat := false; !beat; {
		select {
		case l := <-lines:
			beat = l == ":"
		case <-deadline:
			t.Fatal("no heartbeat within 10 s at 200 ms")
		}
	}
	stop()
	// Records a stream writes count as delivered even if the client has
	// just left; give krest the moment it takes to notice.
	time.Sleep(time.Second)
	produceJSON(t, ts, topic, 30, 1)
	eventually(t, 10*time.Second, "a poll after the stream", func() bool {
		status, body, _ := ts.do(t, "GET", c.path("/records?timeout=500"), map[string]string{"Accept": "application/vnd.kafka.json.v2+json"}, nil)
		return status == 200 && strings.Contains(body, `"value":{"n":30}`)
	})
}

// TestStreamNDJSON: one record per line, and a stream of an instance that
// is deleted ends with an error line.
func TestStreamNDJSON(t *testing.T) {
	b := realBroker(t)
	ts := startServer(t, b, nil)
	topic := createTopic(t, b, 1)
	c := newRESTConsumer(t, ts, "nd-"+topic, `{"format":"binary","auto.offset.reset":"earliest"}`)
	c.mustCall(t, "POST", "/subscription", `{"topics":["`+topic+`"]}`, 204)
	status, body, _ := ts.do(t, "POST", "/topics/"+topic, map[string]string{"Content-Type": "application/vnd.kafka.binary.v2+json"}, []byte(`{"records":[{"value":"YQ=="},{"value":"Yg=="}]}`))
	if status != 200 {
		t.Fatal(body)
	}
	lines, resp, _ := openStream(t, c, "application/x-ndjson")
	if resp.Header.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("content type %q", resp.Header.Get("Content-Type"))
	}
	for i, want := range []string{"YQ==", "Yg=="} {
		var r consumerRecordJSON
		l := <-lines
		if err := json.Unmarshal([]byte(l), &r); err != nil || string(r.Value) != `"`+want+`"` || r.Offset != int64(i) {
			t.Fatalf("line %d: %q", i, l)
		}
	}
	c.mustCall(t, "DELETE", "", "", 204)
	deadline := time.After(10 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("the stream ended without an error line")
			}
			if l == `{"error_code":40403,"message":"Consumer instance not found."}` {
				return
			}
		case <-deadline:
			t.Fatal("the stream of a deleted instance did not end")
		}
	}
}

// TestStreamCommitsWritten: with auto-commit, what a stream wrote counts as
// delivered and nothing else: a client that leaves mid-stream, then a new
// instance of the group, read every record once from where the writes
// stopped, with no gap.
func TestStreamCommitsWritten(t *testing.T) {
	b := realBroker(t)
	ts := startServer(t, b, nil)
	topic := createTopic(t, b, 1)
	group := "sc-" + topic
	// Far more than socket buffers hold: the stream must stop writing
	// when the client stops reading.
	const n = 20000
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.seeds...), kgo.DefaultProduceTopic(topic))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	pad := strings.Repeat("x", 1000)
	for i := 0; i < n; i++ {
		cl.Produce(context.Background(), &kgo.Record{Value: []byte(fmt.Sprintf(`{"n":%d,"pad":"%s"}`, i, pad))}, nil)
	}
	if err := cl.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := newRESTConsumer(t, ts, group, `{"format":"json","auto.offset.reset":"earliest","auto.commit.enable":"true"}`)
	c.mustCall(t, "POST", "/subscription", `{"topics":["`+topic+`"]}`, 204)
	lines, _, stop := openStream(t, c, "application/x-ndjson")
	var last int64 = -1
	for i := 0; i < 20; i++ {
		var r consumerRecordJSON
		if err := json.Unmarshal([]byte(<-lines), &r); err != nil || r.Offset != last+1 {
			t.Fatalf("record %d: %+v %v", i, r, err)
		}
		last = r.Offset
	}
	stop()
	// The instance leaves its group on delete, committing what was written.
	time.Sleep(500 * time.Millisecond)
	c.mustCall(t, "DELETE", "", "", 204)
	c2 := newRESTConsumer(t, ts, group, `{"format":"json","auto.offset.reset":"earliest"}`)
	c2.mustCall(t, "POST", "/subscription", `{"topics":["`+topic+`"]}`, 204)
	var first int64 = -1
	var next int64
	eventually(t, 30*time.Second, "the rest of the records", func() bool {
		_, body, _ := ts.do(t, "GET", c2.path("/records?timeout=500"), map[string]string{"Accept": "application/vnd.kafka.json.v2+json"}, nil)
		var recs []consumerRecordJSON
		if err := json.Unmarshal([]byte(body), &recs); err != nil {
			t.Fatalf("read: %s", body)
		}
		for _, r := range recs {
			if first < 0 {
				first, next = r.Offset, r.Offset
			}
			if r.Offset != next {
				t.Fatalf("gap: offset %d after %d", r.Offset, next-1)
			}
			next++
		}
		return next == n
	})
	if first <= last {
		t.Errorf("the new instance re-read offset %d, which the stream delivered (last %d)", first, last)
	}
	t.Logf("the client read up to offset %d; the stream had written up to %d; the new instance read %d..%d", last, first-1, first, n-1)
}

// TestStreamFlowControl: a client that reads nothing while a lot is
// produced makes krest stop fetching, not buffer: its heap stays flat.
func TestStreamFlowControl(t *testing.T) {
	b := realBroker(t)
	ts := startServer(t, b, map[string]string{"consumer.buffer.max.bytes": "4194304"})
	topic := createTopic(t, b, 1)
	c := newRESTConsumer(t, ts, "fc-"+topic, `{"format":"binary","auto.offset.reset":"earliest"}`)
	c.mustCall(t, "POST", "/subscription", `{"topics":["`+topic+`"]}`, 204)
	req, _ := http.NewRequest("GET", ts.url+c.path("/records"), nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close() // never read
	opened := time.Now()
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.seeds...), kgo.DefaultProduceTopic(topic), kgo.ProducerLinger(5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	const total = 1 << 30
	value := make([]byte, 1<<10)
	for i := 0; i < total>>10; i++ {
		cl.Produce(context.Background(), &kgo.Record{Value: value}, nil)
	}
	if err := cl.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The client stays silent for 30 s in all; the heap is sampled every
	// 5 s of it.
	var peak int64
	for time.Since(opened) < 30*time.Second {
		time.Sleep(5 * time.Second)
		runtime.GC()
		var now runtime.MemStats
		runtime.ReadMemStats(&now)
		peak = max(peak, int64(now.HeapAlloc)-int64(before.HeapAlloc))
	}
	t.Logf("%d MiB produced while the client read nothing for 30 s; krest's heap grew at most %.1f MiB", total>>20, float64(peak)/(1<<20))
	if peak > 64<<20 {
		t.Errorf("heap grew %d bytes", peak)
	}
	_, _ = io.CopyN(io.Discard, resp.Body, 1) // the stream is alive
}
