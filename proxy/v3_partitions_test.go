package proxy

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

// v3Errors sends each request and checks its exact error body and the
// status its code implies.
func v3Errors(t *testing.T, ts *testServer, cases []struct{ method, path, body, want string }) {
	t.Helper()
	for _, tc := range cases {
		h := map[string]string{}
		if tc.body != "" {
			h["Content-Type"] = "application/json"
		}
		code, got, _ := ts.do(t, tc.method, tc.path, h, []byte(tc.body))
		if got != tc.want || code != statusOf(tc.want) {
			t.Errorf("%s %s %s: %d %s\n want %s", tc.method, tc.path, tc.body, code, got, tc.want)
		}
	}
}

func TestV3Partitions(t *testing.T) { eachV3Backend(t, testV3Partitions) }

func testV3Partitions(t *testing.T, b backend) {
	ts, cluster := v3ServerOn(t, b, nil)
	c := "/v3/clusters/" + cluster
	name := createTopic(t, b, 2)
	none := name + "-none"
	part := func(p string) string {
		return `{"kind":"KafkaPartition","metadata":{"self":"URL/v3/clusters/C/topics/T/partitions/` + p + `","resource_name":"crn:///kafka=C/topic=T/partition=` + p + `"},
		 "cluster_id":"C","topic_name":"T","partition_id":` + p + `,
		 "leader":{"related":"URL/v3/clusters/C/topics/T/partitions/` + p + `/replicas/1"},
		 "replicas":{"related":"URL/v3/clusters/C/topics/T/partitions/` + p + `/replicas"},
		 "reassignment":{"related":"URL/v3/clusters/C/topics/T/partitions/` + p + `/reassignment"}}`
	}
	subst := append([]string{name, "T"}, v3FakeSubst(b)...)
	got, _ := v3Do(t, ts, "GET", c+"/topics/"+name+"/partitions", "", 200)
	v3Equal(t, ts, cluster, got, `{"kind":"KafkaPartitionList","metadata":{"self":"URL/v3/clusters/C/topics/T/partitions","next":null},
	 "data":[`+part("0")+`,`+part("1")+`]}`, subst...)
	got, _ = v3Do(t, ts, "GET", c+"/topics/"+name+"/partitions/1", "", 200)
	v3Equal(t, ts, cluster, got, part("1"), subst...)

	offsets := `{"kind":"KafkaPartitionWithOffsets","metadata":{"self":"URL/v3/clusters/C/topics/T/partitions/1/offset",
	 "resource_name":"crn:///kafka=C/topic=T/partition=1/offset_type=earliest_and_latest"},
	 "cluster_id":"C","topic_name":"T","partition_id":1,"earliest_offset":0,"latest_offset":0}`
	for _, q := range []string{"", "?offset_type=earliest_and_latest"} {
		got, _ = v3Do(t, ts, "GET", c+"/topics/"+name+"/partitions/1/offset"+q, "", 200)
		v3Equal(t, ts, cluster, got, offsets, name, "T")
	}

	replica := `{"kind":"KafkaReplica","metadata":{"self":"URL/v3/clusters/C/topics/T/partitions/1/replicas/1",
	 "resource_name":"crn:///kafka=C/topic=T/partition=1/replica=1"},
	 "cluster_id":"C","topic_name":"T","partition_id":1,"broker_id":1,"is_leader":true,"is_in_sync":true,
	 "broker":{"related":"URL/v3/clusters/C/brokers/1"}}`
	got, _ = v3Do(t, ts, "GET", c+"/topics/"+name+"/partitions/1/replicas", "", 200)
	v3Equal(t, ts, cluster, got, `{"kind":"KafkaReplicaList","metadata":{"self":"URL/v3/clusters/C/topics/T/partitions/1/replicas","next":null},
	 "data":[`+replica+`]}`, subst...)
	got, _ = v3Do(t, ts, "GET", c+"/topics/"+name+"/partitions/1/replicas/"+v3Node(b), "", 200)
	v3Equal(t, ts, cluster, got, replica, subst...)

	// Confluent's 404s differ by endpoint; a {topic} of "-" is a topic.
	v3Errors(t, ts, []struct{ method, path, body, want string }{
		{"GET", "/v3/clusters/nope/topics/" + name + "/partitions", "", `{"error_code":404,"message":"Cluster nope cannot be found."}`},
		{"GET", c + "/topics/" + none + "/partitions", "", `{"error_code":40403,"message":"This server does not host this topic-partition."}`},
		{"GET", c + "/topics/-/partitions", "", `{"error_code":40403,"message":"This server does not host this topic-partition."}`},
		{"GET", c + "/topics/" + name + "/partitions/2", "", `{"error_code":404,"message":"HTTP 404 Not Found"}`},
		{"GET", c + "/topics/" + name + "/partitions/x", "", `{"error_code":404,"message":"HTTP 404 Not Found"}`},
		{"GET", c + "/topics/" + none + "/partitions/0", "", `{"error_code":40403,"message":"This server does not host topic-partition 0 for topic ` + none + `"}`},
		{"GET", c + "/topics/" + name + "/partitions/2/offset", "", `{"error_code":40402,"message":"Partition not found."}`},
		{"GET", c + "/topics/" + none + "/partitions/0/offset", "", `{"error_code":40403,"message":"This server does not host topic-partition 0 for topic ` + none + `"}`},
		{"GET", c + "/topics/" + name + "/partitions/0/offset?offset_type=latest", "", `{"error_code":400,"message":"offset_type:latest is invalid"}`},
		{"GET", c + "/topics/" + name + "/partitions/0/offset?offset_type=", "", `{"error_code":400,"message":"offset_type: is invalid"}`},
		{"GET", c + "/topics/" + name + "/partitions/2/replicas", "", `{"error_code":404,"message":"Partition 2 of topic ` + name + ` could not be found on cluster ` + cluster + `."}`},
		{"GET", c + "/topics/" + name + "/partitions/2/replicas/1", "", `{"error_code":404,"message":"Partition 2 of topic ` + name + ` could not be found on cluster ` + cluster + `."}`},
		{"GET", c + "/topics/" + none + "/partitions/0/replicas", "", `{"error_code":40403,"message":"This server does not host topic-partition 0 for topic ` + none + `"}`},
		{"GET", c + "/topics/" + name + "/partitions/0/replicas/2", "", `{"error_code":404,"message":"HTTP 404 Not Found"}`},
		{"GET", c + "/topics/" + name + "/partitions/0/replicas/x", "", `{"error_code":404,"message":"HTTP 404 Not Found"}`},
		{"GET", c + "/brokers/2/partition-replicas", "", `{"error_code":404,"message":"Broker 2 cannot be found."}`},
		{"GET", c + "/brokers/x/partition-replicas", "", `{"error_code":404,"message":"HTTP 404 Not Found"}`},
		{"GET", "/v3/clusters/nope/brokers/1/partition-replicas", "", `{"error_code":404,"message":"Cluster nope cannot be found."}`},
	})
}

