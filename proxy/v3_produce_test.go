package proxy

import (
	"bufio"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// streamProduce posts body (written by write, through a pipe: a chunked,
// streamed request) to topic's records and returns the result lines as
// they arrive, on a channel.
func streamProduce(t *testing.T, ts *testServer, cluster, topic string, write func(w io.Writer)) <-chan string {
	t.Helper()
	pr, pw := io.Pipe()
	go func() {
		write(pw)
		pw.Close()
	}()
	req, err := http.NewRequest("POST", ts.url+"/v3/clusters/"+cluster+"/topics/"+topic+"/records", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	lines := make(chan string, 1024)
	go func() {
		defer resp.Body.Close()
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			lines <- strings.TrimSuffix(sc.Text(), "\r")
		}
	}()
	return lines
}

var timestampRE = regexp.MustCompile(`"timestamp":"[0-9T:.Z-]+"`)

func TestV3StreamProduce(t *testing.T) { eachV3Backend(t, testV3StreamProduce) }

func testV3StreamProduce(t *testing.T, b backend) {
	ts, cluster := v3ServerOn(t, b, nil)
	topic := createTopic(t, b, 1)
	lines := streamProduce(t, ts, cluster, topic, func(w io.Writer) {
		fmt.Fprint(w, `{"key":{"type":"BINARY","data":"Zm9vYmFy"},"value":{"type":"JSON","data":{"foo":"bar"}},"headers":[{"name":"h","value":"aGk="},{"name":"n","value":null}],"timestamp":"2021-02-05T19:14:42Z"}`+"\n")
		fmt.Fprint(w, `{"value":{"type":"BINARY","data":"not base64!"}}`)
		fmt.Fprint(w, ` {"value":{"type":"STRING","data":"hello"},"partition_id":0}{"partition_id":-1,"value":{"type":"STRING","data":"x"}}`)
		fmt.Fprint(w, `{"value":{"type":"STRING","data":1}}{"value":{"type":"AVRO","data":1}}{"bogus":1}{"value":{"type":"JSON","data":null}}`)
		fmt.Fprint(w, `{"value":{"data":"x"}}`)
	})
	want := []string{
		`{"error_code":200,"cluster_id":"C","topic_name":"T","partition_id":0,"offset":0,"timestamp":"2021-02-05T19:14:42Z","key":{"type":"BINARY","size":6},"value":{"type":"JSON","size":13}}`,
		`{"error_code":400,"message":"Bad Request: data=\"not base64!\" is not a valid base64 string."}`,
		`{"error_code":200,"cluster_id":"C","topic_name":"T","partition_id":0,"offset":1,"timestamp":"TS","value":{"type":"STRING","size":5}}`,
		`{"error_code":40402,"message":"Partition not found."}`,
		`{"error_code":400,"message":"Bad Request: data=1 is not a string."}`,
		`{"error_code":400,"message":"Cannot construct instance of ` + "`ProduceRequestData`" + `, problem: type=AVRO requires schema: use schema_id, schema_version or the subject's latest schema without a type."}`,
		`{"error_code":400,"message":"Unrecognized field: bogus"}`,
		`{"error_code":200,"cluster_id":"C","topic_name":"T","partition_id":0,"offset":2,"timestamp":"TS","value":{"type":"JSON","size":-1}}`,
		`{"error_code":422,"message":"Error: 42206 : Payload error. Schema Registry must be configured when using schemas."}`,
	}
	var got []string
	for l := range lines {
		l = strings.ReplaceAll(strings.ReplaceAll(l, cluster, "C"), topic, "T")
		if !strings.Contains(l, "2021-02-05") {
			l = timestampRE.ReplaceAllString(l, `"timestamp":"TS"`)
		}
		got = append(got, l)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("results\n got: %s\nwant: %s", strings.Join(got, "\n      "), strings.Join(want, "\n      "))
	}
	recs := consumeAll(t, b, topic, 3)
	if string(recs[0].Key) != "foobar" || string(recs[0].Value) != `{"foo":"bar"}` || len(recs[0].Headers) != 2 ||
		string(recs[0].Headers[0].Value) != "hi" || recs[0].Headers[1].Value != nil || recs[0].Timestamp.UnixMilli() != 1612552482000 {
		t.Errorf("record 0: %+v", recs[0])
	}
	if string(recs[1].Value) != "hello" || recs[2].Value != nil {
		t.Errorf("records 1, 2: %q %q", recs[1].Value, recs[2].Value)
	}
}

// TestV3StreamProduceMany streams 100,000 records through one chunked
// request and checks every result, in order, while the request is still
// being written.
func TestV3StreamProduceMany(t *testing.T) { eachV3Backend(t, testV3StreamProduceMany) }

func testV3StreamProduceMany(t *testing.T, b backend) {
	ts, cluster := v3ServerOn(t, b, nil)
	topic := createTopic(t, b, 1)
	const n = 100000
	value := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("x", 100)))
	lines := streamProduce(t, ts, cluster, topic, func(w io.Writer) {
		bw := bufio.NewWriterSize(w, 64<<10)
		for i := 0; i < n; i++ {
			fmt.Fprintf(bw, `{"key":{"type":"STRING","data":"k%d"},"value":{"type":"BINARY","data":"%s"}}`+"\n", i, value)
		}
		bw.Flush()
	})
	i := 0
	deadline := time.After(3 * time.Minute)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				if i != n {
					t.Fatalf("%d results, want %d", i, n)
				}
				return
			}
			var r struct {
				Code   int   `json:"error_code"`
				Offset int64 `json:"offset"`
			}
			if err := json.Unmarshal([]byte(l), &r); err != nil || r.Code != 200 || r.Offset != int64(i) {
				t.Fatalf("result %d: %s", i, l)
			}
			i++
		case <-deadline:
			t.Fatalf("only %d of %d results after 3 minutes", i, n)
		}
	}
}

