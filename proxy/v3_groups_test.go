package proxy

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// groupMember joins group on topic as a franz-go consumer with client id
// id and the range balancer, committing nothing by itself.
func groupMember(t *testing.T, b backend, group, topic, id string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(b.seeds...), kgo.ClientID(id), kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(topic), kgo.Balancers(kgo.RangeBalancer()), kgo.DisableAutoCommit()}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// pollBriefly lets a member run its group work (franz-go joins in the
// background; polling keeps a cooperative member going).
func pollBriefly(cl *kgo.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	cl.PollFetches(ctx)
}

// produceAt writes n records to partition p of topic, the i-th stamped
// base plus i seconds.
func produceAt(t *testing.T, b backend, topic string, p int32, n int, base time.Time) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.seeds...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for i := 0; i < n; i++ {
		r := &kgo.Record{Topic: topic, Partition: p, Value: []byte("v"), Timestamp: base.Add(time.Duration(i) * time.Second)}
		if err := cl.ProduceSync(context.Background(), r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
}

// groupGet fetches a v3 path and decodes it into v, failing on any status
// but 200.
func groupGet(t *testing.T, ts *testServer, path string, v any) string {
	t.Helper()
	got, _ := v3Do(t, ts, "GET", path, "", 200)
	if v != nil {
		if err := json.Unmarshal([]byte(got), v); err != nil {
			t.Fatalf("%s: %v", got, err)
		}
	}
	return got
}

// TestV3ConsumerGroups: a two-member classic group with committed offsets
// through every read endpoint, with exact JSON; then, once its members
// left, krest's offset reset in all modes and its group delete.
func TestV3ConsumerGroups(t *testing.T) {
	t.Parallel()
	eachV3Backend(t, testV3ConsumerGroups)
}

func testV3ConsumerGroups(t *testing.T, b backend) {
	t.Parallel()
	ts, cluster := v3ServerOn(t, b, nil)
	c := "/v3/clusters/" + cluster
	topic := createTopic(t, b, 2)
	group := "grp-" + topic
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	produceAt(t, b, topic, 0, 3, base)
	produceAt(t, b, topic, 1, 5, base)

	m1 := groupMember(t, b, group, topic, "c1")
	m2 := groupMember(t, b, group, topic, "c2")
	g := c + "/consumer-groups/" + group
	eventually(t, 60*time.Second, "a stable group of two members with a partition each", func() bool {
		pollBriefly(m1)
		pollBriefly(m2)
		var cs struct {
			Data []struct {
				ConsumerID string `json:"consumer_id"`
			} `json:"data"`
		}
		if code, body, _ := ts.do(t, "GET", g+"/consumers", nil, nil); code != 200 || json.Unmarshal([]byte(body), &cs) != nil || len(cs.Data) != 2 {
			return false
		}
		var st struct {
			State string `json:"state"`
		}
		groupGet(t, ts, g, &st)
		id1, _ := m1.GroupMetadata()
		id2, _ := m2.GroupMetadata()
		return st.State == "STABLE" && id1 != "" && id2 != "" && len(m1.GetConsumeTopics()) > 0
	})
	id1, _ := m1.GroupMetadata()
	id2, _ := m2.GroupMetadata()
	// Range gives the first member by id (c1-...) partition 0.
	commit := func(cl *kgo.Client, p int32, at int64) {
		t.Helper()
		var err error
		cl.CommitOffsetsSync(context.Background(), map[string]map[int32]kgo.EpochOffset{topic: {p: {Epoch: -1, Offset: at}}},
			func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, e error) {
				err = e
				for _, rt := range resp.Topics {
					for _, rp := range rt.Partitions {
						if err == nil {
							err = kerr.ErrorForCode(rp.ErrorCode)
						}
					}
				}
			})
		if err != nil {
			t.Fatal(err)
		}
	}
	commit(m1, 0, 2)
	commit(m2, 1, 1)
	subst := append([]string{id1, "M1", id2, "M2", group, "G", topic, "T"}, v3FakeSubst(b)...)

	groupJSON := `{"kind":"KafkaConsumerGroup","metadata":{"self":"URL/v3/clusters/C/consumer-groups/G","resource_name":"crn:///kafka=C/consumer-group=G"},
	 "cluster_id":"C","consumer_group_id":"G","is_simple":false,"partition_assignor":"range","state":"STABLE","type":"CLASSIC",
	 "is_mixed_consumer_group":false,"coordinator":{"related":"URL/v3/clusters/C/brokers/1"},
	 "consumers":{"related":"URL/v3/clusters/C/consumer-groups/G/consumers"},"lag_summary":{"related":"URL/v3/clusters/C/consumer-groups/G/lag-summary"}}`
	v3Equal(t, ts, cluster, groupGet(t, ts, g, nil), groupJSON, subst...)

	// The list holds the group, in the same shape.
	var list struct {
		Kind     string            `json:"kind"`
		Metadata json.RawMessage   `json:"metadata"`
		Data     []json.RawMessage `json:"data"`
	}
	groupGet(t, ts, c+"/consumer-groups", &list)
	found := false
	for _, d := range list.Data {
		if strings.Contains(string(d), `"consumer_group_id":"`+group+`"`) {
			found = true
			v3Equal(t, ts, cluster, string(d), groupJSON, subst...)
		}
	}
	if !found || list.Kind != "KafkaConsumerGroupList" {
		t.Fatalf("group %s not listed: %s %d", group, list.Kind, len(list.Data))
	}
	v3Equal(t, ts, cluster, string(list.Metadata), `{"self":"URL/v3/clusters/C/consumer-groups","next":null}`)

	consumer := func(m string) string {
		return `{"kind":"KafkaConsumer","metadata":{"self":"URL/v3/clusters/C/consumer-groups/G/consumers/` + m + `",
		 "resource_name":"crn:///kafka=C/consumer-group=G/consumer=` + m + `"},"cluster_id":"C","consumer_group_id":"G",
		 "consumer_id":"` + m + `","instance_id":null,"client_id":"` + strings.ToLower(strings.Replace(m, "M", "c", 1)) + `",
		 "assignments":{"related":"URL/v3/clusters/C/consumer-groups/G/consumers/` + m + `/assignments"}}`
	}
	v3Equal(t, ts, cluster, groupGet(t, ts, g+"/consumers", nil),
		`{"kind":"KafkaConsumerList","metadata":{"self":"URL/v3/clusters/C/consumer-groups/G/consumers","next":null},
		 "data":[`+consumer("M1")+`,`+consumer("M2")+`]}`, subst...)
	v3Equal(t, ts, cluster, groupGet(t, ts, g+"/consumers/"+id2, nil), consumer("M2"), subst...)

	assignment := func(m, p string) string {
		return `{"kind":"KafkaConsumerAssignment","metadata":{"self":"URL/v3/clusters/C/consumer-groups/G/consumers/` + m + `/assignments/T/partitions/` + p + `",
		 "resource_name":"crn:///kafka=C/consumer-group=G/consumer=` + m + `/assignment=T/partition=` + p + `"},
		 "cluster_id":"C","consumer_group_id":"G","consumer_id":"` + m + `","topic_name":"T","partition_id":` + p + `,
		 "partition":{"related":"URL/v3/clusters/C/topics/T/partitions/` + p + `"},
		 "lag":{"related":"URL/v3/clusters/C/consumer-groups/G/lags/T/partitions/` + p + `"}}`
	}
	v3Equal(t, ts, cluster, groupGet(t, ts, g+"/consumers/"+id1+"/assignments", nil),
		`{"kind":"KafkaConsumerAssignmentList","metadata":{"self":"URL/v3/clusters/C/consumer-groups/G/consumers/M1/assignments","next":null},
		 "data":[`+assignment("M1", "0")+`]}`, subst...)
	v3Equal(t, ts, cluster, groupGet(t, ts, g+"/consumers/"+id2+"/assignments/"+topic+"/partitions/1", nil), assignment("M2", "1"), subst...)

	// Partition 1 lags 4 (5-1), partition 0 lags 1 (3-2): by lag, descending.
	lag := func(m, p string, cur, end, lag int) string {
		return `{"kind":"KafkaConsumerLag","metadata":{"self":"URL/v3/clusters/C/consumer-groups/G/lags/T/partitions/` + p + `",
		 "resource_name":"crn:///kafka=C/consumer-group=G/lag=T/partition=` + p + `"},
		 "cluster_id":"C","consumer_group_id":"G","topic_name":"T","partition_id":` + p + `,"consumer_id":"` + m + `","instance_id":null,
		 "client_id":"` + strings.ToLower(strings.Replace(m, "M", "c", 1)) + `","current_offset":` + itoa(cur) + `,"log_end_offset":` + itoa(end) + `,"lag":` + itoa(lag) + `}`
	}
	v3Equal(t, ts, cluster, groupGet(t, ts, g+"/lags", nil),
		`{"kind":"KafkaConsumerLagList","metadata":{"self":"URL/v3/clusters/C/consumer-groups/G/lags","next":null},
		 "data":[`+lag("M2", "1", 1, 5, 4)+`,`+lag("M1", "0", 2, 3, 1)+`]}`, subst...)
	v3Equal(t, ts, cluster, groupGet(t, ts, g+"/lags/"+topic+"/partitions/0", nil), lag("M1", "0", 2, 3, 1), subst...)
	v3Equal(t, ts, cluster, groupGet(t, ts, g+"/lag-summary", nil),
		`{"kind":"KafkaConsumerGroupLagSummary","metadata":{"self":"URL/v3/clusters/C/consumer-groups/G/lag-summary",
		 "resource_name":"crn:///kafka=C/consumer-group=G/lag-summary"},"cluster_id":"C","consumer_group_id":"G",
		 "max_lag":4,"total_lag":5,"max_lag_consumer_id":"M2","max_lag_consumer":{"related":"URL/v3/clusters/C/consumer-groups/G/consumers/M2"},
		 "max_lag_client_id":"c2","max_lag_instance_id":null,"max_lag_topic_name":"T","max_lag_partition_id":1,
		 "max_lag_partition":{"related":"URL/v3/clusters/C/topics/T/partitions/1"}}`, subst...)

	notEmpty := `{"error_code":40904,"message":"Consumer group ` + group + ` is not empty: stop its active members first."}`
	for _, tc := range []struct{ method, path, body, want string }{
		{"GET", c + "/consumer-groups/nope", "", `{"error_code":404,"message":"HTTP 404 Not Found"}`},
		{"GET", "/v3/clusters/nope/consumer-groups", "", `{"error_code":404,"message":"Cluster nope could not be found."}`},
		{"GET", "/v3/clusters/nope/consumer-groups/" + group + "/lags", "", `{"error_code":404,"message":"Cluster nope could not be found."}`},
		{"DELETE", "/v3/clusters/nope/consumer-groups/" + group, "", `{"error_code":404,"message":"Cluster nope could not be found."}`},
		{"GET", c + "/consumer-groups/nope/consumers", "", `{"error_code":404,"message":"Consumer Group nope does not exist."}`},
		{"GET", c + "/consumer-groups/nope/consumers/x", "", `{"error_code":404,"message":"Consumer Group nope does not exist."}`},
		{"GET", g + "/consumers/x", "", `{"error_code":404,"message":"HTTP 404 Not Found"}`},
		{"GET", g + "/consumers/x/assignments", "", `{"error_code":404,"message":"Consumer x does not exist."}`},
		{"GET", g + "/consumers/x/assignments/" + topic + "/partitions/0", "", `{"error_code":404,"message":"Consumer x does not exist."}`},
		{"GET", g + "/consumers/" + id1 + "/assignments/" + topic + "/partitions/1", "", `{"error_code":404,"message":"HTTP 404 Not Found"}`},
		{"GET", g + "/consumers/" + id1 + "/assignments/" + topic + "/partitions/x", "", `{"error_code":404,"message":"HTTP 404 Not Found"}`},
		{"GET", c + "/consumer-groups/nope/lags", "", `{"error_code":404,"message":"Consumer Group nope could not be found."}`},
		{"GET", c + "/consumer-groups/nope/lags/" + topic + "/partitions/0", "", `{"error_code":404,"message":"Consumer Group nope could not be found."}`},
		{"GET", c + "/consumer-groups/nope/lag-summary", "", `{"error_code":404,"message":"Consumer Group nope could not be found."}`},
		{"GET", g + "/lags/" + topic + "/partitions/7", "", `{"error_code":404,"message":"HTTP 404 Not Found"}`},
		{"GET", g + "/lags/other/partitions/0", "", `{"error_code":404,"message":"HTTP 404 Not Found"}`},
		{"DELETE", g, "", notEmpty},
		{"POST", g + "/offsets:reset", `{"to":"earliest"}`, notEmpty},
		{"POST", g + "/offsets:reset", `{"to":"earliest","dry_run":true}`, notEmpty},
	} {
		code, got, _ := ts.do(t, tc.method, tc.path, map[string]string{"Content-Type": "application/json"}, []byte(tc.body))
		if got != tc.want || code != statusOf(tc.want) {
			t.Errorf("%s %s %s: %d %s, want %s", tc.method, tc.path, tc.body, code, got, tc.want)
		}
	}

	// The members leave; the group keeps its offsets, empty.
	m1.Close()
	m2.Close()
	eventually(t, 30*time.Second, "an empty group", func() bool {
		var st struct {
			State string `json:"state"`
		}
		groupGet(t, ts, g, &st)
		return st.State == "EMPTY"
	})
	v3Equal(t, ts, cluster, groupGet(t, ts, g+"/consumers", nil),
		`{"kind":"KafkaConsumerList","metadata":{"self":"URL/v3/clusters/C/consumer-groups/G/consumers","next":null},"data":[]}`, subst...)
	v3Equal(t, ts, cluster, groupGet(t, ts, g+"/lags/"+topic+"/partitions/0", nil),
		strings.Replace(strings.Replace(lag("M1", "0", 2, 3, 1), `"M1"`, `""`, 1), `"c1"`, `""`, 1), subst...)

	reset := func(body string, moves ...[3]int) {
		t.Helper()
		got, _ := v3Do(t, ts, "POST", g+"/offsets:reset", body, 200)
		var data []string
		for _, m := range moves {
			cur := "null"
			if m[1] >= 0 {
				cur = itoa(m[1])
			}
			data = append(data, `{"cluster_id":"C","consumer_group_id":"G","topic_name":"T","partition_id":`+itoa(m[0])+
				`,"current_offset":`+cur+`,"new_offset":`+itoa(m[2])+`}`)
		}
		v3Equal(t, ts, cluster, got, `{"kind":"KafkaConsumerGroupOffsetResetList",
		 "metadata":{"self":"URL/v3/clusters/C/consumer-groups/G/offsets:reset","next":null},"data":[`+strings.Join(data, ",")+`]}`, subst...)
	}
	// {partition, current, new}
	reset(`{"to":"earliest","dry_run":true}`, [3]int{0, 2, 0}, [3]int{1, 1, 0})
	reset(`{"to":"latest","dry_run":true}`, [3]int{0, 2, 3}, [3]int{1, 1, 5})
	reset(`{"to":"earliest"}`, [3]int{0, 2, 0}, [3]int{1, 1, 0})
	reset(`{"to":"latest"}`, [3]int{0, 0, 3}, [3]int{1, 0, 5})
	reset(`{"to":"offset","offset":4}`, [3]int{0, 3, 3}, [3]int{1, 5, 4})
	reset(`{"to":"shift","shift_by":-2}`, [3]int{0, 3, 1}, [3]int{1, 4, 2})
	reset(`{"to":"shift","shift_by":-100,"topics":[{"topic_name":"`+topic+`","partitions":[1]}]}`, [3]int{1, 2, 0})
	reset(`{"to":"timestamp","timestamp":"2024-01-01T00:00:02Z"}`, [3]int{0, 1, 2}, [3]int{1, 0, 2})
	reset(`{"to":"timestamp","timestamp":"2024-01-01T01:00:03.5+01:00"}`, [3]int{0, 2, 3}, [3]int{1, 2, 4})
	reset(`{"to":"timestamp","timestamp":"2030-01-01T00:00:00Z","topics":[{"topic_name":"`+topic+`"}]}`, [3]int{0, 3, 3}, [3]int{1, 4, 5})
	reset(`{"to":"shift","shift_by":100}`, [3]int{0, 3, 3}, [3]int{1, 5, 5})
	v3Equal(t, ts, cluster, groupGet(t, ts, g+"/lag-summary", nil),
		`{"kind":"KafkaConsumerGroupLagSummary","metadata":{"self":"URL/v3/clusters/C/consumer-groups/G/lag-summary",
		 "resource_name":"crn:///kafka=C/consumer-group=G/lag-summary"},"cluster_id":"C","consumer_group_id":"G",
		 "max_lag":0,"total_lag":0,"max_lag_consumer_id":"","max_lag_consumer":{"related":"URL/v3/clusters/C/consumer-groups/G/consumers"},
		 "max_lag_client_id":"","max_lag_instance_id":null,"max_lag_topic_name":"T","max_lag_partition_id":0,
		 "max_lag_partition":{"related":"URL/v3/clusters/C/topics/T/partitions/0"}}`, subst...)

	fresh := "fresh-" + topic
	for _, tc := range []struct{ path, body, want string }{
		{g, ``, `{"error_code":42206,"message":"Payload error. Request body is empty. Data is required."}`},
		{g, `{}`, `{"error_code":42206,"message":"Payload error. to is required: earliest, latest, offset, timestamp or shift."}`},
		{g, `{"to":"first"}`, `{"error_code":42206,"message":"Payload error. to must be earliest, latest, offset, timestamp or shift, not \"first\"."}`},
		{g, `{"to":"offset"}`, `{"error_code":42206,"message":"Payload error. offset is required with to=offset."}`},
		{g, `{"to":"offset","offset":-1}`, `{"error_code":42206,"message":"Payload error. offset must not be negative."}`},
		{g, `{"to":"earliest","shift_by":1}`, `{"error_code":42206,"message":"Payload error. shift_by is only valid with to=shift."}`},
		{g, `{"to":"timestamp","timestamp":"yesterday"}`, `{"error_code":42206,"message":"Payload error. timestamp must be an ISO-8601 date and time with a zone, such as \"2024-05-01T12:00:00Z\", not \"yesterday\"."}`},
		{g, `{"to":"earliest","topics":[{"partitions":[0]}]}`, `{"error_code":42206,"message":"Payload error. topics[].topic_name is required."}`},
		{g, `{"to":"earliest","bogus":1}`, `{"error_code":422,"message":"Unrecognized field: bogus"}`},
		{g, `{"to":"earliest","topics":[{"topic_name":"` + topic + `","partitions":[9]}]}`, `{"error_code":40402,"message":"Partition not found."}`},
		{g, `{"to":"earliest","topics":[{"topic_name":"no-such-topic-x"}]}`, `{"error_code":40403,"message":"This server does not host this topic-partition."}`},
		{c + "/consumer-groups/" + fresh, `{"to":"earliest"}`, `{"error_code":404,"message":"Consumer Group ` + fresh + ` could not be found."}`},
		{c + "/consumer-groups/" + fresh, `{"to":"shift","shift_by":1,"topics":[{"topic_name":"` + topic + `"}]}`, `{"error_code":42206,"message":"Payload error. Cannot shift partition 0 of topic ` + topic + `: the group has no committed offset for it."}`},
	} {
		code, got, _ := ts.do(t, "POST", tc.path+"/offsets:reset", map[string]string{"Content-Type": "application/json"}, []byte(tc.body))
		if got != tc.want || code != statusOf(tc.want) {
			t.Errorf("reset %s %s: %d %s, want %s", tc.path, tc.body, code, got, tc.want)
		}
	}

	// Naming its topics, a reset sets up the offsets of a group that does
	// not exist yet.
	got, _ := v3Do(t, ts, "POST", c+"/consumer-groups/"+fresh+"/offsets:reset", `{"to":"offset","offset":1,"topics":[{"topic_name":"`+topic+`"}]}`, 200)
	v3Equal(t, ts, cluster, got, `{"kind":"KafkaConsumerGroupOffsetResetList",
	 "metadata":{"self":"URL/v3/clusters/C/consumer-groups/F/offsets:reset","next":null},"data":[
	 {"cluster_id":"C","consumer_group_id":"F","topic_name":"T","partition_id":0,"current_offset":null,"new_offset":1},
	 {"cluster_id":"C","consumer_group_id":"F","topic_name":"T","partition_id":1,"current_offset":null,"new_offset":1}]}`, fresh, "F", topic, "T")
	// It is a simple group: offsets, no protocol.
	v3Equal(t, ts, cluster, groupGet(t, ts, c+"/consumer-groups/"+fresh, nil), `{"kind":"KafkaConsumerGroup",
	 "metadata":{"self":"URL/v3/clusters/C/consumer-groups/F","resource_name":"crn:///kafka=C/consumer-group=F"},
	 "cluster_id":"C","consumer_group_id":"F","is_simple":true,"partition_assignor":"","state":"EMPTY","type":"CLASSIC",
	 "is_mixed_consumer_group":false,"coordinator":{"related":"URL/v3/clusters/C/brokers/1"},
	 "consumers":{"related":"URL/v3/clusters/C/consumer-groups/F/consumers"},"lag_summary":{"related":"URL/v3/clusters/C/consumer-groups/F/lag-summary"}}`,
		append([]string{fresh, "F"}, v3FakeSubst(b)...)...)
	v3Do(t, ts, "DELETE", c+"/consumer-groups/"+fresh, "", 204)

	v3Do(t, ts, "DELETE", g, "", 204)
	for _, path := range []string{g, g + "/lags"} {
		if code, _, _ := ts.do(t, "GET", path, nil, nil); code != 404 {
			t.Errorf("GET %s after delete: %d", path, code)
		}
	}
	got, _ = v3Do(t, ts, "DELETE", g, "", 404)
	if want := `{"error_code":404,"message":"Consumer Group ` + group + ` could not be found."}`; got != want {
		t.Errorf("delete twice: %s, want %s", got, want)
	}
}