func TestV3PartitionReplicasByBroker(t *testing.T) { eachV3Backend(t, testV3PartitionReplicasByBroker) }

func testV3PartitionReplicasByBroker(t *testing.T, b backend) {
	ts, cluster := v3ServerOn(t, b, nil)
	c := "/v3/clusters/" + cluster
	name := createTopic(t, b, 2)
	byBroker := c + "/brokers/" + v3Node(b) + "/partition-replicas"
	got, _ := v3Do(t, ts, "GET", byBroker, "", 200)
	var list struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Self string  `json:"self"`
			Next *string `json:"next"`
		} `json:"metadata"`
		Data []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal([]byte(got), &list); err != nil {
		t.Fatal(err)
	}
	if list.Kind != "KafkaReplicaList" || list.Metadata.Self != ts.url+byBroker || list.Metadata.Next != nil {
		t.Fatalf("envelope: %s", got)
	}
	type key struct {
		Topic     string `json:"topic_name"`
		Partition int32  `json:"partition_id"`
	}
	var keys []key
	var mine []string
	for _, d := range list.Data {
		var k key
		if err := json.Unmarshal(d, &k); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
		if k.Topic == name {
			mine = append(mine, string(d))
		}
	}
	if !slices.IsSortedFunc(keys, func(a, b key) int {
		return cmp.Or(strings.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	}) {
		t.Errorf("not sorted by topic and partition: %v", keys)
	}
	// Internal topics' replicas are listed too, as Confluent's proxy does.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	all, err := adminFor(t, b).ListTopicsWithInternal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if all.Has("__consumer_offsets") && !slices.ContainsFunc(keys, func(k key) bool { return k.Topic == "__consumer_offsets" }) {
		t.Errorf("no __consumer_offsets replica listed: %v", keys)
	}
	if len(mine) != 2 {
		t.Fatalf("replicas of %s: %v", name, mine)
	}
	for i, d := range mine {
		p := itoa(i)
		v3Equal(t, ts, cluster, d, `{"kind":"KafkaReplica","metadata":{"self":"URL/v3/clusters/C/topics/T/partitions/`+p+`/replicas/1",
		 "resource_name":"crn:///kafka=C/topic=T/partition=`+p+`/replica=1"},
		 "cluster_id":"C","topic_name":"T","partition_id":`+p+`,"broker_id":1,"is_leader":true,"is_in_sync":true,
		 "broker":{"related":"URL/v3/clusters/C/brokers/1"}}`, append([]string{name, "T"}, v3FakeSubst(b)...)...)
	}
}

