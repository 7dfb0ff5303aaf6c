package proxy

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestTopicNames: Kafka's rules for topic names are applied before Kafka
// is asked, so the embedded dev broker (which accepts anything) and a real
// one answer alike, and never with a 5xx.
const ambiguous = `{"error_code":400,"message":"Bad Request: ambiguous URI path (encoded '/', '\\' or control characters, empty, '.' or '..' segments are not accepted)"}`

func TestTopicNames(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 250)
	illegal := func(name string) string {
		return `{"error_code":40002,"message":"Topic name \"` + name + `\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'"}`
	}
	eachBackend(t, func(t *testing.T, b backend) {
		ts := startServer(t, b, nil)
		binary := map[string]string{"Content-Type": "application/vnd.kafka.binary.v2+json"}
		record := []byte(`{"records":[{"value":"aGk="}]}`)
		valid := "Valid.name_-9." + strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "")
		for _, tc := range []struct {
			name, method, path string
			status             int
			want               string
		}{
			{"valid and missing", "GET", "/topics/" + valid + "-missing", 404, `{"error_code":40403,"message":"This server does not host this topic-partition."}`},
			{"valid, produced to", "POST", "/topics/" + valid, 200, `{"key_schema_id":null,"value_schema_id":null,"offsets":[{"partition":0,"offset":0,"error_code":null,"error":null}]}`},
			{"249 characters", "GET", "/topics/" + strings.Repeat("y", 249), 404, `{"error_code":40403,"message":"This server does not host this topic-partition."}`},
			{"a space", "GET", "/topics/a%20b", 400, illegal("a b")},
			{"a snowman", "GET", "/topics/%E2%98%83", 400, illegal("☃")},
			{"a snowman, produce", "POST", "/topics/%E2%98%83", 400, illegal("☃")},
			{"250 characters", "POST", "/topics/" + long, 400, `{"error_code":40002,"message":"Topic name is illegal, it can't be longer than 249 characters, topic name: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…"}`},
			{"250 characters, partitions", "GET", "/topics/" + long + "/partitions", 400, ``},
			{"a colon", "GET", "/topics/a:b/partitions/0/offsets", 400, illegal("a:b")},
			// Paths two readers could split differently are refused
			// before anything reads them (rest.CanonicalPath), as Jetty's
			// default URI compliance refuses them.
			{"undecodable bytes", "POST", "/topics/a%FFb", 400, ambiguous},
			{"an escaped slash", "GET", "/topics/a%2Fb", 400, ambiguous},
			{"internal topic", "POST", "/topics/__consumer_offsets", 400, `{"error_code":40002,"message":"Cannot append to internal topic __consumer_offsets"}`},
		} {
			var body []byte
			var headers map[string]string
			if tc.method == "POST" {
				body, headers = record, binary
			}
			status, got, _ := ts.do(t, tc.method, tc.path, headers, body)
			if status != tc.status || (tc.want != "" && got != tc.want) || (tc.want == "" && !strings.Contains(got, `"error_code":40002`)) {
				t.Errorf("%s: %s %s: %d %s\nwant %d %s", tc.name, tc.method, tc.path, status, got, tc.status, tc.want)
			}
		}
	})
}