// TestV3ConsumerGroupWithoutOffsets: a group whose member committed
// nothing has no lags.
func TestV3ConsumerGroupWithoutOffsets(t *testing.T) {
	t.Parallel()
	eachV3Backend(t, testV3ConsumerGroupWithoutOffsets)
}

func testV3ConsumerGroupWithoutOffsets(t *testing.T, b backend) {
	t.Parallel()
	ts, cluster := v3ServerOn(t, b, nil)
	topic := createTopic(t, b, 1)
	group := "grp-" + topic
	m := groupMember(t, b, group, topic, "solo")
	g := "/v3/clusters/" + cluster + "/consumer-groups/" + group
	eventually(t, 60*time.Second, "a member", func() bool {
		pollBriefly(m)
		code, body, _ := ts.do(t, "GET", g+"/consumers", nil, nil)
		return code == 200 && strings.Contains(body, `"client_id":"solo"`)
	})
	want := `{"error_code":404,"message":"Consumer group offsets could not be found."}`
	for _, p := range []string{"/lags", "/lag-summary"} {
		if got, _ := v3Do(t, ts, "GET", g+p, "", 404); got != want {
			t.Errorf("%s: %s", p, got)
		}
	}
}

// TestV3ConsumerGroupKrestInstance: a krest v2 consumer instance shows in
// its group's consumers under its instance name.
func TestV3ConsumerGroupKrestInstance(t *testing.T) {
	t.Parallel()
	eachV3Backend(t, testV3ConsumerGroupKrestInstance)
}

