package proxy

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
)

// eachV3Backend is eachBackend for the v3 tests: f runs against kfake
// (v3FakeBroker) and against the real broker. Where the two differ in what
// a reply shows of the broker, v3Node and v3FakeSubst bridge them.
func eachV3Backend(t *testing.T, f func(t *testing.T, b backend)) {
	t.Run("kfake", func(t *testing.T) { f(t, v3FakeBroker(t)) })
	t.Run("kafka", func(t *testing.T) { f(t, realBroker(t)) })
}

// v3FakeBroker is a kfake cluster whose id, unlike kfake's default, is
// not part of any test or topic name: v3Equal replaces the id wherever it
// appears. Its one broker is node 0 (kfake's controller is always its
// first node), where the real broker is node 1: see v3Node.
func v3FakeBroker(t *testing.T) backend {
	t.Helper()
	return fakeBroker(t, kfake.ClusterID("Qk3vT1xYRmWfakeClusterId"))
}

// v3Node is the id of b's one broker: 1 on the real broker (with-broker.sh's
// node.id), 0 on kfake, which cannot renumber it (its controller is always
// its first node).
func v3Node(b backend) string {
	if b.fake != nil {
		return "0"
	}
	return "1"
}

// v3FakeSubst are v3Equal stand-ins that read kfake's broker in a reply as
// the real one, node 0 as 1 and its rack "krack" as none, so that one
// expected reply serves both.
func v3FakeSubst(b backend) []string {
	if b.fake == nil {
		return nil
	}
	return []string{`C/brokers/0"`, `C/brokers/1"`, `C/brokers/0/`, `C/brokers/1/`, `/broker=0"`, `/broker=1"`, `"broker_id":0,`, `"broker_id":1,`,
		`/replicas/0"`, `/replicas/1"`, `/replica=0"`, `/replica=1"`, `"rack":"krack"`, `"rack":null`}
}

// v3ServerOn starts krest on b and returns it with the cluster's id.
func v3ServerOn(t *testing.T, b backend, props map[string]string) (*testServer, string) {
	t.Helper()
	ts := startServer(t, b, props)
	return ts, clusterIDOf(t, ts)
}