// TestV3Reassignments covers what one broker allows: nothing is ever in
// progress, since a reassignment onto broker 1 completes at once. It runs
// on the real broker only: kfake does not check a reassignment's replicas
// (an unknown broker, an empty list, a broker twice), which Kafka refuses.
func TestV3Reassignments(t *testing.T) { testV3Reassignments(t, realBroker(t)) }

func testV3Reassignments(t *testing.T, b backend) {
	ts, cluster := v3ServerOn(t, b, map[string]string{"confluent.resource.name.authority": "kr.example"})
	c := "/v3/clusters/" + cluster
	name := createTopic(t, b, 2)
	none := name + "-none"
	got, _ := v3Do(t, ts, "GET", c+"/topics/-/partitions/-/reassignment", "", 200)
	v3Equal(t, ts, cluster, got, `{"kind":"KafkaReassignmentList","metadata":{"self":"URL/v3/clusters/C/topics/-/partitions/-/reassignments","next":null},"data":[]}`)
	for _, topic := range []string{name, none} {
		got, _ = v3Do(t, ts, "GET", c+"/topics/"+topic+"/partitions/-/reassignment", "", 200)
		v3Equal(t, ts, cluster, got, `{"kind":"KafkaReassignmentList","metadata":{"self":"URL/v3/clusters/C/topics/T/partitions/-/reassignments","next":null},"data":[]}`, topic, "T")
	}

	// krest's extension: a reassignment onto the replicas the partition
	// has is accepted and has nothing to do.
	got, _ = v3Do(t, ts, "POST", c+"/topics/"+name+"/partitions/1/reassignment", `{"replicas":[1]}`, 202)
	v3Equal(t, ts, cluster, got, `{"kind":"KafkaReassignment","metadata":{"self":"URL/v3/clusters/C/topics/T/partitions/1/reassignment",
	 "resource_name":"crn://kr.example/kafka=C/topic=T/partition=1/reassignment"},
	 "cluster_id":"C","topic_name":"T","partition_id":1,"adding_replicas":[],"removing_replicas":[],
	 "replicas":{"related":"URL/v3/clusters/C/topics/T/partitions/1/replicas"}}`, name, "T")
	got, _ = v3Do(t, ts, "GET", c+"/topics/"+name+"/partitions/1/replicas/1", "", 200)
	if !strings.Contains(got, `"is_leader":true`) {
		t.Errorf("replica after the reassignment: %s", got)
	}

	p := c + "/topics/" + name + "/partitions/1/reassignment"
	v3Errors(t, ts, []struct{ method, path, body, want string }{
		{"GET", p, "", `{"error_code":404,"message":"HTTP 404 Not Found"}`},
		{"GET", c + "/topics/" + none + "/partitions/0/reassignment", "", `{"error_code":404,"message":"HTTP 404 Not Found"}`},
		{"GET", c + "/topics/-/partitions/0/reassignment", "", `{"error_code":404,"message":"HTTP 404 Not Found"}`},
		{"GET", c + "/topics/" + name + "/partitions/x/reassignment", "", `{"error_code":404,"message":"HTTP 404 Not Found"}`},
		{"GET", "/v3/clusters/nope/topics/-/partitions/-/reassignment", "", `{"error_code":404,"message":"Cluster nope cannot be found."}`},
		{"GET", "/v3/clusters/nope/topics/" + name + "/partitions/-/reassignment", "", `{"error_code":404,"message":"Cluster nope cannot be found."}`},
		{"GET", "/v3/clusters/nope/topics/" + name + "/partitions/0/reassignment", "", `{"error_code":404,"message":"Cluster nope cannot be found."}`},

		// Kafka refuses a reassignment, and a cancel with none in progress.
		{"POST", p, `{"replicas":[2]}`, `{"error_code":40002,"message":"The manual partition assignment includes broker 2, but no such broker is registered."}`},
		{"POST", p, `{"replicas":[]}`, `{"error_code":40002,"message":"The manual partition assignment includes an empty replica list."}`},
		{"POST", p, `{"replicas":[1,1]}`, `{"error_code":40002,"message":"The manual partition assignment includes the broker 1 more than once."}`},
		{"POST", c + "/topics/" + name + "/partitions/2/reassignment", `{"replicas":[1]}`, `{"error_code":40403,"message":"This server does not host this topic-partition."}`},
		{"POST", c + "/topics/" + none + "/partitions/0/reassignment", `{"replicas":[1]}`, `{"error_code":40403,"message":"This server does not host this topic-partition."}`},
		// The list of a topic's reassignments takes GET only: 405, as in
		// Confluent (TestV3ReassignmentMethods).
		{"POST", c + "/topics/" + name + "/partitions/-/reassignment", `{"replicas":[1]}`, `{"error_code":405,"message":"HTTP 405 Method Not Allowed"}`},
		{"POST", p, ``, `{"error_code":42206,"message":"Payload error. Request body is empty. Data is required."}`},
		{"POST", p, `{}`, `{"error_code":42206,"message":"Payload error. Replicas is required. To cancel a reassignment, DELETE it."}`},
		{"POST", p, `{"replicas":null}`, `{"error_code":42206,"message":"Payload error. Replicas is required. To cancel a reassignment, DELETE it."}`},
		{"POST", p, `{"replicas":[1],"validate_only":true}`, `{"error_code":422,"message":"Unrecognized field: validate_only"}`},
		{"POST", "/v3/clusters/nope/topics/" + name + "/partitions/1/reassignment", `{"replicas":[1]}`, `{"error_code":404,"message":"Cluster nope cannot be found."}`},
		{"DELETE", p, "", `{"error_code":404,"message":"No partition reassignment is in progress."}`},
		{"DELETE", c + "/topics/" + none + "/partitions/0/reassignment", "", `{"error_code":40403,"message":"This server does not host this topic-partition."}`},
		{"DELETE", c + "/topics/" + name + "/partitions/-/reassignment", "", `{"error_code":405,"message":"HTTP 405 Method Not Allowed"}`},
		{"DELETE", "/v3/clusters/nope/topics/" + name + "/partitions/1/reassignment", "", `{"error_code":404,"message":"Cluster nope cannot be found."}`},
	})
}