func testV3ConsumerGroupKrestInstance(t *testing.T, b backend) {
	t.Parallel()
	ts, cluster := v3ServerOn(t, b, nil)
	topic := createTopic(t, b, 1)
	group := "krest-" + topic
	inst := newRESTConsumer(t, ts, group, `{"name":"inst-a","format":"binary","auto.offset.reset":"earliest"}`)
	inst.mustCall(t, "POST", "/subscription", `{"topics":["`+topic+`"]}`, 204)
	g := "/v3/clusters/" + cluster + "/consumer-groups/" + group
	var list struct {
		Data []struct {
			ConsumerID string `json:"consumer_id"`
			ClientID   string `json:"client_id"`
		} `json:"data"`
	}
	eventually(t, 60*time.Second, "the instance in its group", func() bool {
		inst.records(t, "timeout=100", kafkaV2)
		groupGet(t, ts, g+"/consumers", &list)
		return len(list.Data) == 1
	})
	id, client := list.Data[0].ConsumerID, list.Data[0].ClientID
	want := `{"kind":"KafkaConsumer","metadata":{"self":"URL/v3/clusters/C/consumer-groups/G/consumers/M",
	 "resource_name":"crn:///kafka=C/consumer-group=G/consumer=M"},"cluster_id":"C","consumer_group_id":"G",
	 "consumer_id":"M","instance_id":null,"client_id":"CID",
	 "assignments":{"related":"URL/v3/clusters/C/consumer-groups/G/consumers/M/assignments"},"krest_instance":"inst-a"}`
	subst := []string{id, "M", group, "G", `"client_id":"` + client + `"`, `"client_id":"CID"`}
	v3Equal(t, ts, cluster, groupGet(t, ts, g+"/consumers/"+id, nil), want, subst...)
	v3Equal(t, ts, cluster, groupGet(t, ts, g+"/consumers", nil),
		`{"kind":"KafkaConsumerList","metadata":{"self":"URL/v3/clusters/C/consumer-groups/G/consumers","next":null},"data":[`+want+`]}`, subst...)
	// A member that is not a krest instance has no krest_instance.
	other := groupMember(t, b, group, topic, "plain")
	eventually(t, 60*time.Second, "a second member", func() bool {
		pollBriefly(other)
		inst.records(t, "timeout=100", kafkaV2)
		groupGet(t, ts, g+"/consumers", &list)
		return len(list.Data) == 2
	})
	got := groupGet(t, ts, g+"/consumers", nil)
	if strings.Count(got, `"krest_instance":"inst-a"`) != 1 || strings.Count(got, `"krest_instance"`) != 1 {
		t.Errorf("consumers: %s", got)
	}
	// A deleted instance leaves the group.
	inst.mustCall(t, "DELETE", "", "", 204)
	eventually(t, 60*time.Second, "the instance gone", func() bool {
		pollBriefly(other)
		got := groupGet(t, ts, g+"/consumers", &list)
		return len(list.Data) == 1 && !strings.Contains(got, "krest_instance")
	})
}