// TestLooseInput: what a strict reading refuses, with a 4xx and never a 5xx.
func TestLooseInput(t *testing.T) {
	t.Parallel()
	b := fakeBroker(t)
	topic := createTopic(t, b, 1)
	ts := startServer(t, b, nil)
	json := "application/vnd.kafka.json.v2+json"
	for _, tc := range []struct {
		name, contentType, body string
		status                  int
		want                    string
	}{
		{"garbage content type", ";;;;=;", `{"records":[{"value":1}]}`, 415, `{"error_code":415,"message":"HTTP 415 Unsupported Media Type"}`},
		{"utf-16 charset", json + "; charset=utf-16", `{"records":[{"value":1}]}`, 415, `{"error_code":415,"message":"HTTP 415 Unsupported Media Type"}`},
		{"utf-8 charset", json + "; charset=UTF-8", `{"records":[{"value":1}]}`, 200, `"offset":0`},
		{"invalid UTF-8 in a json value", json, "{\"records\":[{\"value\":\"\xff\xfe\"}]}", 400, `{"error_code":400,"message":"Bad Request: the request body is not UTF-8"}`},
		{"a lone surrogate in a json value", json, `{"records":[{"value":{"k":"\ud800"}}]}`, 400, `is not valid JSON text: a lone UTF-16 surrogate`},
		{"a null record", json, `{"records":[{"value":1},null]}`, 422, `{"error_code":422,"message":"records[1] may not be null"}`},
		{"an empty record is a null value", json, `{"records":[{}]}`, 200, `"offset":`},
	} {
		status, body, _ := ts.do(t, "POST", "/topics/"+topic, map[string]string{"Content-Type": tc.contentType}, []byte(tc.body))
		if status != tc.status || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %s\nwant %d %s", tc.name, status, body, tc.status, tc.want)
		}
	}

	// Content-Length with Transfer-Encoding: refused, and the connection
	// closed, whatever the order of the two.
	for _, headers := range []string{
		"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n",
		"Transfer-Encoding: chunked\r\nContent-Length: 4\r\n",
	} {
		conn, err := net.Dial("tcp", strings.TrimPrefix(ts.url, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		req := "POST /topics/" + topic + " HTTP/1.1\r\nHost: x\r\nContent-Type: " + json + "\r\n" + headers + "\r\n" +
			"1b\r\n{\"records\":[{\"value\":1}]}  \r\n0\r\n\r\n"
		if _, err := conn.Write([]byte(req)); err != nil {
			t.Fatal(err)
		}
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		out, _ := io.ReadAll(conn) // ends when krest closes the connection
		conn.Close()
		if !strings.HasPrefix(string(out), "HTTP/1.1 400") || !strings.Contains(string(out), "Content-Length and Transfer-Encoding together") {
			t.Errorf("%q: %q", headers, out)
		}
	}
}

// TestSlowClients: a connection that sends nothing, headers that trickle
// in and a body shorter than its Content-Length are each answered 408 and
// closed once their timeout passes, instead of being held.
func TestSlowClients(t *testing.T) {
	t.Parallel()
	b := fakeBroker(t)
	ts := startServer(t, b, map[string]string{"request.header.timeout.ms": "300", "request.body.timeout.ms": "300"})
	addr := strings.TrimPrefix(ts.url, "http://")
	for _, tc := range []struct {
		name, send string
		want       string // response prefix
	}{
		{"nothing sent", "", "HTTP/1.1 408"},
		{"headers never finished", "GET /topics HTTP/1.1\r\nHost: x\r\n", "HTTP/1.1 408"},
		{"a body shorter than its Content-Length", "POST /topics/t HTTP/1.1\r\nHost: x\r\nContent-Type: application/vnd.kafka.binary.v2+json\r\nContent-Length: 100\r\n\r\n{\"records\"", "HTTP/1.1 408"},
	} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write([]byte(tc.send)); err != nil {
			t.Fatal(err)
		}
		conn.SetReadDeadline(time.Now().Add(10 * time.Second)) // a hang guard: the timeouts are 300 ms
		out, err := io.ReadAll(conn)
		conn.Close()
		if err != nil {
			t.Errorf("%s: krest held the connection: %v", tc.name, err)
			continue
		}
		if !strings.HasPrefix(string(out), tc.want) {
			t.Errorf("%s: %q, want a reply starting %q and a close", tc.name, out, tc.want)
		}
	}
	if status, _, _ := ts.do(t, "GET", "/", nil, nil); status != 200 {
		t.Errorf("GET / = %d after slow clients", status)
	}
}

