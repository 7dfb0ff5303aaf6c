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
	"github.com/twmb/franz-go/pkg/sr"
)

// produceRecords writes recs to partition 0 of their topic with a plain
// franz-go producer.
func produceRecords(t *testing.T, b backend, recs ...*kgo.Record) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.seeds...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// v3Read reads a partition of topic with query and checks the status.
func v3Read(t *testing.T, ts *testServer, cluster, topic, query string, want int) string {
	t.Helper()
	got, _ := v3Do(t, ts, "GET", "/v3/clusters/"+cluster+"/topics/"+topic+"/partitions/0/records"+query, "", want)
	return got
}

// TestV3ReadRecords covers the stateless read of plain bytes: the exact
// shape of records (headers, null key and value), the forced formats with
// their BINARY fallbacks, paging with next by offset, timestamp and
// max_records, max_bytes, the earliest offset after a records delete, and
// every error.
func TestV3ReadRecords(t *testing.T) { eachV3Backend(t, testV3ReadRecords) }

func testV3ReadRecords(t *testing.T, b backend) {
	ts, cluster := v3ServerOn(t, b, nil)
	topic := createTopic(t, b, 1)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 678e6, time.UTC)
	recs := []*kgo.Record{
		{Key: []byte("k0"), Value: []byte("hello"), Headers: []kgo.RecordHeader{{Key: "h1", Value: []byte("v")}, {Key: "h2"}}},
		{},
		{Key: []byte(`{"a": 1}`), Value: []byte{0xff, 0xfe}},
	}
	for i := 3; i < 10; i++ {
		recs = append(recs, &kgo.Record{Value: fmt.Appendf(nil, "m-%03d", i)})
	}
	for i, r := range recs {
		r.Topic, r.Timestamp = topic, t0.Add(time.Duration(i)*time.Second)
	}
	produceRecords(t, b, recs...)

	base := "URL/v3/clusters/C/topics/T/partitions/0/records"
	const (
		rec0 = `{"kind":"KafkaRecord","cluster_id":"C","topic_name":"T","partition_id":0,"offset":0,"timestamp":"2026-01-02T03:04:05.678Z",
		 "headers":[{"name":"h1","value":"dg=="},{"name":"h2","value":null}],
		 "key":{"type":"BINARY","data":"azA="},"value":{"type":"BINARY","data":"aGVsbG8="}}`
		rec1 = `{"kind":"KafkaRecord","cluster_id":"C","topic_name":"T","partition_id":0,"offset":1,"timestamp":"2026-01-02T03:04:06.678Z",
		 "headers":[],"key":null,"value":null}`
		rec2 = `{"kind":"KafkaRecord","cluster_id":"C","topic_name":"T","partition_id":0,"offset":2,"timestamp":"2026-01-02T03:04:07.678Z",
		 "headers":[],"key":{"type":"BINARY","data":"eyJhIjogMX0="},"value":{"type":"BINARY","data":"//4="}}`
	)
	got := v3Read(t, ts, cluster, topic, "?max_records=3", 200)
	v3Equal(t, ts, cluster, got, `{"kind":"KafkaRecordList","metadata":{"self":"`+base+`?max_records=3","next":"`+base+`?max_records=3&offset=3"},
	 "data":[`+rec0+`,`+rec1+`,`+rec2+`]}`, topic, "T")

	// Forced formats; what does not fit is BINARY.
	got = v3Read(t, ts, cluster, topic, "?offset=0&max_records=3&format=string", 200)
	v3Equal(t, ts, cluster, got, `{"kind":"KafkaRecordList","metadata":{"self":"`+base+`?offset=0&max_records=3&format=string","next":"`+base+`?offset=3&max_records=3&format=string"},
	 "data":[`+strings.NewReplacer(`{"type":"BINARY","data":"azA="}`, `{"type":"STRING","data":"k0"}`, `{"type":"BINARY","data":"aGVsbG8="}`, `{"type":"STRING","data":"hello"}`).Replace(rec0)+`,`+rec1+`,`+
		strings.Replace(rec2, `{"type":"BINARY","data":"eyJhIjogMX0="}`, `{"type":"STRING","data":"{\"a\": 1}"}`, 1)+`]}`, topic, "T")
	got = v3Read(t, ts, cluster, topic, "?offset=0&max_records=3&format=JSON", 200)
	v3Equal(t, ts, cluster, got, `{"kind":"KafkaRecordList","metadata":{"self":"`+base+`?offset=0&max_records=3&format=JSON","next":"`+base+`?offset=3&max_records=3&format=JSON"},
	 "data":[`+rec0+`,`+rec1+`,`+strings.Replace(rec2, `{"type":"BINARY","data":"eyJhIjogMX0="}`, `{"type":"JSON","data":{"a":1}}`, 1)+`]}`, topic, "T")
	got = v3Read(t, ts, cluster, topic, "?offset=0&max_records=3&format=binary", 200)
	v3Equal(t, ts, cluster, got, `{"kind":"KafkaRecordList","metadata":{"self":"`+base+`?offset=0&max_records=3&format=binary","next":"`+base+`?offset=3&max_records=3&format=binary"},
	 "data":[`+rec0+`,`+rec1+`,`+rec2+`]}`, topic, "T")

	// Paging: next goes on from the last record, timestamp gives way to
	// offset, and the end reads nothing with next null.
	offsets := func(body string) []int64 {
		var l struct {
			Metadata struct{ Next *string }
			Data     []struct{ Offset int64 }
		}
		if err := json.Unmarshal([]byte(body), &l); err != nil {
			t.Fatalf("%v: %s", err, body)
		}
		var out []int64
		for _, d := range l.Data {
			out = append(out, d.Offset)
		}
		if (l.Metadata.Next == nil) != (len(out) == 0) {
			t.Errorf("next %v with %d records", l.Metadata.Next, len(out))
		}
		return out
	}
	nextOf := func(body string) string {
		var l struct{ Metadata struct{ Next string } }
		_ = json.Unmarshal([]byte(body), &l)
		return strings.TrimPrefix(l.Metadata.Next, ts.url)
	}
	got = v3Read(t, ts, cluster, topic, "?timestamp=2026-01-02T03:04:07Z&max_records=4", 200)
	if o := offsets(got); fmt.Sprint(o) != "[2 3 4 5]" || nextOf(got) != "/v3/clusters/"+cluster+"/topics/"+topic+"/partitions/0/records?max_records=4&offset=6" {
		t.Errorf("timestamp: %v %s", o, got)
	}
	got, _ = v3Do(t, ts, "GET", nextOf(got), "", 200)
	if o := offsets(got); fmt.Sprint(o) != "[6 7 8 9]" {
		t.Errorf("next page: %v", o)
	}
	got, _ = v3Do(t, ts, "GET", nextOf(got), "", 200)
	v3Equal(t, ts, cluster, got, `{"kind":"KafkaRecordList","metadata":{"self":"`+base+`?max_records=4&offset=10","next":null},"data":[]}`, topic, "T")
	for _, tc := range []struct{ query, want string }{
		{"", "[0 1 2 3 4 5 6 7 8 9]"},
		{"?offset=8", "[8 9]"},
		{"?offset=100", "[]"},
		{"?timestamp=" + fmt.Sprint(t0.Add(1500*time.Millisecond).UnixMilli()) + "&max_records=1", "[2]"},
		{"?timestamp=2999-01-01T00:00:00Z", "[]"},
		{"?timestamp=1970-01-01T00:00:00Z&max_records=2", "[0 1]"},
		{"?max_records=99999", "[0 1 2 3 4 5 6 7 8 9]"},
		{"?offset=3&max_bytes=1", "[3]"},    // the first record comes whatever its size
		{"?offset=3&max_bytes=10", "[3 4]"}, // 5 bytes each
	} {
		if o := offsets(v3Read(t, ts, cluster, topic, tc.query, 200)); fmt.Sprint(o) != tc.want && !(tc.want == "[]" && o == nil) {
			t.Errorf("%s: %v, want %s", tc.query, o, tc.want)
		}
	}

	// After a records delete, the read starts at the new earliest offset
	// and an offset below it is 404.
	v3Do(t, ts, "POST", "/v3/clusters/"+cluster+"/topics/"+topic+"/partitions/0/records:delete", `{"before_offset":4}`, 200)
	if o := offsets(v3Read(t, ts, cluster, topic, "?max_records=2", 200)); fmt.Sprint(o) != "[4 5]" {
		t.Errorf("after the delete: %v", o)
	}
	if o := offsets(v3Read(t, ts, cluster, topic, "?timestamp=1970-01-01T00:00:00Z&max_records=1", 200)); fmt.Sprint(o) != "[4]" {
		t.Errorf("timestamp before the earliest: %v", o)
	}

	c := "/v3/clusters/" + cluster + "/topics/"
	for _, tc := range []struct{ path, want string }{
		{c + topic + "/partitions/0/records?offset=1", `{"error_code":40402,"message":"Offset 1 is out of range for partition 0 of topic ` + topic + `: it holds 4..10"}`},
		{c + topic + "/partitions/0/records?offset=x", `{"error_code":400,"message":"Bad Request: offset=x is not an integer"}`},
		{c + topic + "/partitions/0/records?offset=", `{"error_code":400,"message":"Bad Request: offset= is not an integer"}`},
		{c + topic + "/partitions/0/records?offset=-1", `{"error_code":400,"message":"Bad Request: offset must not be negative"}`},
		{c + topic + "/partitions/0/records?max_records=0", `{"error_code":400,"message":"Bad Request: max_records must be positive"}`},
		{c + topic + "/partitions/0/records?max_records=ten", `{"error_code":400,"message":"Bad Request: max_records=ten is not an integer"}`},
		{c + topic + "/partitions/0/records?max_bytes=-5", `{"error_code":400,"message":"Bad Request: max_bytes must be positive"}`},
		{c + topic + "/partitions/0/records?max_bytes=1.5", `{"error_code":400,"message":"Bad Request: max_bytes=1.5 is not an integer"}`},
		{c + topic + "/partitions/0/records?timestamp=yesterday", `{"error_code":400,"message":"Bad Request: timestamp=yesterday is neither an ISO-8601 instant such as 2026-12-01T10:00:00Z nor milliseconds since the epoch"}`},
		{c + topic + "/partitions/0/records?timestamp=-5", `{"error_code":400,"message":"Bad Request: timestamp=-5 is neither an ISO-8601 instant such as 2026-12-01T10:00:00Z nor milliseconds since the epoch"}`},
		{c + topic + "/partitions/0/records?offset=1&timestamp=2026-01-01T00:00:00Z", `{"error_code":400,"message":"Bad Request: use offset or timestamp, not both"}`},
		{c + topic + "/partitions/0/records?format=avro", `{"error_code":400,"message":"Bad Request: format=avro is not one of binary, json and string"}`},
		{c + topic + "/partitions/7/records", `{"error_code":40402,"message":"Partition not found."}`},
		{c + topic + "/partitions/-1/records", `{"error_code":40402,"message":"Partition not found."}`},
		{c + topic + "/partitions/x/records", `{"error_code":404,"message":"HTTP 404 Not Found"}`},
		{c + "no-such-topic-r/partitions/0/records", `{"error_code":40403,"message":"This server does not host topic-partition 0 for topic no-such-topic-r"}`},
		{"/v3/clusters/nope/topics/" + topic + "/partitions/0/records", `{"error_code":404,"message":"Cluster nope cannot be found."}`},
	} {
		code, got, _ := ts.do(t, "GET", tc.path, nil, nil)
		if got != tc.want || code != statusOf(tc.want) {
			t.Errorf("GET %s: %d %s\nwant %s", tc.path, code, got, tc.want)
		}
	}
}