func TestV3BatchProduce(t *testing.T) { eachV3Backend(t, testV3BatchProduce) }

func testV3BatchProduce(t *testing.T, b backend) {
	ts, _ := v3ServerOn(t, b, map[string]string{"api.v3.produce.batch.maximum.entries": "3"})
	topic := createTopic(t, b, 1)
	path := "/v3/clusters/any-cluster/topics/" + topic + "/records:batch"
	got, _ := v3Do(t, ts, "POST", path, `{"entries":[{"id":"1","value":{"type":"JSON","data":{"a":1}}},{"id":"b-2","value":{"type":"BINARY","data":"Message$"}},{"id":"c_3","key":{"type":"STRING","data":"k"}}]}`, 207)
	got = timestampRE.ReplaceAllString(strings.ReplaceAll(got, topic, "T"), `"timestamp":"TS"`)
	want := `{"successes":[{"id":"1","cluster_id":"any-cluster","topic_name":"T","partition_id":0,"offset":0,"timestamp":"TS","value":{"type":"JSON","size":7}},` +
		`{"id":"c_3","cluster_id":"any-cluster","topic_name":"T","partition_id":0,"offset":1,"timestamp":"TS","key":{"type":"STRING","size":1}}],` +
		`"failures":[{"id":"b-2","error_code":400,"message":"Bad Request: data=\"Message$\" is not a valid base64 string."}]}`
	if got != want {
		t.Errorf("batch\n got: %s\nwant: %s", got, want)
	}
	for _, tc := range []struct{ body, want string }{
		{``, `{"error_code":42208,"message":"Request body is empty. Data is required."}`},
		{`{"entries":[]}`, `{"error_code":42208,"message":"Empty batch."}`},
		{`{"entries":[{"id":"1"},{"id":"2"},{"id":"3"},{"id":"4"}]}`, `{"error_code":42208,"message":"Too many entries in batch."}`},
		{`{"entries":[{"id":"1"},{"id":"1"}]}`, `{"error_code":42208,"message":"Batch entry IDs are not distinct."}`},
		{`{"entries":[{"id":1}]}`, `{"error_code":42208,"message":"Batch entry identifier is not a valid string."}`},
		{`{"entries":[{"id":"a b"}]}`, `{"error_code":42208,"message":"Batch entry identifier is not a valid string."}`},
		{`{"entries":[{"value":{}}]}`, `{"error_code":42208,"message":"Batch entry identifier is not a valid string."}`},
		{`{"entries":[{"id":"` + strings.Repeat("a", 81) + `"}]}`, `{"error_code":42208,"message":"Batch entry identifier is not a valid string."}`},
	} {
		code, got, _ := ts.do(t, "POST", path, map[string]string{"Content-Type": "application/json"}, []byte(tc.body))
		if code != 422 || got != tc.want {
			t.Errorf("%s: %d %s, want %s", tc.body, code, got, tc.want)
		}
	}
}