// TestRequestMemoryBounds: more records than request.records.max are 413
// before anything is decoded, and a body that does not fit in
// request.memory.max.bytes while another holds it is 429 with Retry-After,
// before it is read.
func TestRequestMemoryBounds(t *testing.T) {
	t.Parallel()
	b := fakeBroker(t)
	topic := createTopic(t, b, 1)
	ts := startServer(t, b, map[string]string{"request.records.max": "1000", "request.memory.max.bytes": "100000"})
	binary := map[string]string{"Content-Type": "application/vnd.kafka.binary.v2+json"}

	many := `{"records":[` + strings.Repeat(`{},`, 1000) + `{}]}`
	status, body, _ := ts.do(t, "POST", "/topics/"+topic, binary, []byte(many))
	if want := `{"error_code":413,"message":"A produce request may hold at most 1000 records (request.records.max); this one holds 1001"}`; status != 413 || body != want {
		t.Errorf("1001 records: %d %s, want 413 %s", status, body, want)
	}

	// A client that announces 90,000 bytes and sends 10,000 (past
	// fasthttp's 8 KiB prefetch, so that the handler runs) holds that much
	// of the budget until its body timeout.
	conn, err := net.Dial("tcp", strings.TrimPrefix(ts.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("POST /topics/" + topic + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/vnd.kafka.binary.v2+json\r\nContent-Length: 90000\r\n\r\n{\"records\":[{\"value\":\"" + strings.Repeat("A", 10000))); err != nil {
		t.Fatal(err)
	}
	// Wait until the slow request holds its share, so that the next
	// request cannot take the budget first and leave the slow one a 429.
	eventually(t, 10*time.Second, "the slow body to be charged", func() bool { return ts.memory.Used() >= 90000 })
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		status, body, hdr := ts.do(t, "POST", "/topics/"+topic, binary, []byte(`{"records":[{"value":"`+strings.Repeat("A", 20000)+`"}]}`))
		if status != 200 {
			if status != 429 || hdr.Get("Retry-After") != "1" || !strings.Contains(body, `"error_code":429`) {
				t.Fatalf("over the budget: %d %s Retry-After %q", status, body, hdr.Get("Retry-After"))
			}
			break
		}
		if time.Now().After(deadline) {
			// Say what became of the slow request.
			_ = conn.SetReadDeadline(time.Now().Add(time.Second))
			got, _ := io.ReadAll(conn)
			t.Fatalf("the slow body was never charged (budget used %d); its connection got %q", ts.memory.Used(), got)
		}
	}
	conn.Close()
	eventually(t, 10*time.Second, "the budget to come back", func() bool {
		status, _, _ := ts.do(t, "POST", "/topics/"+topic, binary, []byte(`{"records":[{"value":"`+strings.Repeat("A", 20000)+`"}]}`))
		return status == 200
	})
}

// TestConnectionLimits: past connections.max (or connections.max.per.ip)
// a new connection is answered 503 with a JSON error and closed; when
// connections close, new ones are served again.
func TestConnectionLimits(t *testing.T) {
	t.Parallel()
	b := fakeBroker(t)
	for _, props := range []map[string]string{
		{"connections.max": "3"},
		{"connections.max.per.ip": "3"},
	} {
		ts := startServer(t, b, props)
		addr := strings.TrimPrefix(ts.url, "http://")
		var held []net.Conn
		for range 3 {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			held = append(held, c)
		}
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		out, _ := io.ReadAll(c)
		c.Close()
		if !strings.HasPrefix(string(out), "HTTP/1.1 503") || !strings.HasSuffix(string(out), `{"error_code":503,"message":"Too many connections: connections.max or connections.max.per.ip is reached; retry later"}`) {
			t.Errorf("%v: the fourth connection got %q", props, out)
		}
		for _, c := range held {
			c.Close()
		}
		eventually(t, 5*time.Second, "a free connection", func() bool {
			req, _ := http.NewRequest("GET", ts.url+"/", nil)
			resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
			if err != nil {
				return false
			}
			resp.Body.Close()
			return resp.StatusCode == 200
		})
	}
}

// TestRefusedBodiesAnswered: many large bodies at once against a small
// request.memory.max.bytes, from clients that write their whole request
// before they read (as simple clients do): every one gets its 200 or its
// 429, never a reset. krest drains a refused body before it closes (a
// close with unread bytes is a reset, which destroys the answer at the
// client), and refuses a body that cannot fit before 100 Continue, so a
// client that asks never sends it.
func TestRefusedBodiesAnswered(t *testing.T) {
	b := fakeBroker(t)
	topic := createTopic(t, b, 1)
	ts := startServer(t, b, map[string]string{"request.memory.max.bytes": strconv.Itoa(16 << 20)})
	addr := strings.TrimPrefix(ts.url, "http://")
	value := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("x"), 768))
	var sb strings.Builder
	sb.WriteString(`{"records":[`)
	for i := 0; sb.Len() < 7<<20; i++ { // more than loopback's buffers hold
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(`{"value":"` + value + `"}`)
	}
	sb.WriteString(`]}`)
	body := sb.String()
	// send writes the request, then reads the answer; with expect it
	// waits for 100 Continue before the body.
	send := func(expect bool) string {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			return "dial failed"
		}
		defer c.Close()
		_ = c.(*net.TCPConn).SetWriteBuffer(64 << 10)
		_ = c.SetDeadline(time.Now().Add(time.Minute))
		head := "POST /topics/" + topic + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/vnd.kafka.binary.v2+json\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n"
		if expect {
			head += "Expect: 100-continue\r\n"
		}
		if _, err := io.WriteString(c, head+"\r\n"); err != nil {
			return "write failed (reset?)"
		}
		br := bufio.NewReader(c)
		if expect {
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				return "read failed (reset?)"
			}
			if resp.StatusCode != 100 {
				return answer(resp)
			}
		}
		if _, err := io.WriteString(c, body); err != nil {
			return "write failed (reset?)"
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return "read failed (reset?)"
		}
		return answer(resp)
	}
	for _, expect := range []bool{false, true} {
		const clients = 40
		var mu sync.Mutex
		statuses := map[string]int{}
		var wg sync.WaitGroup
		for range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got := send(expect)
				mu.Lock()
				statuses[got]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		t.Logf("Expect: 100-continue %v: %v", expect, statuses)
		if statuses["200"]+statuses["429"] != clients || statuses["429"] == 0 {
			t.Errorf("Expect: 100-continue %v: %v, want only 200 and 429 (some of each)", expect, statuses)
		}
	}
}