// TestV3ReadSchemas reads records that krest's v3 and v2 produce framed
// with Avro, JSON Schema and Protobuf schemas: each is decoded with its
// schema and named by subject, id and version; a framed record whose id
// the registry does not know, or whose subjects it fails to list, is
// BINARY, as is everything with format=binary or without a registry.
func TestV3ReadSchemas(t *testing.T) { eachV3Backend(t, testV3ReadSchemas) }

func testV3ReadSchemas(t *testing.T, b backend) {
	reg, url := startRegistry(t)
	ts, cluster := v3ServerOn(t, b, map[string]string{"schema.registry.url": url})
	topic := createTopic(t, b, 1)
	lines := streamAll(t, ts, cluster, topic, `{"key":{"type":"JSONSCHEMA","schema":"{\"type\":\"string\"}","data":"k1"},"value":{"type":"AVRO","schema":`+quote(userSchema)+`,"data":{"username":"ann","age":{"int":31}}}}
{"value":{"type":"PROTOBUF","subject":"`+topic+`-pb","schema":"syntax = \"proto3\"; message M { string a = 1; }","data":{"a":"x"}}}`)
	if len(lines) != 2 || !strings.Contains(lines[1], `"offset":1`) {
		t.Fatalf("produce: %v", lines)
	}
	if code, body := produceSchema(t, ts, topic, "avro", `{"value_schema":`+quote(userSchema)+`,"records":[{"value":{"username":"bob","age":null}}]}`); code != 200 {
		t.Fatalf("v2 produce: %d %s", code, body)
	}
	// Schemas registered outside krest: one under another subject, one
	// whose subjects the registry fails to list; and an id it lacks.
	other, _, err := reg.RegisterSchema("elsewhere", sr.Schema{Schema: strings.Replace(userSchema, `"User"`, `"Other"`, 1), Type: sr.TypeAvro})
	if err != nil {
		t.Fatal(err)
	}
	failing, _, err := reg.RegisterSchema("failing", sr.Schema{Schema: `{"type":"string"}`, Type: sr.TypeAvro})
	if err != nil {
		t.Fatal(err)
	}
	reg.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == fmt.Sprintf("/schemas/ids/%d/versions", failing) {
			http.Error(w, `{"error_code":50001,"message":"down"}`, 500)
			return true
		}
		return false
	})
	framed := func(id int, payload ...byte) []byte {
		return append([]byte{0, 0, 0, byte(id >> 8), byte(id)}, payload...)
	}
	zed := []byte{6, 'z', 'e', 'd', 0} // {"username":"zed","age":null}
	produceRecords(t, b,
		&kgo.Record{Topic: topic, Value: framed(other, zed...)},
		&kgo.Record{Topic: topic, Value: framed(failing, 2, 'x')},
		&kgo.Record{Topic: topic, Value: framed(9999, 1, 2)},
	)

	var ids struct{ avro, js, pb int }
	for _, l := range lines {
		var r struct {
			Key, Value struct {
				Type     string `json:"type"`
				SchemaID int    `json:"schema_id"`
			}
		}
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		switch r.Value.Type {
		case "AVRO":
			ids.avro, ids.js = r.Value.SchemaID, r.Key.SchemaID
		case "PROTOBUF":
			ids.pb = r.Value.SchemaID
		}
	}
	got := timestampRE.ReplaceAllString(v3Read(t, ts, cluster, topic, "", 200), `"timestamp":"TS"`)
	head := `{"kind":"KafkaRecord","cluster_id":"C","topic_name":"T","partition_id":0,"offset":%d,"timestamp":"TS","headers":[],`
	want := `{"kind":"KafkaRecordList","metadata":{"self":"URL/v3/clusters/C/topics/T/partitions/0/records","next":"URL/v3/clusters/C/topics/T/partitions/0/records?offset=6"},"data":[` +
		fmt.Sprintf(head, 0) + fmt.Sprintf(`"key":{"type":"JSONSCHEMA","subject":"T-key","schema_id":%d,"schema_version":1,"data":"k1"},`, ids.js) +
		fmt.Sprintf(`"value":{"type":"AVRO","subject":"T-value","schema_id":%d,"schema_version":1,"data":{"username":"ann","age":{"int":31}}}},`, ids.avro) +
		fmt.Sprintf(head, 1) + fmt.Sprintf(`"key":null,"value":{"type":"PROTOBUF","subject":"T-pb","schema_id":%d,"schema_version":1,"data":{"a":"x"}}},`, ids.pb) +
		fmt.Sprintf(head, 2) + fmt.Sprintf(`"key":null,"value":{"type":"AVRO","subject":"T-value","schema_id":%d,"schema_version":1,"data":{"username":"bob","age":null}}},`, ids.avro) +
		fmt.Sprintf(head, 3) + fmt.Sprintf(`"key":null,"value":{"type":"AVRO","subject":"elsewhere","schema_id":%d,"schema_version":1,"data":{"username":"zed","age":null}}},`, other) +
		fmt.Sprintf(head, 4) + fmt.Sprintf(`"key":null,"value":{"type":"BINARY","data":"%s"}},`, b64(string(framed(failing, 2, 'x')))) +
		fmt.Sprintf(head, 5) + fmt.Sprintf(`"key":null,"value":{"type":"BINARY","data":"%s"}}`, b64(string(framed(9999, 1, 2)))) + `]}`
	v3Equal(t, ts, cluster, got, want, topic, "T")

	// format=binary, and a krest without a registry, never decode.
	binary := func(body string) {
		t.Helper()
		if n := strings.Count(body, `"type":"BINARY"`); n != 7 || strings.Contains(body, "schema_id") {
			t.Errorf("%d BINARY: %s", n, body)
		}
	}
	binary(v3Read(t, ts, cluster, topic, "?format=binary", 200))
	plain, cluster2 := v3ServerOn(t, b, nil)
	binary(v3Read(t, plain, cluster2, topic, "", 200))
}
