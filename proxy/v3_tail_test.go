package proxy

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// tailEvent is one SSE event of a topic tail.
type tailEvent struct {
	id      string
	records []struct {
		Partition int32 `json:"partition_id"`
		Offset    int64 `json:"offset"`
		Value     struct {
			Type string          `json:"type"`
			Data json.RawMessage `json:"data"`
		} `json:"value"`
	}
}

// openTail opens a tail and returns its events as they arrive.
func openTail(t *testing.T, ts *testServer, path, lastID string) (<-chan tailEvent, func()) {
	t.Helper()
	var headers map[string]string
	if lastID != "" {
		headers = map[string]string{"Last-Event-ID": lastID}
	}
	return openTailWith(t, ts, path, headers)
}

// openTailWith is openTail with these request headers.
func openTailWith(t *testing.T, ts *testServer, path string, headers map[string]string) (<-chan tailEvent, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.url+path, nil)
	req.Header.Set("Accept", "text/event-stream")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		cancel()
		t.Fatalf("tail: %d", resp.StatusCode)
	}
	events := make(chan tailEvent, 256)
	go func() {
		defer close(events)
		defer resp.Body.Close()
		var ev tailEvent
		buf := make([]byte, 0, 1<<20)
		var line []byte
		one := make([]byte, 64<<10)
		for {
			n, err := resp.Body.Read(one)
			buf = append(buf, one[:n]...)
			for {
				i := strings.IndexByte(string(buf), '\n')
				if i < 0 {
					break
				}
				line, buf = buf[:i], buf[i+1:]
				l := string(line)
				switch {
				case strings.HasPrefix(l, "data: "):
					if err := json.Unmarshal([]byte(l[6:]), &ev.records); err != nil {
						panic(fmt.Sprintf("event data %q: %v", l, err))
					}
				case strings.HasPrefix(l, "id: "):
					ev.id = l[4:]
				case l == "" && (ev.id != "" || ev.records != nil):
					events <- ev
					ev = tailEvent{}
				}
			}
			if err != nil {
				return
			}
		}
	}()
	return events, func() { cancel(); resp.Body.Close() }
}

// collect reads events until want records came; it returns them by
// partition and the last event's id.
func collect(t *testing.T, events <-chan tailEvent, want int) (map[int32][]int64, string) {
	t.Helper()
	got := map[int32][]int64{}
	n, id := 0, ""
	deadline := time.After(30 * time.Second)
	for n < want {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("the tail ended after %d of %d records", n, want)
			}
			for _, r := range ev.records {
				got[r.Partition] = append(got[r.Partition], r.Offset)
				n++
			}
			id = ev.id
		case <-deadline:
			t.Fatalf("%d of %d records after 30 s", n, want)
		}
	}
	return got, id
}