// answer is "200", "429" (with its JSON error and Retry-After), or what
// else came.
func answer(resp *http.Response) string {
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	switch {
	case resp.StatusCode == 200:
		return "200"
	case resp.StatusCode == 429 && strings.Contains(string(out), `"error_code":429`) && resp.Header.Get("Retry-After") != "":
		return "429"
	}
	return strconv.Itoa(resp.StatusCode) + " " + string(out)
}

// TestStreamsInTheBudgets: a v3 streaming produce charges its records to
// request.memory.max.bytes from their read until their result is written,
// so a stream whose records Kafka holds (or whose client reads no
// results) cannot grow past it; topic tails are capped
// (api.v3.tails.max) and charged for their life, with a clear 429 past
// either bound.
func TestStreamsInTheBudgets(t *testing.T) {
	b := fakeBroker(t)
	topic := createTopic(t, b, 1)
	const limit = 8 << 20
	ts := startServer(t, b, map[string]string{
		"request.memory.max.bytes": strconv.Itoa(limit), "producer.max.block.ms": "50",
		"api.v3.produce.stream.max.in.flight": "100000", "api.v3.tails.max": "2",
	})
	cluster := clusterIDOf(t, ts)

	// Kafka holds every produce until release.
	release := make(chan struct{})
	b.fake.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		b.fake.KeepControl()
		b.fake.SleepControl(func() { <-release })
		return nil, nil, false
	})
	released := false
	defer func() {
		if !released {
			close(release)
		}
	}()
	c, err := net.Dial("tcp", strings.TrimPrefix(ts.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	record := `{"value":{"type":"BINARY","data":"` + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("v"), 1500)) + `"}}`
	const records = 8000 // 16 MB: twice the budget
	go func() {
		bw := bufio.NewWriterSize(c, 64<<10)
		bw.WriteString("POST /v3/clusters/" + cluster + "/topics/" + topic + "/records HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
		for i := 0; i < records; i++ {
			fmt.Fprintf(bw, "%x\r\n%s\r\n", len(record), record)
		}
		bw.WriteString("0\r\n\r\n")
		bw.Flush()
	}()
	eventually(t, 20*time.Second, "the stream's records held by Kafka to fill the budget", func() bool {
		return ts.memory.Used() >= limit/2
	})
	if used := ts.memory.Used(); used > limit {
		t.Errorf("the budget holds %d bytes, over its %d", used, limit)
	}
	// Meanwhile a produce that needs memory is refused, not queued without bound.
	status, body, _ := ts.do(t, "POST", "/topics/"+topic, map[string]string{"Content-Type": "application/vnd.kafka.binary.v2+json"},
		[]byte(`{"records":[{"value":"`+base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("v"), limit/2))+`"}]}`))
	if status != 429 {
		t.Errorf("a produce while streams fill the budget: %d %s, want 429", status, body)
	}
	close(release)
	released = true
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	results, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if n := strings.Count(string(results), `"error_code":200`); n == 0 || strings.Count(string(results), "\n")+1 < records {
		t.Errorf("stream results: %d lines, %d of them 200", strings.Count(string(results), "\n")+1, n)
	}
	eventually(t, 10*time.Second, "the stream's charge to come back", func() bool { return ts.memory.Used() == 0 })

	// Tails: two at most.
	path := "/v3/clusters/" + cluster + "/topics/" + topic + "/records"
	_, stop1 := openTail(t, ts, path, "")
	_, stop2 := openTail(t, ts, path, "")
	status, body, _ = ts.do(t, "GET", path, map[string]string{"Accept": "text/event-stream"}, nil)
	if status != 429 || !strings.Contains(body, "api.v3.tails.max") {
		t.Errorf("a third tail: %d %s, want 429 naming api.v3.tails.max", status, body)
	}
	stop1()
	eventually(t, 10*time.Second, "a closed tail to make room", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", ts.url+path, nil)
		req.Header.Set("Accept", "text/event-stream")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		return resp.StatusCode == 200
	})
	stop2()
}