// TestV3DeleteRecords covers krest's records delete: the partition's low
// watermark moves, as its offsets then show.
func TestV3DeleteRecords(t *testing.T) { eachV3Backend(t, testV3DeleteRecords) }

func testV3DeleteRecords(t *testing.T, b backend) {
	ts, cluster := v3ServerOn(t, b, nil)
	c := "/v3/clusters/" + cluster
	name := createTopic(t, b, 1)
	produceValues(t, b, name, 1, values("v", 10)...)
	path := c + "/topics/" + name + "/partitions/0/records:delete"
	low := func(n string) string {
		return `{"kind":"KafkaPartitionLowWatermark","metadata":{"self":"URL/v3/clusters/C/topics/T/partitions/0/offset",
		 "resource_name":"crn:///kafka=C/topic=T/partition=0"},
		 "cluster_id":"C","topic_name":"T","partition_id":0,"low_watermark":` + n + `,
		 "partition":{"related":"URL/v3/clusters/C/topics/T/partitions/0"}}`
	}
	offsets := func(earliest string) string {
		return `{"kind":"KafkaPartitionWithOffsets","metadata":{"self":"URL/v3/clusters/C/topics/T/partitions/0/offset",
		 "resource_name":"crn:///kafka=C/topic=T/partition=0/offset_type=earliest_and_latest"},
		 "cluster_id":"C","topic_name":"T","partition_id":0,"earliest_offset":` + earliest + `,"latest_offset":10}`
	}
	got, _ := v3Do(t, ts, "POST", path, `{"before_offset":5}`, 200)
	v3Equal(t, ts, cluster, got, low("5"), name, "T")
	got, _ = v3Do(t, ts, "GET", c+"/topics/"+name+"/partitions/0/offset?offset_type=earliest_and_latest", "", 200)
	v3Equal(t, ts, cluster, got, offsets("5"), name, "T")
	if recs := consumeAll(t, b, name, 5); string(recs[0].Value) != "v-005" || recs[0].Offset != 5 {
		t.Errorf("first record left: %d %q", recs[0].Offset, recs[0].Value)
	}

	// An offset below the low watermark changes nothing (kfake refuses it
	// as out of range, Kafka does not); -1 deletes all.
	if b.fake == nil {
		got, _ = v3Do(t, ts, "POST", path, `{"before_offset":3}`, 200)
		v3Equal(t, ts, cluster, got, low("5"), name, "T")
	}
	got, _ = v3Do(t, ts, "POST", path, `{"before_offset":-1}`, 200)
	v3Equal(t, ts, cluster, got, low("10"), name, "T")
	got, _ = v3Do(t, ts, "GET", c+"/topics/"+name+"/partitions/0/offset", "", 200)
	v3Equal(t, ts, cluster, got, offsets("10"), name, "T")

	outOfRange := `{"error_code":40002,"message":"The requested offset is not within the range of offsets maintained by the server."}`
	v3Errors(t, ts, []struct{ method, path, body, want string }{
		{"POST", path, `{"before_offset":11}`, outOfRange},
		{"POST", path, `{"before_offset":-2}`, outOfRange},
		{"POST", c + "/topics/" + name + "/partitions/1/records:delete", `{"before_offset":0}`, `{"error_code":40402,"message":"Partition not found."}`},
		{"POST", c + "/topics/" + name + "/partitions/x/records:delete", `{"before_offset":0}`, `{"error_code":404,"message":"HTTP 404 Not Found"}`},
		{"POST", c + "/topics/" + name + "-none/partitions/0/records:delete", `{"before_offset":0}`, `{"error_code":40403,"message":"This server does not host this topic-partition."}`},
		{"POST", "/v3/clusters/nope/topics/" + name + "/partitions/0/records:delete", `{"before_offset":0}`, `{"error_code":404,"message":"Cluster nope cannot be found."}`},
		{"POST", path, ``, `{"error_code":42206,"message":"Payload error. Request body is empty. Data is required."}`},
		{"POST", path, `{}`, `{"error_code":42206,"message":"Payload error. Before_offset is required."}`},
		{"POST", path, `{"before_offset":5,"x":1}`, `{"error_code":422,"message":"Unrecognized field: x"}`},
	})
	// A string of digits is the number (Jackson's scalar coercion, as
	// Confluent reads it); anything else is 400.
	code, got, _ := ts.do(t, "POST", path, map[string]string{"Content-Type": "application/json"}, []byte(`{"before_offset":"x5"}`))
	if code != 400 || !strings.HasPrefix(got, `{"error_code":400,`) {
		t.Errorf("non-numeric string offset: %d %s", code, got)
	}
	code, got, _ = ts.do(t, "POST", path, map[string]string{"Content-Type": "application/json"}, []byte(`{"before_offset":"10"}`))
	if code != 200 || !strings.Contains(got, `"low_watermark":10`) {
		t.Errorf("string offset: %d %s", code, got)
	}
}