// streamAll streams body in one request and returns all result lines.
func streamAll(t *testing.T, ts *testServer, cluster, topic, body string) []string {
	t.Helper()
	var out []string
	for l := range streamProduce(t, ts, cluster, topic, func(w io.Writer) { io.WriteString(w, body) }) {
		out = append(out, l)
	}
	return out
}

// TestV3ProduceSchemas produces Avro by raw schema, by schema id, by
// subject and version and by the subject's latest version, JSON Schema
// and Protobuf by raw schema, and reads every record back with a v2
// consumer.
func TestV3ProduceSchemas(t *testing.T) { eachV3Backend(t, testV3ProduceSchemas) }

func testV3ProduceSchemas(t *testing.T, b backend) {
	_, url := startRegistry(t)
	ts, cluster := v3ServerOn(t, b, map[string]string{"schema.registry.url": url})
	topic := createTopic(t, b, 1)
	lines := streamAll(t, ts, cluster, topic, `{"value":{"type":"AVRO","schema":`+quote(userSchema)+`,"data":{"username":"ann","age":{"int":31}}}}`)
	var first struct {
		Value struct {
			Subject  string `json:"subject"`
			SchemaID int    `json:"schema_id"`
			Version  int    `json:"schema_version"`
		} `json:"value"`
	}
	if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &first) != nil || first.Value.Subject != topic+"-value" || first.Value.Version != 1 {
		t.Fatalf("raw schema: %v", lines)
	}
	id := first.Value.SchemaID
	lines = streamAll(t, ts, cluster, topic, fmt.Sprintf(`{"value":{"schema_id":%d,"data":{"username":"bob","age":null}}}
{"value":{"schema_version":1,"data":{"username":"cy","age":null}}}
{"value":{"subject":"%s-value","schema_version":1,"data":{"username":"di","age":null}}}
{"value":{"data":{"username":"ed","age":null}}}
{"value":{"schema_id":%d,"data":{"nope":1}}}
{"value":{"schema_version":7,"data":{}}}
{"value":{"schema_id":1,"schema_version":1,"data":{}}}`, id, topic, id))
	want := fmt.Sprintf(`{"error_code":200,"cluster_id":"C","topic_name":"T","partition_id":0,"offset":%%d,"timestamp":"TS","value":{"type":"AVRO","subject":"T-value","schema_id":%d,"schema_version":1,"size":%%d}}`, id)
	for i, l := range lines[:4] {
		l = timestampRE.ReplaceAllString(strings.ReplaceAll(strings.ReplaceAll(l, cluster, "C"), topic, "T"), `"timestamp":"TS"`)
		if w := fmt.Sprintf(want, i+1, []int{10, 9, 9, 9}[i]); l != w {
			t.Errorf("record %d: %s\nwant %s", i+1, l, w)
		}
	}
	for i, prefix := range []string{`{"error_code":400,"message":"Bad Request: `, `{"error_code":422,"message":"Error: 42207 : Error serializing message.`, `{"error_code":400,"message":"Cannot construct instance`} {
		if !strings.HasPrefix(lines[4+i], prefix) {
			t.Errorf("error %d: %s, want %s…", i, lines[4+i], prefix)
		}
	}
	got := readAll(t, ts, topic, "avro", 5)
	if !strings.Contains(got, `"username":"ann"`) || !strings.Contains(got, `"username":"ed"`) {
		t.Errorf("read back: %s", got)
	}

	// JSON Schema and Protobuf, by raw schema, keys too.
	topic2 := createTopic(t, b, 1)
	lines = streamAll(t, ts, cluster, topic2, `{"key":{"type":"JSONSCHEMA","schema":"{\"type\":\"string\"}","data":"k1"},"value":{"type":"PROTOBUF","schema":"syntax = \"proto3\"; message M { string a = 1; }","data":{"a":"x"}}}`)
	if len(lines) != 1 || !strings.Contains(lines[0], `"key":{"type":"JSONSCHEMA","subject":"`+topic2+`-key"`) || !strings.Contains(lines[0], `"value":{"type":"PROTOBUF","subject":"`+topic2+`-value"`) {
		t.Fatalf("jsonschema/protobuf: %v", lines)
	}
	c := newRESTConsumer(t, ts, "v3-pb-"+topic2, `{"format":"protobuf","auto.offset.reset":"earliest"}`)
	c.mustCall(t, "POST", "/assignments", `{"partitions":[{"topic":"`+topic2+`","partition":0}]}`, 204)
	eventually(t, 30*time.Second, "protobuf record", func() bool {
		_, body, _ := ts.do(t, "GET", c.path("/records?timeout=500"), map[string]string{"Accept": "application/vnd.kafka.protobuf.v2+json"}, nil)
		return strings.Contains(body, `"value":{"a":"x"}`)
	})
}