// clusterIDOf is the cluster id krest's v3 API names.
func clusterIDOf(t *testing.T, ts *testServer) string {
	t.Helper()
	code, body, _ := ts.do(t, "GET", "/v3/clusters", nil, nil)
	if code != 200 {
		t.Fatalf("GET /v3/clusters: %d %s", code, body)
	}
	var list struct {
		Data []struct {
			ClusterID string `json:"cluster_id"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &list); err != nil || len(list.Data) != 1 {
		t.Fatalf("GET /v3/clusters: %v %s", err, body)
	}
	return list.Data[0].ClusterID
}

// v3Equal compares a v3 reply with the expected JSON, in which URL stands
// for the server's base URL and C for the cluster id, and keys and values
// of other stands-ins given in subst are replaced the same way.
func v3Equal(t *testing.T, ts *testServer, cluster, got, want string, subst ...string) {
	t.Helper()
	norm := strings.ReplaceAll(strings.ReplaceAll(got, ts.url, "URL"), cluster, "C")
	for i := 0; i+1 < len(subst); i += 2 {
		norm = strings.ReplaceAll(norm, subst[i], subst[i+1])
	}
	var g, w any
	if err := json.Unmarshal([]byte(norm), &g); err != nil {
		t.Fatalf("reply is not JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want is not JSON: %v\n%s", err, want)
	}
	if !reflect.DeepEqual(g, w) {
		gb, _ := json.Marshal(g)
		wb, _ := json.Marshal(w)
		t.Fatalf("reply differs\n got: %s\nwant: %s", gb, wb)
	}
}

// v3Do sends one v3 request with a JSON body (if any) and checks its
// status.
func v3Do(t *testing.T, ts *testServer, method, path, body string, wantCode int) (string, map[string][]string) {
	t.Helper()
	var b []byte
	h := map[string]string{}
	if body != "" {
		b = []byte(body)
		h["Content-Type"] = "application/json"
	}
	code, got, hdr := ts.do(t, method, path, h, b)
	if code != wantCode {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, code, wantCode, got)
	}
	return got, hdr
}

func TestV3ClusterAndBrokers(t *testing.T) { eachV3Backend(t, testV3ClusterAndBrokers) }

func testV3ClusterAndBrokers(t *testing.T, b backend) {
	ts, cluster := v3ServerOn(t, b, nil)
	got, _ := v3Do(t, ts, "GET", "/v3/clusters", "", 200)
	v3Equal(t, ts, cluster, got, `{"kind":"KafkaClusterList","metadata":{"self":"URL/v3/clusters","next":null},"data":[
	 {"kind":"KafkaCluster","metadata":{"self":"URL/v3/clusters/C","resource_name":"crn:///kafka=C"},"cluster_id":"C",
	  "controller":{"related":"URL/v3/clusters/C/brokers/1"},"acls":{"related":"URL/v3/clusters/C/acls"},
	  "brokers":{"related":"URL/v3/clusters/C/brokers"},"broker_configs":{"related":"URL/v3/clusters/C/broker-configs"},
	  "consumer_groups":{"related":"URL/v3/clusters/C/consumer-groups"},"topics":{"related":"URL/v3/clusters/C/topics"},
	  "partition_reassignments":{"related":"URL/v3/clusters/C/topics/-/partitions/-/reassignment"}}]}`, v3FakeSubst(b)...)
	got, _ = v3Do(t, ts, "GET", "/v3/clusters/"+cluster+"/brokers/"+v3Node(b), "", 200)
	var broker struct {
		Port int    `json:"port"`
		Host string `json:"host"`
	}
	if err := json.Unmarshal([]byte(got), &broker); err != nil {
		t.Fatal(err)
	}
	v3Equal(t, ts, cluster, got, `{"kind":"KafkaBroker","metadata":{"self":"URL/v3/clusters/C/brokers/1","resource_name":"crn:///kafka=C/broker=1"},
	 "cluster_id":"C","broker_id":1,"host":"127.0.0.1","port":0,"rack":null,
	 "configs":{"related":"URL/v3/clusters/C/brokers/1/configs"},"partition_replicas":{"related":"URL/v3/clusters/C/brokers/1/partition-replicas"}}`,
		append([]string{`"port":` + itoa(broker.Port), `"port":0`}, v3FakeSubst(b)...)...)
	for _, tc := range []struct{ path, want string }{
		{"/v3/clusters/nope", `{"error_code":404,"message":"Cluster nope cannot be found."}`},
		{"/v3/clusters/nope/topics", `{"error_code":404,"message":"Cluster nope cannot be found."}`},
		{"/v3/clusters/" + cluster + "/brokers/7", `{"error_code":404,"message":"Broker 7 cannot be found."}`},
		{"/v3/clusters/" + cluster + "/topics/no-such-topic", `{"error_code":40403,"message":"This server does not host this topic-partition."}`},
	} {
		got, _ := v3Do(t, ts, "GET", tc.path, "", 404)
		if got != tc.want {
			t.Errorf("GET %s: %s, want %s", tc.path, got, tc.want)
		}
	}
	if code, _, _ := ts.do(t, "GET", "/v3/clusters", map[string]string{"Accept": "application/vnd.kafka.v2+json"}, nil); code != 406 {
		t.Errorf("v3 with a v2 Accept: %d, want 406", code)
	}
	ts2 := startServer(t, b, map[string]string{"api.v3.enable": "false", "confluent.resource.name.authority": "example.com"})
	if code, body, _ := ts2.do(t, "GET", "/v3/clusters", nil, nil); code != 404 {
		t.Errorf("api.v3.enable=false: %d %s", code, body)
	}
}

func TestV3Topics(t *testing.T) { eachV3Backend(t, testV3Topics) }

func testV3Topics(t *testing.T, b backend) {
	ts, cluster := v3ServerOn(t, b, map[string]string{"confluent.resource.name.authority": "kr.example"})
	c := "/v3/clusters/" + cluster
	name := createTopic(t, b, 1) + "-v3"
	got, hdr := v3Do(t, ts, "POST", c+"/topics", `{"topic_name":"`+name+`","partitions_count":3,"configs":[{"name":"cleanup.policy","value":"compact"}]}`, 201)
	want := `{"kind":"KafkaTopic","metadata":{"self":"URL/v3/clusters/C/topics/T","resource_name":"crn://kr.example/kafka=C/topic=T"},
	 "cluster_id":"C","topic_name":"T","is_internal":false,"replication_factor":1,"partitions_count":3,
	 "partitions":{"related":"URL/v3/clusters/C/topics/T/partitions"},"configs":{"related":"URL/v3/clusters/C/topics/T/configs"},
	 "partition_reassignments":{"related":"URL/v3/clusters/C/topics/T/partitions/-/reassignment"},"authorized_operations":[]}`
	v3Equal(t, ts, cluster, got, want, name, "T")
	if loc := hdr["Location"]; len(loc) != 1 || loc[0] != ts.url+c+"/topics/"+name {
		t.Errorf("Location %v", loc)
	}
	got, _ = v3Do(t, ts, "GET", c+"/topics/"+name, "", 200)
	v3Equal(t, ts, cluster, got, want, name, "T")
	got, _ = v3Do(t, ts, "GET", c+"/topics/"+name+"?include_authorized_operations=true", "", 200)
	v3Equal(t, ts, cluster, got, strings.Replace(want, `"authorized_operations":[]`,
		`"authorized_operations":["ALTER","ALTER_CONFIGS","CREATE","DELETE","DESCRIBE","DESCRIBE_CONFIGS","READ","WRITE"]`, 1), name, "T")

	got, _ = v3Do(t, ts, "PATCH", c+"/topics/"+name, `{"partitions_count":5}`, 200)
	v3Equal(t, ts, cluster, got, strings.Replace(want, `"partitions_count":3`, `"partitions_count":5`, 1), name, "T")
	got, _ = v3Do(t, ts, "PATCH", c+"/topics/"+name, `{"partitions_count":2}`, 400)
	if !strings.HasPrefix(got, `{"error_code":40002,"message":"`) {
		t.Errorf("decrease: %s", got)
	}
	got, _ = v3Do(t, ts, "GET", c+"/topics", "", 200)
	if !strings.Contains(got, `"topic_name":"`+name+`"`) || strings.Contains(got, "__consumer_offsets") {
		t.Errorf("list: %s", got)
	}

	// krest passes on the broker's message; kfake sends none, so krest
	// gives the error code's description.
	exists := `{"error_code":40002,"message":"Topic '` + name + `' already exists."}`
	if b.fake != nil {
		exists = `{"error_code":40002,"message":"Topic with this name already exists."}`
	}
	for _, tc := range []struct{ method, path, body, want string }{
		{"POST", c + "/topics", `{"topic_name":"` + name + `","partitions_count":1}`, exists},
		{"POST", c + "/topics", ``, `{"error_code":42206,"message":"Payload error. Request body is empty. Data is required."}`},
		{"POST", c + "/topics", `{"topic_name":"a b"}`, `{"error_code":42206,"message":"Payload error. Invalid topic name."}`},
		{"POST", c + "/topics", `{"topic_name":"x","bogus":1}`, `{"error_code":422,"message":"Unrecognized field: bogus"}`},
		{"PATCH", c + "/topics/" + name, ``, `{"error_code":42206,"message":"Payload error. Request body is empty. Partitions_count is required."}`},
	} {
		code, got, _ := ts.do(t, tc.method, tc.path, map[string]string{"Content-Type": "application/json"}, []byte(tc.body))
		if got != tc.want || code != statusOf(tc.want) {
			t.Errorf("%s %s %s: %d %s, want %s", tc.method, tc.path, tc.body, code, got, tc.want)
		}
	}

	// replicas_assignments decide partitions and replication factor;
	// validate_only creates nothing and answers 200.
	other := name + "-a"
	got, _ = v3Do(t, ts, "POST", c+"/topics", `{"topic_name":"`+other+`","replicas_assignments":{"0":[1],"1":[1]},"validate_only":true}`, 200)
	if !strings.Contains(got, `"partitions_count":2`) || !strings.Contains(got, `"replication_factor":1`) {
		t.Errorf("validate_only: %s", got)
	}
	v3Do(t, ts, "GET", c+"/topics/"+other, "", 404)
	v3Do(t, ts, "POST", c+"/topics", `{"topic_name":"`+other+`","replicas_assignments":{"0":[1],"1":[1]}}`, 201)
	v3Do(t, ts, "DELETE", c+"/topics/"+other, "", 204)
	v3Do(t, ts, "DELETE", c+"/topics/"+name, "", 204)
	got, _ = v3Do(t, ts, "DELETE", c+"/topics/"+name, "", 404)
	if got != `{"error_code":40403,"message":"This server does not host this topic-partition."}` {
		t.Errorf("delete twice: %s", got)
	}
}

// statusOf is the HTTP status of an error body: the first three digits of
// its code.
func statusOf(body string) int {
	var e struct {
		Code int `json:"error_code"`
	}
	_ = json.Unmarshal([]byte(body), &e)
	for e.Code >= 1000 {
		e.Code /= 10
	}
	return e.Code
}
