package proxy

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// storedTopicConfig is the value of topic's config name as Kafka describes it.
func storedTopicConfig(t *testing.T, b backend, topic, name string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rcs, err := adminFor(t, b).DescribeTopicConfigs(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := rcs.On(topic, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range rc.Configs {
		if c.Key == name {
			return c.MaybeValue()
		}
	}
	return ""
}

// TestV3ScalarCoercion: the scalars of v3 request bodies are read with
// Jackson's scalar coercion, as Confluent's proxy reads them: integers as
// strings of digits, booleans as "true" or "false" or an integer, strings
// as numbers. They were refused with a 400. The range checks hold for a
// string as for a number; what Jackson refuses stays refused.
func TestV3ScalarCoercion(t *testing.T) {
	t.Parallel()
	b := fakeBroker(t)
	ts := startServer(t, b, nil)
	cluster := fakeClusterID(t, ts)
	c := "/v3/clusters/" + cluster
	topic := createTopic(t, b, 1)
	tp := c + "/topics/" + topic
	topicBody := func(name string, rf, partitions int) string {
		u := ts.url + c + "/topics/" + name
		return `{"kind":"KafkaTopic","metadata":{"self":"` + u + `","resource_name":"crn:///kafka=` + cluster + `/topic=` + name + `"},` +
			`"cluster_id":"` + cluster + `","topic_name":"` + name + `","is_internal":false,"replication_factor":` + itoa(rf) + `,"partitions_count":` + itoa(partitions) + `,` +
			`"partitions":{"related":"` + u + `/partitions"},"configs":{"related":"` + u + `/configs"},` +
			`"partition_reassignments":{"related":"` + u + `/partitions/-/reassignment"},"authorized_operations":[]}`
	}
	typeError := func(typ, value, field string) string {
		return `{"error_code":400,"message":"Cannot deserialize value of type ` + "`" + typ + "`" + ` from ` + value + ` (field ` + field + `)"}`
	}
	created, validated := topic+"-created", topic+"-validated"
	checkRanges(t, ts, []rangeCase{
		// Create: counts as strings, a config value as a number, validate_only as a string.
		{"create", "POST", c + "/topics", appJSON,
			`{"topic_name":"` + created + `","partitions_count":"2","replication_factor":"1","configs":[{"name":"retention.ms","value":7200000}],"validate_only":"false"}`,
			201, topicBody(created, 1, 2)},
		{"create, validate_only \"true\"", "POST", c + "/topics", appJSON,
			`{"topic_name":"` + validated + `","partitions_count":"2","validate_only":"true"}`, 200, topicBody(validated, 1, 2)},
		{"create, validate_only 1", "POST", c + "/topics", appJSON,
			`{"topic_name":"` + validated + `","partitions_count":2,"validate_only":1}`, 200, topicBody(validated, 1, 2)},
		{"create, partitions_count \"4294967298\"", "POST", c + "/topics", appJSON,
			`{"topic_name":"` + validated + `","partitions_count":"4294967298"}`, 400, typeError("int32", `string \"4294967298\"`, "partitions_count")},
		{"create, replication_factor \"32768\"", "POST", c + "/topics", appJSON,
			`{"topic_name":"` + validated + `","replication_factor":"32768"}`, 400, typeError("int16", `string \"32768\"`, "replication_factor")},
		{"create, validate_only \"yes\"", "POST", c + "/topics", appJSON,
			`{"topic_name":"` + validated + `","validate_only":"yes"}`, 400, typeError("bool", `string \"yes\"`, "validate_only")},
		{"create, a config value as an object", "POST", c + "/topics", appJSON,
			`{"topic_name":"` + validated + `","configs":[{"name":"retention.ms","value":{}}]}`, 400, typeError("string", "object", "configs.value")},

		// Grow: partitions_count as a string, trimmed; its range checked as a number's.
		{"PATCH \"2\"", "PATCH", tp, appJSON, `{"partitions_count":"2"}`, 200, topicBody(topic, 1, 2)},
		{"PATCH \" 3 \"", "PATCH", tp, appJSON, `{"partitions_count":" 3 "}`, 200, topicBody(topic, 1, 3)},
		{"PATCH \"4294967298\"", "PATCH", tp, appJSON, `{"partitions_count":"4294967298"}`, 400, typeError("int32", `string \"4294967298\"`, "partitions_count")},
		{"PATCH 4294967298", "PATCH", tp, appJSON, `{"partitions_count":4294967298}`, 400, typeError("int32", "number 4294967298", "partitions_count")},
		{"PATCH \"0\"", "PATCH", tp, appJSON, `{"partitions_count":"0"}`, 400,
			`{"error_code":40002,"message":"Number of partitions was set to an invalid non-positive value."}`},
		{"PATCH \"4.5\"", "PATCH", tp, appJSON, `{"partitions_count":"4.5"}`, 400, typeError("int32", `string \"4.5\"`, "partitions_count")},
		{"PATCH \"four\"", "PATCH", tp, appJSON, `{"partitions_count":"four"}`, 400, typeError("int32", `string \"four\"`, "partitions_count")},
		{"PATCH true", "PATCH", tp, appJSON, `{"partitions_count":true}`, 400, typeError("int32", "bool", "partitions_count")},
		{"PATCH \"\" (null)", "PATCH", tp, appJSON, `{"partitions_count":""}`, 422,
			`{"error_code":42206,"message":"Payload error. Request body is empty. Partitions_count is required."}`},

		// Configs: a value as a number or a boolean, validate_only as a string.
		{"PUT a number", "PUT", tp + "/configs/retention.ms", appJSON, `{"value":3600000}`, 204, ""},
		{"alter, validate_only \"true\"", "POST", tp + "/configs:alter", appJSON,
			`{"data":[{"name":"retention.ms","value":1},{"name":"min.insync.replicas","value":1}],"validate_only":"true"}`, 204, ""},
		{"alter-multi, validate_only \"true\"", "POST", c + "/topics/-/configs:alter", appJSON,
			`{"data":[{"topic_name":"` + topic + `","configs":[{"name":"retention.ms","value":1}]}],"validate_only":"TRUE"}`, 204, ""},
		// kfake keeps any value; the point is the text of the boolean.
		{"alter a boolean", "POST", tp + "/configs:alter", appJSON,
			`{"data":[{"name":"cleanup.policy","value":true}],"validate_only":"false"}`, 204, ""},
		{"PUT an array", "PUT", tp + "/configs/retention.ms", appJSON, `{"value":[1]}`, 400, typeError("string", "array", "value")},
		{"alter, validate_only \"nope\"", "POST", tp + "/configs:alter", appJSON,
			`{"data":[{"name":"retention.ms","value":1}],"validate_only":"nope"}`, 400, typeError("bool", `string \"nope\"`, "validate_only")},

		// Records: partition_id as a string.
		{"produce to partition \"x\"", "POST", tp + "/records", appJSON, `{"partition_id":"x","value":{"type":"STRING","data":"v"}}`, 200,
			"{\"error_code\":400,\"message\":\"Cannot deserialize value of type `java.lang.Integer` from \\\"x\\\": partition_id must be an integer\"}\r\n"},
		{"produce to partition \"2147483648\"", "POST", tp + "/records", appJSON, `{"partition_id":"2147483648","value":{"type":"STRING","data":"v"}}`, 200,
			"{\"error_code\":400,\"message\":\"Cannot deserialize value of type `java.lang.Integer` from \\\"2147483648\\\": partition_id must be an integer\"}\r\n"},
	})
	for _, tc := range []struct {
		topic, config, want string
	}{
		{created, "retention.ms", "7200000"},
		{topic, "retention.ms", "3600000"},
		{topic, "min.insync.replicas", "1"},
		{topic, "cleanup.policy", "true"},
	} {
		if got := storedTopicConfig(t, b, tc.topic, tc.config); got != tc.want {
			t.Errorf("%s's %s is %q, want %q", tc.topic, tc.config, got, tc.want)
		}
	}
	for name, want := range map[string]int{created: 2, validated: 0, topic: 3} {
		if n := partitionCount(t, b, name); n != want {
			t.Errorf("%s has %d partitions, want %d", name, n, want)
		}
	}

	// A record goes to the partition_id given as a string.
	lines := streamAll(t, ts, cluster, topic, `{"partition_id":"1","value":{"type":"STRING","data":"v"}}`+"\n"+
		`{"partition_id":" 2 ","value":{"type":"STRING","data":"w"}}`)
	want := []string{
		`{"error_code":200,"cluster_id":"` + cluster + `","topic_name":"` + topic + `","partition_id":1,"offset":0,"timestamp":"TS","value":{"type":"STRING","size":1}}`,
		`{"error_code":200,"cluster_id":"` + cluster + `","topic_name":"` + topic + `","partition_id":2,"offset":0,"timestamp":"TS","value":{"type":"STRING","size":1}}`,
	}
	if got := timestampRE.ReplaceAllString(strings.Join(lines, "\n"), `"timestamp":"TS"`); got != strings.Join(want, "\n") {
		t.Errorf("produce by partition_id strings:\n got %s\nwant %s", got, strings.Join(want, "\n"))
	}
	recs := consumeAll(t, b, topic, 2)
	for _, r := range recs {
		if want := map[string]int32{"v": 1, "w": 2}[string(r.Value)]; r.Partition != want {
			t.Errorf("record %q in partition %d, want %d", r.Value, r.Partition, want)
		}
	}
}

// TestV3SchemaIDCoercion: a record's schema_id and schema_version may be
// strings of digits, as Jackson reads an Integer.
func TestV3SchemaIDCoercion(t *testing.T) {
	t.Parallel()
	b := fakeBroker(t)
	_, url := startRegistry(t)
	ts := startServer(t, b, map[string]string{"schema.registry.url": url})
	cluster := fakeClusterID(t, ts)
	topic := createTopic(t, b, 1)
	first := streamAll(t, ts, cluster, topic, `{"value":{"type":"AVRO","schema":"\"string\"","data":"a"}}`)
	var r struct {
		Value struct {
			SchemaID int `json:"schema_id"`
		} `json:"value"`
	}
	if len(first) != 1 || json.Unmarshal([]byte(first[0]), &r) != nil || r.Value.SchemaID == 0 {
		t.Fatalf("registering the schema: %v", first)
	}
	id := itoa(r.Value.SchemaID)
	got := streamAll(t, ts, cluster, topic, `{"value":{"schema_id":"`+id+`","data":"b"}}`+"\n"+
		`{"value":{"schema_version":" 1 ","data":"c"}}`+"\n"+
		`{"value":{"schema_id":"","data":"d"}}`+"\n"+
		`{"value":{"schema_id":"one","data":"e"}}`)
	result := func(offset, size int) string {
		return `{"error_code":200,"cluster_id":"` + cluster + `","topic_name":"` + topic + `","partition_id":0,"offset":` + itoa(offset) +
			`,"timestamp":"TS","value":{"type":"AVRO","subject":"` + topic + `-value","schema_id":` + id + `,"schema_version":1,"size":` + itoa(size) + `}}`
	}
	want := []string{
		result(1, 7), result(2, 7), result(3, 7),
		"{\"error_code\":400,\"message\":\"Cannot deserialize value of type `java.lang.Integer` from \\\"one\\\": schema_id must be an integer\"}",
	}
	if g := timestampRE.ReplaceAllString(strings.Join(got, "\n"), `"timestamp":"TS"`); g != strings.Join(want, "\n") {
		t.Errorf("schema ids as strings:\n got %s\nwant %s", g, strings.Join(want, "\n"))
	}
}
