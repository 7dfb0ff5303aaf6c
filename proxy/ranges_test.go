package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/krest-dev/krest/proxy/devcluster"
)

// rangeCase is one request of the range tests and its exact answer.
type rangeCase struct {
	name, method, path, contentType, body string
	status                                int
	want                                  string // the exact body
}

// checkRanges sends each case and compares status and body exactly.
func checkRanges(t *testing.T, ts *testServer, cases []rangeCase) {
	t.Helper()
	for _, tc := range cases {
		h := map[string]string{}
		if tc.contentType != "" {
			h["Content-Type"] = tc.contentType
		}
		status, got, _ := ts.do(t, tc.method, tc.path, h, []byte(tc.body))
		if status != tc.status || got != tc.want {
			t.Errorf("%s: %s %.80s %.80s\n got %d %s\nwant %d %s", tc.name, tc.method, tc.path, tc.body, status, got, tc.status, tc.want)
		}
	}
}

// fakeClusterID is the cluster id krest reports for a kfake backend.
func fakeClusterID(t *testing.T, ts *testServer) string {
	t.Helper()
	status, body, _ := ts.do(t, "GET", "/v3/clusters", nil, nil)
	var list struct {
		Data []struct {
			ClusterID string `json:"cluster_id"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &list); status != 200 || err != nil || len(list.Data) != 1 {
		t.Fatalf("GET /v3/clusters: %d %v %s", status, err, body)
	}
	return list.Data[0].ClusterID
}

// partitionCount is the number of partitions Kafka reports for topic (0:
// no such topic).
func partitionCount(t *testing.T, b backend, topic string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	md, err := adminFor(t, b).Metadata(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	return len(md.Topics[topic].Partitions)
}

const appJSON = "application/json"

// TestV3NumericRanges: every number of a v3 admin request is checked
// against its real range (int32 partition counts and ids, int16
// replication factors, int64 offsets, and what Kafka refuses within them)
// before Kafka sees it. A PATCH with partitions_count 4294967298 once
// answered 200 and grew the topic to 2 partitions: the count wrapped
// around on its way to an int32.
func TestV3NumericRanges(t *testing.T) {
	t.Parallel()
	b := fakeBroker(t)
	ts := startServer(t, b, nil)
	topic := createTopic(t, b, 3)
	c := "/v3/clusters/" + fakeClusterID(t, ts)
	tp := c + "/topics/" + topic
	notInt32 := func(field, n string) string {
		return `{"error_code":400,"message":"Cannot deserialize value of type ` + "`int32`" + ` from number ` + n + ` (field ` + field + `)"}`
	}
	const (
		badCount  = `{"error_code":40002,"message":"Number of partitions was set to an invalid non-positive value."}`
		badRF     = `{"error_code":40002,"message":"Replication factor must be larger than 0, or -1 to use the default value."}`
		notHosted = `{"error_code":40403,"message":"This server does not host this topic-partition."}`
	)
	checkRanges(t, ts, []rangeCase{
		{"partitions_count past int32", "PATCH", tp, appJSON, `{"partitions_count":4294967298}`, 400, notInt32("partitions_count", "4294967298")},
		{"partitions_count below int32", "PATCH", tp, appJSON, `{"partitions_count":-2147483649}`, 400, notInt32("partitions_count", "-2147483649")},
		{"partitions_count zero", "PATCH", tp, appJSON, `{"partitions_count":0}`, 400, badCount},
		{"partitions_count negative", "PATCH", tp, appJSON, `{"partitions_count":-1}`, 400, badCount},
		{"partitions_count a fraction", "PATCH", tp, appJSON, `{"partitions_count":4.5}`, 400, notInt32("partitions_count", "4.5")},
		{"partitions_count 1e999999", "PATCH", tp, appJSON, `{"partitions_count":1e999999}`, 400,
			`{"error_code":400,"message":"Malformed request body: the number at offset 20 (1e999999) is beyond the range of a 64-bit floating-point number"}`},
		{"partitions_count of 100,000 digits", "PATCH", tp, appJSON, `{"partitions_count":` + strings.Repeat("4", 100_000) + `}`, 400,
			`{"error_code":400,"message":"Malformed request body: the number at offset 20 (4444444444444444444444444444444444444444...) is 100000 characters long, over the limit of 1000"}`},

		{"create: partitions_count past int32", "POST", c + "/topics", appJSON, `{"topic_name":"t1","partitions_count":2147483648}`, 400, notInt32("partitions_count", "2147483648")},
		{"create: partitions_count zero", "POST", c + "/topics", appJSON, `{"topic_name":"t1","partitions_count":0}`, 400, badCount},
		{"create: partitions_count -2", "POST", c + "/topics", appJSON, `{"topic_name":"t1","partitions_count":-2}`, 400, badCount},
		{"create: replication_factor past int16", "POST", c + "/topics", appJSON, `{"topic_name":"t1","replication_factor":32768}`, 400,
			`{"error_code":400,"message":"Cannot deserialize value of type ` + "`int16`" + ` from number 32768 (field replication_factor)"}`},
		{"create: replication_factor zero", "POST", c + "/topics", appJSON, `{"topic_name":"t1","replication_factor":0}`, 400, badRF},
		{"create: replication_factor -5", "POST", c + "/topics", appJSON, `{"topic_name":"t1","replication_factor":-5}`, 400, badRF},
		{"create: negative assigned partition", "POST", c + "/topics", appJSON, `{"topic_name":"t1","replicas_assignments":{"-1":[1]}}`, 400,
			`{"error_code":40002,"message":"The manual partition assignment includes partition -1: partitions must be numbered 0 to 0."}`},
		{"create: assigned partition 2147483647", "POST", c + "/topics", appJSON, `{"topic_name":"t1","replicas_assignments":{"0":[1],"2147483647":[1]}}`, 400,
			`{"error_code":40002,"message":"The manual partition assignment includes partition 2147483647: partitions must be numbered 0 to 1."}`},
		{"create: negative broker", "POST", c + "/topics", appJSON, `{"topic_name":"t1","replicas_assignments":{"0":[-1]}}`, 400,
			`{"error_code":40002,"message":"The manual partition assignment includes broker -1, but no such broker is registered."}`},

		{"reassign: negative broker", "POST", tp + "/partitions/0/reassignment", appJSON, `{"replicas":[-1]}`, 400,
			`{"error_code":40002,"message":"The manual partition assignment includes broker -1, but no such broker is registered."}`},
		{"reassign: broker past int32", "POST", tp + "/partitions/0/reassignment", appJSON, `{"replicas":[2147483648]}`, 400, notInt32("replicas", "2147483648")},
		{"reassign: negative partition", "POST", tp + "/partitions/-1/reassignment", appJSON, `{"replicas":[1]}`, 404, notHosted},
		{"reassign: partition past int32", "POST", tp + "/partitions/2147483648/reassignment", appJSON, `{"replicas":[1]}`, 404, `{"error_code":404,"message":"HTTP 404 Not Found"}`},
		{"cancel: negative partition", "DELETE", tp + "/partitions/-1/reassignment", "", "", 404, notHosted},

		{"delete records: before_offset -2", "POST", tp + "/partitions/0/records:delete", appJSON, `{"before_offset":-2}`, 400,
			`{"error_code":40002,"message":"The requested offset is not within the range of offsets maintained by the server."}`},
		{"delete records: before_offset past int64", "POST", tp + "/partitions/0/records:delete", appJSON, `{"before_offset":9223372036854775808}`, 400,
			`{"error_code":400,"message":"Cannot deserialize value of type ` + "`int64`" + ` from number 9223372036854775808 (field before_offset)"}`},

		{"reset: negative partition", "POST", c + "/consumer-groups/g/offsets:reset", appJSON, `{"to":"earliest","topics":[{"topic_name":"` + topic + `","partitions":[-1]}]}`, 422,
			`{"error_code":42206,"message":"Payload error. topics[].partitions must not be negative."}`},
		{"reset: shift_by past int64", "POST", c + "/consumer-groups/g/offsets:reset", appJSON, `{"to":"shift","shift_by":9223372036854775808}`, 400,
			`{"error_code":400,"message":"Cannot deserialize value of type ` + "`int64`" + ` from number 9223372036854775808 (field shift_by)"}`},

		{"read: offset past int64", "GET", tp + "/partitions/0/records?offset=9223372036854775808", "", "", 400,
			`{"error_code":400,"message":"Bad Request: offset=9223372036854775808 is not an integer"}`},
		{"read: negative offset", "GET", tp + "/partitions/0/records?offset=-1", "", "", 400, `{"error_code":400,"message":"Bad Request: offset must not be negative"}`},
		{"read: max_records zero", "GET", tp + "/partitions/0/records?max_records=0", "", "", 400, `{"error_code":400,"message":"Bad Request: max_records must be positive"}`},
		{"read: max_bytes past int64", "GET", tp + "/partitions/0/records?max_bytes=9223372036854775808", "", "", 400,
			`{"error_code":400,"message":"Bad Request: max_bytes=9223372036854775808 is not an integer"}`},
	})
	if n := partitionCount(t, b, topic); n != 3 {
		t.Errorf("%s has %d partitions after the refused requests, want 3", topic, n)
	}
	if n := partitionCount(t, b, "t1"); n != 0 {
		t.Errorf("t1 was created with %d partitions", n)
	}
}

// TestV3ShiftClamped: an offset reset by an absurd shift moves to the
// partition's end (or start), instead of wrapping around to the other.
func TestV3ShiftClamped(t *testing.T) {
	t.Parallel()
	b := fakeBroker(t)
	ts := startServer(t, b, nil)
	topic := createTopic(t, b, 1)
	produceValues(t, b, topic, 1, values("v", 3)...)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	commit := kadm.Offsets{}
	commit.AddOffset(topic, 0, 1, -1)
	if err := adminFor(t, b).CommitAllOffsets(ctx, "shifted", commit); err != nil {
		t.Fatal(err)
	}
	path := "/v3/clusters/" + fakeClusterID(t, ts) + "/consumer-groups/shifted/offsets:reset"
	for shift, want := range map[string]string{"9223372036854775807": `"new_offset":3`, "-9223372036854775808": `"new_offset":0`} {
		status, got, _ := ts.do(t, "POST", path, map[string]string{"Content-Type": appJSON}, []byte(`{"to":"shift","shift_by":`+shift+`,"dry_run":true}`))
		if status != 200 || !strings.Contains(got, want) {
			t.Errorf("shift by %s: %d %s, want %s", shift, status, got, want)
		}
	}
}

// TestGroupNameLength: group ids and instance names are refused past
// admin.MaxGroupNameLength characters; 10,000-character ones were taken.
func TestGroupNameLength(t *testing.T) {
	t.Parallel()
	b := fakeBroker(t)
	ts := startServer(t, b, nil)
	c := "/v3/clusters/" + fakeClusterID(t, ts)
	long, longer := strings.Repeat("g", 250), strings.Repeat("n", 10_000)
	checkRanges(t, ts, []rangeCase{
		{"v2 group of 250", "POST", "/consumers/" + long, kafkaV2, `{}`, 422,
			`{"error_code":422,"message":"Invalid consumer group name: it can't be longer than 249 characters, group: gggggggggggggggggggggggggggggggggggggggg..."}`},
		{"v2 name of 250", "POST", "/consumers/g", kafkaV2, `{"name":"` + long + `"}`, 422,
			`{"error_code":422,"message":"Invalid consumer instance name: it can't be longer than 249 characters, name: gggggggggggggggggggggggggggggggggggggggg..."}`},
		{"v2 name of 10,000", "POST", "/consumers/g", kafkaV2, `{"name":"` + longer + `"}`, 422,
			`{"error_code":422,"message":"Invalid consumer instance name: it can't be longer than 249 characters, name: nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn..."}`},
		{"v2 legacy id of 250", "POST", "/consumers/g", kafkaV2, `{"id":"` + long + `"}`, 422,
			`{"error_code":422,"message":"Invalid consumer instance name: it can't be longer than 249 characters, name: gggggggggggggggggggggggggggggggggggggggg..."}`},
		{"v3 group of 250", "GET", c + "/consumer-groups/" + long, "", "", 400,
			`{"error_code":40002,"message":"Consumer group id is illegal, it can't be longer than 249 characters, consumer group id: gggggggggggggggggggggggggggggggggggggggg..."}`},
		{"v3 group of 250, reset", "POST", c + "/consumer-groups/" + long + "/offsets:reset", appJSON, `{"to":"earliest"}`, 400,
			`{"error_code":40002,"message":"Consumer group id is illegal, it can't be longer than 249 characters, consumer group id: gggggggggggggggggggggggggggggggggggggggg..."}`},
		{"v3 group of 250, lags", "GET", c + "/consumer-groups/" + long + "/lags", "", "", 400,
			`{"error_code":40002,"message":"Consumer group id is illegal, it can't be longer than 249 characters, consumer group id: gggggggggggggggggggggggggggggggggggggggg..."}`},
	})
	// 249 characters, and multi-byte ones counted as characters, are fine.
	newRESTConsumer(t, ts, strings.Repeat("h", 249), `{"name":"`+strings.Repeat("é", 249)+`"}`)
	if status, got, _ := ts.do(t, "GET", c+"/consumer-groups/"+strings.Repeat("h", 249), nil, nil); status != 200 && status != 404 {
		t.Errorf("v3 group of 249: %d %s", status, got)
	}
}

// TestV2NumericRanges: the v2 consumer and read endpoints check their
// numbers before Kafka sees them, and a timeout past what a Duration holds
// does not overflow into a negative wait.
func TestV2NumericRanges(t *testing.T) {
	t.Parallel()
	b := fakeBroker(t)
	ts := startServer(t, b, nil)
	topic := createTopic(t, b, 1)
	produceValues(t, b, topic, 1, values("v", 3)...)
	checkRanges(t, ts, []rangeCase{
		{"request timeout past int32", "POST", "/consumers/g", kafkaV2, `{"consumer.request.timeout.ms":2147483648}`, 400,
			`{"error_code":400,"message":"Malformed request body: 2147483648 is not an integer (32 bits)"}`},
		{"fetch.min.bytes 1e999999", "POST", "/consumers/g", kafkaV2, `{"fetch.min.bytes":1e999999}`, 400,
			`{"error_code":400,"message":"Malformed request body: the number at offset 19 (1e999999) is beyond the range of a 64-bit floating-point number"}`},
		{"messages: offset past int64", "GET", "/topics/" + topic + "/partitions/0/messages?offset=9223372036854775808", "", "", 400,
			`{"error_code":400,"message":"Bad Request: offset=9223372036854775808 is not an integer"}`},
		{"messages: count past int64", "GET", "/topics/" + topic + "/partitions/0/messages?offset=0&count=9223372036854775808", "", "", 400,
			`{"error_code":400,"message":"Bad Request: count=9223372036854775808 is not an integer"}`},
		{"messages: count zero", "GET", "/topics/" + topic + "/partitions/0/messages?offset=0&count=0", "", "", 400,
			`{"error_code":400,"message":"Bad Request: count must be in 1..10000"}`},
		{"messages: negative offset", "GET", "/topics/" + topic + "/partitions/0/messages?offset=-1", "", "", 400,
			`{"error_code":400,"message":"Bad Request: offset must not be negative"}`},
		{"messages: partition past int32", "GET", "/topics/" + topic + "/partitions/2147483648/messages?offset=0", "", "", 404,
			`{"error_code":404,"message":"HTTP 404 Not Found"}`},
	})

	c := newRESTConsumer(t, ts, "ranges-"+topic, `{"format":"binary","consumer.request.timeout.ms":1000}`)
	c.mustCall(t, "POST", "/assignments", `{"partitions":[{"topic":"`+topic+`","partition":0}]}`, 204)
	negative := `{"error_code":422,"message":"offsets: partition and offset must not be negative"}`
	notFound := `{"error_code":40402,"message":"Partition not found."}`
	for _, tc := range []struct {
		name, method, suffix, body string
		status                     int
		want                       string
	}{
		{"seek to a negative offset", "POST", "/positions", `{"offsets":[{"topic":"` + topic + `","partition":0,"offset":-1}]}`, 422, negative},
		{"seek a negative partition", "POST", "/positions", `{"offsets":[{"topic":"` + topic + `","partition":-1,"offset":0}]}`, 422, negative},
		{"seek past int64", "POST", "/positions", `{"offsets":[{"topic":"` + topic + `","partition":0,"offset":9223372036854775808}]}`, 400,
			`{"error_code":400,"message":"Malformed request body: 9223372036854775808 is not an integer (64 bits)"}`},
		{"seek a partition past int32", "POST", "/positions", `{"offsets":[{"topic":"` + topic + `","partition":2147483648,"offset":0}]}`, 400,
			`{"error_code":400,"message":"Malformed request body: 2147483648 is not an integer (32 bits)"}`},
		{"seek a negative partition to a time", "POST", "/positions", `{"timestamps":[{"topic":"` + topic + `","partition":-1,"timestamp":"2024-01-01T00:00:00Z"}]}`, 404, notFound},
		{"seek a negative partition to its start", "POST", "/positions/beginning", `{"partitions":[{"topic":"` + topic + `","partition":-1}]}`, 404, notFound},
		{"committed offsets of a negative partition", "GET", "/offsets", `{"partitions":[{"topic":"` + topic + `","partition":-1}]}`, 404, notFound},
		{"commit a negative offset", "POST", "/offsets", `{"offsets":[{"topic":"` + topic + `","partition":0,"offset":-5}]}`, 422, negative},
		{"read with a timeout that is no integer", "GET", "/records?timeout=x", "", 400, `{"error_code":400,"message":"Bad Request: timeout=x is not an integer"}`},
	} {
		status, got := c.call(t, tc.method, tc.suffix, tc.body)
		if status != tc.status || got != tc.want {
			t.Errorf("%s: %d %s\nwant %d %s", tc.name, status, got, tc.status, tc.want)
		}
	}
	// A timeout past a Duration's milliseconds leaves the instance's
	// 1 s wait as it is: the read answers, after at most that wait.
	start := time.Now()
	status, got, _ := ts.do(t, "GET", c.path("/records?timeout=9223372036854775807&max_bytes=9223372036854775807"), map[string]string{"Accept": "application/vnd.kafka.binary.v2+json"}, nil)
	if status != 200 || time.Since(start) > 5*time.Second {
		t.Errorf("read with the largest timeout: %d after %v: %s", status, time.Since(start), got)
	}
	// Nothing moved the group's committed offset.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	offs, err := adminFor(t, b).FetchOffsets(ctx, "ranges-"+topic)
	if err != nil && !errors.Is(err, kerr.GroupIDNotFound) {
		t.Fatal(err)
	}
	if o, ok := offs.Lookup(topic, 0); ok && o.At >= 0 {
		t.Errorf("committed offset %d after refused commits", o.At)
	}
}

// TestAbsurdNumbers: a number of more than 1000 characters or beyond
// float64's range is refused anywhere in a request's JSON, embedded json
// values included, and nothing is produced.
func TestAbsurdNumbers(t *testing.T) {
	t.Parallel()
	b := fakeBroker(t)
	ts := startServer(t, b, nil)
	topic := createTopic(t, b, 1)
	c := "/v3/clusters/" + fakeClusterID(t, ts) + "/topics/" + topic
	jsonV2 := "application/vnd.kafka.json.v2+json"
	digits := strings.Repeat("7", 100_000)
	checkRanges(t, ts, []rangeCase{
		{"v2 json value 1e999999", "POST", "/topics/" + topic, jsonV2, `{"records":[{"value":{"a":1e999999}}]}`, 400,
			`{"error_code":400,"message":"Bad Request: data={\"a\":1e999999}: the number at offset 5 (1e999999) is beyond the range of a 64-bit floating-point number"}`},
		{"v2 json value 1e-999999", "POST", "/topics/" + topic, jsonV2, `{"records":[{"value":[1e-999999]}]}`, 400,
			`{"error_code":400,"message":"Bad Request: data=[1e-999999]: the number at offset 1 (1e-999999) is too small for a 64-bit floating-point number to tell from zero"}`},
		{"v2 json key of 100,000 digits", "POST", "/topics/" + topic, jsonV2, `{"records":[{"key":` + digits + `,"value":1}]}`, 400,
			`{"error_code":400,"message":"Bad Request: data=` + digits[:64] + `...: the number at offset 0 (7777777777777777777777777777777777777777...) is 100000 characters long, over the limit of 1000"}`},
		{"v2 partition 1e999999", "POST", "/topics/" + topic, jsonV2, `{"records":[{"value":1,"partition":1e999999}]}`, 400,
			`{"error_code":400,"message":"Malformed request body: records[0].partition: 1e999999 is not an integer (32 bits)"}`},
		{"v3 batch 1e999999", "POST", c + "/records:batch", appJSON, `{"entries":[{"id":"a","value":{"type":"JSON","data":1e999999}}]}`, 400,
			`{"error_code":400,"message":"Malformed request body: the number at offset 52 (1e999999) is beyond the range of a 64-bit floating-point number"}`},
		{"v3 stream 1e999999", "POST", c + "/records", appJSON, `{"value":{"type":"JSON","data":{"n":1e999999}}}`, 200,
			`{"error_code":400,"message":"Bad Request: data={\"n\":1e999999}: the number at offset 5 (1e999999) is beyond the range of a 64-bit floating-point number"}` + "\r\n"},
		{"v3 stream partition 1e999999", "POST", c + "/records", appJSON, `{"partition_id":1e999999,"value":{"type":"JSON","data":1}}`, 200,
			"{\"error_code\":400,\"message\":\"Cannot deserialize value of type `java.lang.Integer` from 1e999999: partition_id must be an integer\"}\r\n"},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ends, err := adminFor(t, b).ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := ends.Lookup(topic, 0); o.Offset != 0 {
		t.Errorf("%d records produced", o.Offset)
	}
}

// TestDevBrokerPartitionCap: in dev mode, a topic cannot be grown past
// devcluster.MaxPartitions; asking for 2,147,483,647 partitions once grew
// the embedded broker's memory without limit.
func TestDevBrokerPartitionCap(t *testing.T) {
	t.Parallel()
	dev, err := devcluster.Start(0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dev.Close)
	b := backend{name: "dev", seeds: dev.Addrs()}
	ts := startServer(t, b, nil)
	topic := createTopic(t, b, 1)
	c := "/v3/clusters/" + fakeClusterID(t, ts)
	capped := `{"error_code":40002,"message":"The dev broker holds at most 1000 partitions per topic (krest's embedded Kafka keeps them in memory)."}`
	checkRanges(t, ts, []rangeCase{
		{"grow to 2147483647", "PATCH", c + "/topics/" + topic, appJSON, `{"partitions_count":2147483647}`, 400, capped},
		{"grow to 1001", "PATCH", c + "/topics/" + topic, appJSON, `{"partitions_count":1001}`, 400, capped},
		{"create with 2147483647", "POST", c + "/topics", appJSON, `{"topic_name":"huge","partitions_count":2147483647}`, 400, capped},
	})
	if n := partitionCount(t, b, topic); n != 1 {
		t.Errorf("%s has %d partitions, want 1", topic, n)
	}
	if n := partitionCount(t, b, "huge"); n != 0 {
		t.Errorf("huge was created with %d partitions", n)
	}
}