// TestV3ConsumerGroupNextGen: a KIP-848 consumer group (server-side
// assignor) is described with ConsumerGroupDescribe: type CONSUMER.
func TestV3ConsumerGroupNextGen(t *testing.T) {
	t.Parallel()
	eachV3Backend(t, testV3ConsumerGroupNextGen)
}

func testV3ConsumerGroupNextGen(t *testing.T, b backend) {
	t.Parallel()
	ts, cluster := v3ServerOn(t, b, nil)
	topic := createTopic(t, b, 2)
	group := "kip848-" + topic
	m := groupMember(t, b, group, topic, "ng", kgo.ServerSideBalancer())
	g := "/v3/clusters/" + cluster + "/consumer-groups/" + group
	var st struct {
		State string `json:"state"`
	}
	eventually(t, 60*time.Second, "a stable consumer group", func() bool {
		pollBriefly(m)
		code, body, _ := ts.do(t, "GET", g, nil, nil)
		id, _ := m.GroupMetadata()
		if code != 200 || json.Unmarshal([]byte(body), &st) != nil || st.State != "STABLE" || id == "" {
			return false
		}
		code, body, _ = ts.do(t, "GET", g+"/consumers/"+id+"/assignments", nil, nil)
		return code == 200 && strings.Count(body, `"kind":"KafkaConsumerAssignment"`) == 2
	})
	id, _ := m.GroupMetadata()
	v3Equal(t, ts, cluster, groupGet(t, ts, g, nil), `{"kind":"KafkaConsumerGroup","metadata":{"self":"URL/v3/clusters/C/consumer-groups/G",
	 "resource_name":"crn:///kafka=C/consumer-group=G"},"cluster_id":"C","consumer_group_id":"G","is_simple":false,
	 "partition_assignor":"range","state":"STABLE","type":"CONSUMER","is_mixed_consumer_group":false,
	 "coordinator":{"related":"URL/v3/clusters/C/brokers/1"},"consumers":{"related":"URL/v3/clusters/C/consumer-groups/G/consumers"},
	 "lag_summary":{"related":"URL/v3/clusters/C/consumer-groups/G/lag-summary"}}`, append([]string{group, "G"}, v3FakeSubst(b)...)...)
	got := groupGet(t, ts, g+"/consumers/"+id+"/assignments", nil)
	if strings.Count(got, `"kind":"KafkaConsumerAssignment"`) != 2 {
		t.Errorf("assignments: %s", got)
	}
}