// TestV3StreamLimits checks the stream size cap and the stream duration
// limit.
func TestV3StreamLimits(t *testing.T) { eachV3Backend(t, testV3StreamLimits) }

func testV3StreamLimits(t *testing.T, b backend) {
	ts, cluster := v3ServerOn(t, b, map[string]string{"api.v3.produce.request.size.limit.max.bytes": "200"})
	topic := createTopic(t, b, 1)
	rec := `{"value":{"type":"STRING","data":"0123456789"}}` + "\n"
	lines := streamAll(t, ts, cluster, topic, strings.Repeat(rec, 10))
	if last := lines[len(lines)-1]; last != `{"error_code":400,"message":"Error processing message: Produce request size is larger than allowed threshold"}` || len(lines) > 5 {
		t.Errorf("size limit: %v", lines)
	}

	ts2, _ := v3ServerOn(t, b, map[string]string{"streaming.connection.max.duration.ms": "300", "streaming.connection.max.duration.grace.period.ms": "400"})
	start := time.Now()
	var got []string
	for l := range streamProduce(t, ts2, cluster, topic, func(w io.Writer) {
		for i := 0; i < 100; i++ { // 2 s of records, one every 20 ms
			if _, err := io.WriteString(w, rec); err != nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}) {
		got = append(got, l)
	}
	if elapsed := time.Since(start); elapsed > 1500*time.Millisecond {
		t.Errorf("the stream stayed open %v, past its duration and grace period", elapsed)
	}
	n408 := 0
	for _, l := range got {
		if l == `{"error_code":408,"message":"Streaming connection open for longer than allowed: Connection will be closed."}` {
			n408++
		}
	}
	if n408 == 0 || !strings.HasPrefix(got[0], `{"error_code":200`) {
		t.Errorf("duration limit: %v", got)
	}
}

// TestV3StreamSlowReader streams records as fast as it can to a client
// that never reads its results: krest must stop reading the request once
// its results back up, so that what it holds stays bounded.
func TestV3StreamSlowReader(t *testing.T) { eachV3Backend(t, testV3StreamSlowReader) }

func testV3StreamSlowReader(t *testing.T, b backend) {
	ts, cluster := v3ServerOn(t, b, map[string]string{"api.v3.produce.stream.max.in.flight": "256"})
	topic := createTopic(t, b, 1)
	conn, err := net.Dial("tcp", strings.TrimPrefix(ts.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	fmt.Fprintf(conn, "POST /v3/clusters/%s/topics/%s/records HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n", cluster, topic)
	rec := `{"value":{"type":"BINARY","data":"` + base64.StdEncoding.EncodeToString(make([]byte, 1024)) + `"}}` + "\n"
	chunk := fmt.Sprintf("%x\r\n%s\r\n", len(rec)*64, strings.Repeat(rec, 64))
	var written atomic.Int64
	go func() {
		for written.Load() < 1<<30 {
			if _, err := io.WriteString(conn, chunk); err != nil {
				return
			}
			written.Add(int64(len(chunk)))
		}
	}()
	// Wait until the writer stalls: no progress for a second.
	last := int64(-1)
	for i := 0; i < 60; i++ {
		time.Sleep(time.Second)
		if w := written.Load(); w == last {
			break
		} else {
			last = w
		}
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	growth := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("the client wrote %.1f MiB before krest stopped reading; heap grew %.1f MiB", float64(last)/(1<<20), float64(growth)/(1<<20))
	if last >= 1<<30 {
		t.Fatalf("krest read %d bytes from a client that reads no results", last)
	}
	if growth > 64<<20 {
		t.Errorf("heap grew %d bytes while the client read nothing", growth)
	}
}

// TestV3ProduceRateLimit: api.v3.produce.rate.limit.* limits each record
// (429 results, the stream goes on), and the generic rate limits, which
// Confluent does not apply to v3 produce, do not.
func TestV3ProduceRateLimit(t *testing.T) { eachV3Backend(t, testV3ProduceRateLimit) }

func testV3ProduceRateLimit(t *testing.T, b backend) {
	ts, cluster := v3ServerOn(t, b, map[string]string{
		"api.v3.produce.rate.limit.enabled": "true", "api.v3.produce.rate.limit.max.requests.global.per.sec": "5",
		"rate.limit.enable": "true", "rate.limit.permits.per.sec": "1", "rate.limit.per.client.permits.per.sec": "1",
	})
	topic := createTopic(t, b, 1)
	lines := streamAll(t, ts, cluster, topic, strings.Repeat(`{"value":{"type":"STRING","data":"x"}}`, 20))
	ok, limited := 0, 0
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, `{"error_code":200,`):
			ok++
		case l == `{"error_code":429,"message":"Request rate limit exceeded: The rate limit of requests per second has been exceeded."}`:
			limited++
		default:
			t.Errorf("result %s", l)
		}
	}
	if ok < 5 || ok > 7 || ok+limited != 20 {
		t.Errorf("%d produced, %d limited, of 20 at 5 a second", ok, limited)
	}
	got, _ := v3Do(t, ts, "POST", "/v3/clusters/x/topics/"+topic+"/records:batch", `{"entries":[{"id":"a","value":{"type":"STRING","data":"y"}}]}`, 207)
	if !strings.Contains(got, `"error_code":429`) && !strings.Contains(got, `"successes":[{"id":"a"`) {
		t.Errorf("batch: %s", got)
	}
}

// TestV3StreamGzip streams a gzipped, chunked body.
func TestV3StreamGzip(t *testing.T) { eachV3Backend(t, testV3StreamGzip) }

func testV3StreamGzip(t *testing.T, b backend) {
	ts, cluster := v3ServerOn(t, b, nil)
	topic := createTopic(t, b, 1)
	pr, pw := io.Pipe()
	go func() {
		zw := gzip.NewWriter(pw)
		for i := 0; i < 3; i++ {
			fmt.Fprintf(zw, `{"value":{"type":"STRING","data":"v%d"}}`, i)
			zw.Flush()
		}
		zw.Close()
		pw.Close()
	}()
	req, _ := http.NewRequest("POST", ts.url+"/v3/clusters/"+cluster+"/topics/"+topic+"/records", pr)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || strings.Count(string(body), `"error_code":200`) != 3 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	recs := consumeAll(t, b, topic, 3)
	if string(recs[2].Value) != "v2" {
		t.Errorf("record 2: %q", recs[2].Value)
	}
}