func produceTo(t *testing.T, b backend, topic string, partition int32, n int) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.seeds...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for i := 0; i < n; i++ {
		if err := cl.ProduceSync(context.Background(), &kgo.Record{Topic: topic, Partition: partition, Value: []byte(fmt.Sprintf("p%d-%d", partition, i))}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestV3Tail: a topic tail delivers every partition's records as they are
// produced, resumes after a reconnect with Last-Event-ID with no gap and
// no duplicate, picks up a partition added while it runs, and refuses bad
// input before it starts.
func TestV3Tail(t *testing.T) { eachV3Backend(t, testV3Tail) }

func testV3Tail(t *testing.T, b backend) {
	ts, cluster := v3ServerOn(t, b, nil)
	topic := createTopic(t, b, 2)
	path := "/v3/clusters/" + cluster + "/topics/" + topic + "/records"
	produceTo(t, b, topic, 0, 3)
	produceTo(t, b, topic, 1, 2)
	events, stop := openTail(t, ts, path+"?from=earliest", "")
	got, id := collect(t, events, 5)
	if fmt.Sprint(got) != "map[0:[0 1 2] 1:[0 1]]" || id != "0:3,1:2" {
		t.Fatalf("first records %v, id %q", got, id)
	}
	produceTo(t, b, topic, 1, 2)
	got, id = collect(t, events, 2)
	if fmt.Sprint(got) != "map[1:[2 3]]" || id != "0:3,1:4" {
		t.Fatalf("live records %v, id %q", got, id)
	}
	stop()
	// Produced while nobody listens; a reconnect resumes exactly there.
	produceTo(t, b, topic, 0, 2)
	produceTo(t, b, topic, 1, 1)
	events, stop = openTail(t, ts, path, id)
	got, id = collect(t, events, 3)
	if fmt.Sprint(got) != "map[0:[3 4] 1:[4]]" || id != "0:5,1:5" {
		t.Fatalf("resumed records %v, id %q", got, id)
	}
	// A partition added while the tail runs.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := adminFor(t, b).CreatePartitions(ctx, 1, topic); err != nil {
		t.Fatal(err)
	}
	produceTo(t, b, topic, 2, 2)
	got, id = collect(t, events, 2)
	if fmt.Sprint(got) != "map[2:[0 1]]" || id != "0:5,1:5,2:2" {
		t.Fatalf("new partition %v, id %q", got, id)
	}
	stop()
	// from=latest sees only what comes after.
	events, stop = openTail(t, ts, path+"?from=latest", "")
	time.Sleep(500 * time.Millisecond)
	produceTo(t, b, topic, 0, 1)
	got, _ = collect(t, events, 1)
	if fmt.Sprint(got) != "map[0:[5]]" {
		t.Fatalf("latest: %v", got)
	}
	stop()

	for _, tc := range []struct {
		path, accept, last string
		code               int
		body               string
	}{
		{path + "?from=yesterday", "text/event-stream", "", 400, `{"error_code":400,"message":"Bad Request: from must be earliest, latest or a timestamp in milliseconds since the epoch"}`},
		{path + "?from=-5", "text/event-stream", "", 400, `{"error_code":400,"message":"Bad Request: from must be earliest, latest or a timestamp in milliseconds since the epoch"}`},
		{path, "text/event-stream", "garbage", 400, `{"error_code":400,"message":"Bad Request: Last-Event-ID must be an event id of this stream: \"partition:offset\" pairs, comma separated"}`},
		{path, "text/event-stream", "0:1,0:2", 400, `{"error_code":400,"message":"Bad Request: Last-Event-ID must be an event id of this stream: \"partition:offset\" pairs, comma separated"}`},
		{path, "text/event-stream", "0:-1", 400, `{"error_code":400,"message":"Bad Request: Last-Event-ID must be an event id of this stream: \"partition:offset\" pairs, comma separated"}`},
		{path, "text/event-stream", "9:0", 404, `{"error_code":40402,"message":"Partition not found."}`},
		{path, "text/event-stream", "0:999", 404, `{"error_code":40402,"message":"Partition 0 holds offsets 0 to 6; Last-Event-ID asks for 999"}`},
		{"/v3/clusters/" + cluster + "/topics/no-such-topic-here/records", "text/event-stream", "", 404, `{"error_code":40403,"message":"This server does not host this topic-partition."}`},
		{"/v3/clusters/nope/topics/" + topic + "/records", "text/event-stream", "", 404, `{"error_code":404,"message":"Cluster nope cannot be found."}`},
		{path, "application/json", "", 406, `{"error_code":406,"message":"HTTP 406 Not Acceptable"}`},
		{path + "?format=xml", "text/event-stream", "", 400, `{"error_code":400,"message":"Bad Request: format=xml is not one of binary, json and string"}`},
	} {
		h := map[string]string{"Accept": tc.accept}
		if tc.last != "" {
			h["Last-Event-ID"] = tc.last
		}
		code, body, _ := ts.do(t, "GET", tc.path, h, nil)
		if code != tc.code || body != tc.body {
			t.Errorf("%s (Last-Event-ID %q): %d %s, want %d %s", tc.path, tc.last, code, body, tc.code, tc.body)
		}
	}
}

// TestV3TailNDJSON: one KafkaRecord per line, and a deleted topic ends the
// stream with an error line.
func TestV3TailNDJSON(t *testing.T) { eachV3Backend(t, testV3TailNDJSON) }

func testV3TailNDJSON(t *testing.T, b backend) {
	ts, cluster := v3ServerOn(t, b, map[string]string{"consumer.stream.heartbeat.ms": "300"})
	topic := createTopic(t, b, 1)
	produceTo(t, b, topic, 0, 2)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.url+"/v3/clusters/"+cluster+"/topics/"+topic+"/records?format=string", nil)
	req.Header.Set("Accept", "application/x-ndjson")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := make(chan string, 64)
	go func() {
		defer close(lines)
		buf := make([]byte, 64<<10)
		var acc string
		for {
			n, err := resp.Body.Read(buf)
			acc += string(buf[:n])
			for {
				i := strings.IndexByte(acc, '\n')
				if i < 0 {
					break
				}
				lines <- acc[:i]
				acc = acc[i+1:]
			}
			if err != nil {
				return
			}
		}
	}()
	for i := 0; i < 2; i++ {
		l := <-lines
		if !strings.HasPrefix(l, `{"kind":"KafkaRecord",`) || !strings.Contains(l, fmt.Sprintf(`"value":{"type":"STRING","data":"p0-%d"}`, i)) {
			t.Fatalf("line %d: %s", i, l)
		}
	}
	if _, err := adminFor(t, b).DeleteTopics(ctx, topic); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(30 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("the tail of a deleted topic ended without an error line")
			}
			if strings.HasPrefix(l, `{"error_code":`) {
				t.Logf("ended with %s", l)
				return
			}
		case <-deadline:
			t.Fatal("the tail of a deleted topic did not end")
		}
	}
}
