package proxy

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
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

func TestV3StreamProduce(t *testing.T) {
	ts, cluster := v3Server(t, nil)
	topic := createTopic(t, realBroker(t), 1)
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
	recs := consumeAll(t, realBroker(t), topic, 3)
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
func TestV3StreamProduceMany(t *testing.T) {
	ts, cluster := v3Server(t, nil)
	topic := createTopic(t, realBroker(t), 1)
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

func TestV3BatchProduce(t *testing.T) {
	ts, _ := v3Server(t, map[string]string{"api.v3.produce.batch.maximum.entries": "3"})
	topic := createTopic(t, realBroker(t), 1)
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
