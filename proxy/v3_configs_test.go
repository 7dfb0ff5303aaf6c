package proxy

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
)

// v3Eventually retries a GET until its reply equals want (as v3Equal
// compares), for changes a broker applies from its metadata log a moment
// after the alter returns.
func v3Eventually(t *testing.T, ts *testServer, cluster, path, want string, subst ...string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, got, _ := ts.do(t, "GET", path, nil, nil)
		if code == 200 && v3Same(ts, cluster, got, want, subst...) || time.Now().After(deadline) {
			if code != 200 {
				t.Fatalf("GET %s: %d %s", path, code, got)
			}
			v3Equal(t, ts, cluster, got, want, subst...)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// v3Same reports whether v3Equal would pass.
func v3Same(ts *testServer, cluster, got, want string, subst ...string) bool {
	norm := strings.ReplaceAll(strings.ReplaceAll(got, ts.url, "URL"), cluster, "C")
	for i := 0; i+1 < len(subst); i += 2 {
		norm = strings.ReplaceAll(norm, subst[i], subst[i+1])
	}
	var g, w any
	if json.Unmarshal([]byte(norm), &g) != nil || json.Unmarshal([]byte(want), &w) != nil {
		return false
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	return string(gb) == string(wb)
}

// configList is a v3 config list, as far as the tests look.
type configList struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Self string  `json:"self"`
		Next *string `json:"next"`
	} `json:"metadata"`
	Data []struct {
		Kind      string `json:"kind"`
		TopicName string `json:"topic_name"`
		BrokerID  *int32 `json:"broker_id"`
		Name      string `json:"name"`
	} `json:"data"`
}

func getConfigList(t *testing.T, ts *testServer, path string) (configList, string) {
	t.Helper()
	got, _ := v3Do(t, ts, "GET", path, "", 200)
	var l configList
	if err := json.Unmarshal([]byte(got), &l); err != nil {
		t.Fatalf("GET %s: %v %s", path, err, got)
	}
	return l, got
}

// configEntry cuts the first entry named name out of a list reply.
func configEntry(t *testing.T, list, name string) string {
	t.Helper()
	var l struct {
		Data []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal([]byte(list), &l); err != nil {
		t.Fatal(err)
	}
	for _, d := range l.Data {
		var e struct {
			Name string `json:"name"`
		}
		_ = json.Unmarshal(d, &e)
		if e.Name == name {
			return string(d)
		}
	}
	t.Fatalf("no config %s in %.500s", name, list)
	return ""
}

// topicConfig is the expected TopicConfigData of topic T.
func topicConfig(name, value string, isDefault bool, source, synonyms string) string {
	return `{"kind":"KafkaTopicConfig","metadata":{"self":"URL/v3/clusters/C/topics/T/configs/` + name + `",
	 "resource_name":"crn:///kafka=C/topic=T/config=` + name + `"},"cluster_id":"C","topic_name":"T","name":"` + name + `",
	 "value":` + value + `,"is_default":` + boolStr(isDefault) + `,"is_read_only":false,"is_sensitive":false,"source":"` + source + `",
	 "synonyms":` + synonyms + `}`
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// TestV3TopicConfigs runs on the real broker only: kfake describes a few
// topic configs, not every one with its source and synonyms as Kafka does.
func TestV3TopicConfigs(t *testing.T) { testV3TopicConfigs(t, realBroker(t)) }

func testV3TopicConfigs(t *testing.T, b backend) {
	ts, cluster := v3ServerOn(t, b, nil)
	c := "/v3/clusters/" + cluster
	topic, other := createTopic(t, b, 1), createTopic(t, b, 1)
	tc := c + "/topics/" + topic + "/configs"

	// List: sorted by name, every entry of the topic; one entry in full.
	l, got := getConfigList(t, ts, tc)
	if l.Kind != "KafkaTopicConfigList" || l.Metadata.Self != ts.url+tc || l.Metadata.Next != nil || len(l.Data) < 20 {
		t.Fatalf("list: %.500s", got)
	}
	names := []string{}
	for _, d := range l.Data {
		if d.Kind != "KafkaTopicConfig" || d.TopicName != topic {
			t.Fatalf("list entry %+v", d)
		}
		names = append(names, d.Name)
	}
	if !slices.IsSorted(names) {
		t.Errorf("not sorted by name: %v", names)
	}
	cleanupDefault := topicConfig("cleanup.policy", `"delete"`, true, "DEFAULT_CONFIG",
		`[{"name":"log.cleanup.policy","value":"delete","source":"DEFAULT_CONFIG"}]`)
	v3Equal(t, ts, cluster, configEntry(t, got, "cleanup.policy"), cleanupDefault, topic, "T")
	got, _ = v3Do(t, ts, "GET", tc+"/cleanup.policy", "", 200)
	v3Equal(t, ts, cluster, got, cleanupDefault, topic, "T")

	// PUT sets, DELETE resets.
	v3Do(t, ts, "PUT", tc+"/compression.type", `{"value":"gzip"}`, 204)
	v3Eventually(t, ts, cluster, tc+"/compression.type", topicConfig("compression.type", `"gzip"`, false, "DYNAMIC_TOPIC_CONFIG",
		`[{"name":"compression.type","value":"gzip","source":"DYNAMIC_TOPIC_CONFIG"},{"name":"compression.type","value":"producer","source":"DEFAULT_CONFIG"}]`), topic, "T")
	v3Do(t, ts, "DELETE", tc+"/compression.type", "", 204)
	v3Eventually(t, ts, cluster, tc+"/compression.type", topicConfig("compression.type", `"producer"`, true, "DEFAULT_CONFIG",
		`[{"name":"compression.type","value":"producer","source":"DEFAULT_CONFIG"}]`), topic, "T")

	// configs:alter sets and deletes together; validate_only changes
	// nothing.
	compact := topicConfig("cleanup.policy", `"compact"`, false, "DYNAMIC_TOPIC_CONFIG",
		`[{"name":"cleanup.policy","value":"compact","source":"DYNAMIC_TOPIC_CONFIG"},{"name":"log.cleanup.policy","value":"delete","source":"DEFAULT_CONFIG"}]`)
	retention := func(v string) string {
		return topicConfig("retention.ms", `"`+v+`"`, false, "DYNAMIC_TOPIC_CONFIG",
			`[{"name":"retention.ms","value":"`+v+`","source":"DYNAMIC_TOPIC_CONFIG"}]`)
	}
	v3Do(t, ts, "POST", tc+":alter", `{"data":[{"name":"cleanup.policy","value":"compact"},{"name":"retention.ms","value":"12345","operation":"SET"}]}`, 204)
	v3Eventually(t, ts, cluster, tc+"/cleanup.policy", compact, topic, "T")
	v3Eventually(t, ts, cluster, tc+"/retention.ms", retention("12345"), topic, "T")
	v3Do(t, ts, "POST", tc+":alter", `{"data":[{"name":"retention.ms","value":"999"},{"name":"cleanup.policy","operation":"DELETE"}],"validate_only":true}`, 204)
	v3Do(t, ts, "POST", tc+":alter", `{"data":[{"name":"retention.ms","operation":"DELETE"}],"validate_only":false}`, 204)
	v3Eventually(t, ts, cluster, tc+"/retention.ms", topicConfig("retention.ms", `"604800000"`, true, "DEFAULT_CONFIG",
		`[]`), topic, "T")
	got, _ = v3Do(t, ts, "GET", tc+"/cleanup.policy", "", 200)
	v3Equal(t, ts, cluster, got, compact, topic, "T") // validate_only left it
	v3Do(t, ts, "POST", tc+":alter", `{"data":[]}`, 204)

	// topics/-/configs: every topic's configs, by topic and then name.
	l, got = getConfigList(t, ts, c+"/topics/-/configs")
	if l.Kind != "KafkaTopicConfigList" || l.Metadata.Self != ts.url+c+"/topics/-/configs" {
		t.Fatalf("all topics: %.500s", got)
	}
	var mine []string
	for i, d := range l.Data {
		if i > 0 && (d.TopicName < l.Data[i-1].TopicName || d.TopicName == l.Data[i-1].TopicName && d.Name < l.Data[i-1].Name) {
			t.Fatalf("all topics not sorted at %d: %+v after %+v", i, d, l.Data[i-1])
		}
		if d.TopicName == "__consumer_offsets" {
			t.Fatalf("all topics lists an internal topic")
		}
		if d.TopicName == topic {
			mine = append(mine, d.Name)
		}
	}
	if !slices.Equal(mine, names) {
		t.Errorf("all topics: %s has %v, want %v", topic, mine, names)
	}

	// topics/-/configs:alter: 204, or 207 naming the topics Kafka refused
	// (the others are changed); validate_only changes nothing.
	oc := c + "/topics/" + other + "/configs"
	multi := func(v1, v2 string, validate bool) string {
		return `{"data":[{"topic_name":"` + topic + `","configs":[{"name":"cleanup.policy","value":"` + v1 + `"}]},
		 {"topic_name":"` + other + `","configs":[{"name":"cleanup.policy","value":"` + v2 + `"},{"name":"retention.ms","operation":"DELETE"}]}],
		 "validate_only":` + boolStr(validate) + `}`
	}
	v3Do(t, ts, "POST", c+"/topics/-/configs:alter", multi("delete", "delete", true), 204)
	got, _ = v3Do(t, ts, "GET", oc+"/cleanup.policy", "", 200)
	v3Equal(t, ts, cluster, got, cleanupDefault, other, "T")
	v3Do(t, ts, "POST", c+"/topics/-/configs:alter", multi("delete", "compact", false), 204)
	v3Eventually(t, ts, cluster, oc+"/cleanup.policy", compact, other, "T")
	v3Eventually(t, ts, cluster, tc+"/cleanup.policy", topicConfig("cleanup.policy", `"delete"`, false, "DYNAMIC_TOPIC_CONFIG",
		`[{"name":"cleanup.policy","value":"delete","source":"DYNAMIC_TOPIC_CONFIG"},{"name":"log.cleanup.policy","value":"delete","source":"DEFAULT_CONFIG"}]`), topic, "T")
	got, _ = v3Do(t, ts, "POST", c+"/topics/-/configs:alter", multi("compact", "invalid_xyz", false), 207)
	v3Equal(t, ts, cluster, got, `{"failures":[{"topic_name":"T","error_code":40002,
	 "message":"Invalid value invalid_xyz for configuration cleanup.policy: String must be one of: compact, delete"}]}`, other, "T")
	v3Eventually(t, ts, cluster, tc+"/cleanup.policy", compact, topic, "T")
	v3Do(t, ts, "POST", c+"/topics/-/configs:alter", `{"data":[]}`, 204)
	// A topic named twice gets its last changes.
	v3Do(t, ts, "POST", c+"/topics/-/configs:alter", `{"data":[{"topic_name":"`+other+`","configs":[{"name":"cleanup.policy","value":"invalid_xyz"}]},
	 {"topic_name":"`+other+`","configs":[{"name":"cleanup.policy","operation":"DELETE"}]}]}`, 204)
	v3Eventually(t, ts, cluster, oc+"/cleanup.policy", cleanupDefault, other, "T")

	missing := topic + "-missing"
	notFound := func(name string) string {
		return `{"error_code":404,"message":"Config ` + name + ` cannot be found for TOPIC ` + topic + ` in cluster ` + cluster + `."}`
	}
	const (
		unknownTopic = `{"error_code":40403,"message":"This server does not host this topic-partition."}`
		nullPayload  = `{"error_code":42206,"message":"Payload error. Null input provided. Data is required."}`
	)
	for _, tc := range []struct{ method, path, body, want string }{
		{"GET", tc + "/nope", "", notFound("nope")},
		{"PUT", tc + "/nope", `{"value":"x"}`, notFound("nope")},
		{"DELETE", tc + "/nope", "", notFound("nope")},
		{"POST", tc + ":alter", `{"data":[{"name":"cleanup.policy","value":"compact"},{"name":"nope","value":"x"}]}`, notFound("nope")},
		{"POST", c + "/topics/-/configs:alter", `{"data":[{"topic_name":"` + topic + `","configs":[{"name":"nope","value":"x"}]}]}`, notFound("nope")},
		{"GET", c + "/topics/" + missing + "/configs", "", unknownTopic},
		{"GET", c + "/topics/" + missing + "/configs/cleanup.policy", "", unknownTopic},
		{"PUT", c + "/topics/" + missing + "/configs/cleanup.policy", `{"value":"compact"}`, unknownTopic},
		{"DELETE", c + "/topics/" + missing + "/configs/cleanup.policy", "", unknownTopic},
		{"POST", c + "/topics/" + missing + "/configs:alter", `{"data":[]}`, unknownTopic},
		{"POST", c + "/topics/-/configs:alter", `{"data":[{"topic_name":"` + topic + `","configs":[]},{"topic_name":"` + missing + `","configs":[]}]}`, unknownTopic},
		{"GET", "/v3/clusters/nope/topics/" + topic + "/configs", "", `{"error_code":404,"message":"Cluster nope cannot be found."}`},
		{"POST", "/v3/clusters/nope/topics/-/configs:alter", `{"data":[]}`, `{"error_code":404,"message":"Cluster nope cannot be found."}`},
		{"GET", c + "/topics/a%20b/configs", "", `{"error_code":40002,"message":"Topic name \"a b\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'"}`},

		{"PUT", tc + "/cleanup.policy", "", nullPayload},
		{"PUT", tc + "/cleanup.policy", `{"value":"compact","extra":1}`, `{"error_code":422,"message":"Unrecognized field: extra"}`},
		{"PUT", tc + "/cleanup.policy", `{"value":"sometimes"}`, `{"error_code":40002,"message":"Invalid value sometimes for configuration cleanup.policy: String must be one of: compact, delete"}`},
		{"POST", tc + ":alter", "", nullPayload},
		{"POST", tc + ":alter", `{}`, nullPayload},
		{"POST", tc + ":alter", `{"data":[{"name":"cleanup.policy","value":"compact","bogus":true}]}`, `{"error_code":422,"message":"Unrecognized field: bogus"}`},
		{"POST", tc + ":alter", `{"data":[{"name":"cleanup.policy","operation":"UPSERT"}]}`,
			`{"error_code":400,"message":"Cannot deserialize value of type ` + "`AlterOperation`" + ` from String \"UPSERT\": not one of the values accepted for Enum class: [SET, DELETE]"}`},
		{"POST", tc + ":alter", `{"data":[{"value":"compact"}]}`, `{"error_code":400,"message":"Cannot construct instance of ` + "`AlterEntry`" + `, problem: Null name"}`},
		{"POST", c + "/topics/-/configs:alter", "", nullPayload},
		{"POST", c + "/topics/-/configs:alter", `{"data":[{"configs":[]}]}`, `{"error_code":400,"message":"Cannot construct instance of ` + "`TopicAlterEntry`" + `, problem: Null topicName"}`},
		{"POST", c + "/topics/-/configs:alter", `{"data":[{"topic_name":"` + topic + `"}]}`, `{"error_code":400,"message":"Cannot construct instance of ` + "`TopicAlterEntry`" + `, problem: Null configs"}`},
		{"POST", c + "/topics/-/configs:alter", `{"data":[],"nope":1}`, `{"error_code":422,"message":"Unrecognized field: nope"}`},
	} {
		code, got, _ := ts.do(t, tc.method, tc.path, map[string]string{"Content-Type": "application/json"}, []byte(tc.body))
		if got != tc.want || code != statusOf(tc.want) {
			t.Errorf("%s %s %s: %d %s, want %s", tc.method, tc.path, tc.body, code, got, tc.want)
		}
	}
	got, _ = v3Do(t, ts, "GET", tc+"/cleanup.policy", "", 200)
	v3Equal(t, ts, cluster, got, compact, topic, "T") // no failed request changed it
}

// brokerConfig is the expected BrokerConfigData of broker 1.
func brokerConfig(name, value string, isDefault bool, source, synonyms string) string {
	return `{"kind":"KafkaBrokerConfig","metadata":{"self":"URL/v3/clusters/C/brokers/1/configs/` + name + `",
	 "resource_name":"crn:///kafka=C/broker=1/config=` + name + `"},"cluster_id":"C","broker_id":1,"name":"` + name + `",
	 "value":` + value + `,"is_default":` + boolStr(isDefault) + `,"is_read_only":false,"is_sensitive":false,"source":"` + source + `",
	 "synonyms":` + synonyms + `}`
}

// TestV3BrokerConfigs runs on the real broker only: it names broker 1
// throughout (kfake's is 0), and kfake's config sources and synonyms are
// not Kafka's (see TestV3ClusterConfigs).
func TestV3BrokerConfigs(t *testing.T) { testV3BrokerConfigs(t, realBroker(t)) }

func testV3BrokerConfigs(t *testing.T, b backend) {
	ts, cluster := v3ServerOn(t, b, nil)
	c := "/v3/clusters/" + cluster
	bc := c + "/brokers/1/configs"
	const key = "log.cleaner.backoff.ms"
	t.Cleanup(func() { resetConfig(t, b, key, 1) })

	l, got := getConfigList(t, ts, bc)
	if l.Kind != "KafkaBrokerConfigList" || l.Metadata.Self != ts.url+bc || len(l.Data) < 100 {
		t.Fatalf("list: %.500s", got)
	}
	names := []string{}
	for _, d := range l.Data {
		if d.Kind != "KafkaBrokerConfig" || d.BrokerID == nil || *d.BrokerID != 1 {
			t.Fatalf("list entry %+v", d)
		}
		names = append(names, d.Name)
	}
	if !slices.IsSorted(names) {
		t.Errorf("not sorted by name: %v", names)
	}
	compression := brokerConfig("compression.type", `"producer"`, true, "DEFAULT_CONFIG",
		`[{"name":"compression.type","value":"producer","source":"DEFAULT_CONFIG"}]`)
	v3Equal(t, ts, cluster, configEntry(t, got, "compression.type"), compression)
	got, _ = v3Do(t, ts, "GET", bc+"/compression.type", "", 200)
	v3Equal(t, ts, cluster, got, compression)

	// A read-only static config, and a sensitive one whose value is null.
	got, _ = v3Do(t, ts, "GET", bc+"/log.dirs", "", 200)
	if !strings.Contains(got, `"is_default":false,"is_read_only":true,"is_sensitive":false,"source":"STATIC_BROKER_CONFIG"`) {
		t.Errorf("log.dirs: %s", got)
	}
	got, _ = v3Do(t, ts, "GET", bc+"/ssl.key.password", "", 200)
	if !strings.Contains(got, `"value":null,"is_default":`) || !strings.Contains(got, `"is_sensitive":true`) {
		t.Errorf("ssl.key.password: %s", got)
	}

	backoff := func(v string) string {
		return brokerConfig(key, `"`+v+`"`, false, "DYNAMIC_BROKER_CONFIG",
			`[{"name":"`+key+`","value":"`+v+`","source":"DYNAMIC_BROKER_CONFIG"},{"name":"`+key+`","value":"15000","source":"DEFAULT_CONFIG"}]`)
	}
	backoffDefault := brokerConfig(key, `"15000"`, true, "DEFAULT_CONFIG", `[{"name":"`+key+`","value":"15000","source":"DEFAULT_CONFIG"}]`)
	v3Do(t, ts, "PUT", bc+"/"+key, `{"value":"16000"}`, 204)
	v3Eventually(t, ts, cluster, bc+"/"+key, backoff("16000"))
	v3Do(t, ts, "DELETE", bc+"/"+key, "", 204)
	v3Eventually(t, ts, cluster, bc+"/"+key, backoffDefault)
	v3Do(t, ts, "POST", bc+":alter", `{"data":[{"name":"`+key+`","value":"17000"}]}`, 204)
	v3Eventually(t, ts, cluster, bc+"/"+key, backoff("17000"))
	v3Do(t, ts, "POST", bc+":alter", `{"data":[{"name":"`+key+`","operation":"DELETE"}],"validate_only":true}`, 204)
	time.Sleep(300 * time.Millisecond)
	got, _ = v3Do(t, ts, "GET", bc+"/"+key, "", 200)
	v3Equal(t, ts, cluster, got, backoff("17000")) // validate_only left it
	v3Do(t, ts, "POST", bc+":alter", `{"data":[{"name":"`+key+`","operation":"DELETE"}]}`, 204)
	v3Eventually(t, ts, cluster, bc+"/"+key, backoffDefault)

	// brokers/-/configs: every broker's configs.
	l, got = getConfigList(t, ts, c+"/brokers/-/configs")
	if l.Kind != "KafkaBrokerConfigList" || l.Metadata.Self != ts.url+c+"/brokers/-/configs" || len(l.Data) != len(names) {
		t.Fatalf("all brokers: %d entries, want %d: %.300s", len(l.Data), len(names), got)
	}
	v3Equal(t, ts, cluster, configEntry(t, got, "compression.type"), compression)

	for _, tc := range []struct{ method, path, body, want string }{
		{"GET", c + "/brokers/7/configs", "", `{"error_code":404,"message":"Broker 7 cannot be found."}`},
		{"GET", c + "/brokers/7/configs/compression.type", "", `{"error_code":404,"message":"Broker 7 cannot be found."}`},
		{"PUT", c + "/brokers/7/configs/compression.type", `{"value":"gzip"}`, `{"error_code":404,"message":"Broker 7 cannot be found."}`},
		{"DELETE", c + "/brokers/7/configs/compression.type", "", `{"error_code":404,"message":"Broker 7 cannot be found."}`},
		{"POST", c + "/brokers/7/configs:alter", `{"data":[]}`, `{"error_code":404,"message":"Broker 7 cannot be found."}`},
		{"GET", c + "/brokers/x/configs", "", `{"error_code":404,"message":"HTTP 404 Not Found"}`},
		{"GET", "/v3/clusters/nope/brokers/1/configs", "", `{"error_code":404,"message":"Cluster nope cannot be found."}`},
		{"GET", "/v3/clusters/nope/brokers/-/configs", "", `{"error_code":404,"message":"Cluster nope cannot be found."}`},
		{"GET", bc + "/nope", "", `{"error_code":404,"message":"Config nope cannot be found for BROKER 1 in cluster ` + cluster + `."}`},
		{"PUT", bc + "/nope", `{"value":"1"}`, `{"error_code":404,"message":"Config nope cannot be found for BROKER 1 in cluster ` + cluster + `."}`},
		{"DELETE", bc + "/nope", "", `{"error_code":404,"message":"Config nope cannot be found for BROKER 1 in cluster ` + cluster + `."}`},
		{"POST", bc + ":alter", `{"data":[{"name":"nope","value":"1"}]}`, `{"error_code":404,"message":"Config nope cannot be found for BROKER 1 in cluster ` + cluster + `."}`},
		{"PUT", bc + "/" + key, "", `{"error_code":42206,"message":"Payload error. Null input provided. Data is required."}`},
		{"POST", bc + ":alter", "null", `{"error_code":42206,"message":"Payload error. Null input provided. Data is required."}`},
		{"POST", bc + ":alter", `{"data":[{"name":"` + key + `","operation":"delete"}]}`,
			`{"error_code":400,"message":"Cannot deserialize value of type ` + "`AlterOperation`" + ` from String \"delete\": not one of the values accepted for Enum class: [SET, DELETE]"}`},
		{"POST", bc + ":alter", `{"data":[],"validateOnly":true}`, `{"error_code":422,"message":"Unrecognized field: validateOnly"}`},
	} {
		code, got, _ := ts.do(t, tc.method, tc.path, map[string]string{"Content-Type": "application/json"}, []byte(tc.body))
		if got != tc.want || code != statusOf(tc.want) {
			t.Errorf("%s %s %s: %d %s, want %s", tc.method, tc.path, tc.body, code, got, tc.want)
		}
	}
}

// resetConfig deletes a dynamic broker config a test may have left
// behind: broker 1's, or with no broker the cluster-wide one.
func resetConfig(t *testing.T, b backend, key string, brokers ...int32) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _ = adminFor(t, b).AlterBrokerConfigs(ctx, []kadm.AlterConfig{{Op: kadm.DeleteConfig, Name: key}}, brokers...)
}

// TestV3ClusterConfigs runs on the real broker only: kfake reports a
// cluster-wide dynamic default as DYNAMIC_BROKER_CONFIG with the static
// default as its synonym, where Kafka says DYNAMIC_DEFAULT_BROKER_CONFIG.
func TestV3ClusterConfigs(t *testing.T) { testV3ClusterConfigs(t, realBroker(t)) }

func testV3ClusterConfigs(t *testing.T, b backend) {
	ts, cluster := v3ServerOn(t, b, nil)
	c := "/v3/clusters/" + cluster
	cc := c + "/broker-configs"
	const key = "log.cleaner.backoff.ms"
	t.Cleanup(func() { resetConfig(t, b, key) })

	clusterConfig := func(v string) string {
		return `{"kind":"KafkaClusterConfig","metadata":{"self":"URL/v3/clusters/C/broker-configs/` + key + `",
		 "resource_name":"crn:///kafka=C/broker-config=` + key + `"},"cluster_id":"C","config_type":"BROKER","name":"` + key + `",
		 "value":"` + v + `","is_default":false,"is_read_only":false,"is_sensitive":false,"source":"DYNAMIC_DEFAULT_BROKER_CONFIG",
		 "synonyms":[{"name":"` + key + `","value":"` + v + `","source":"DYNAMIC_DEFAULT_BROKER_CONFIG"}]}`
	}
	notFound := `{"error_code":404,"message":"Config ` + key + ` cannot be found for BROKER  in cluster ` + cluster + `."}`

	// PUT creates a cluster-wide value (no existence check), GET and the
	// list show it, DELETE removes it.
	v3Do(t, ts, "PUT", cc+"/"+key, `{"value":"16000"}`, 204)
	v3Eventually(t, ts, cluster, cc+"/"+key, clusterConfig("16000"))
	l, got := getConfigList(t, ts, cc)
	if l.Kind != "KafkaClusterConfigList" || l.Metadata.Self != ts.url+cc || l.Metadata.Next != nil {
		t.Fatalf("list: %s", got)
	}
	names := []string{}
	for _, d := range l.Data {
		names = append(names, d.Name)
	}
	if !slices.IsSorted(names) || !slices.Contains(names, key) {
		t.Errorf("list: %v", names)
	}
	v3Equal(t, ts, cluster, configEntry(t, got, key), clusterConfig("16000"))
	v3Do(t, ts, "DELETE", cc+"/"+key, "", 204)
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, got, _ := ts.do(t, "GET", cc+"/"+key, nil, nil)
		if code == 404 {
			if got != notFound {
				t.Errorf("GET deleted: %s, want %s", got, notFound)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET deleted: %d %s", code, got)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// configs:alter, unchecked like PUT; validate_only changes nothing.
	v3Do(t, ts, "POST", cc+":alter", `{"data":[{"name":"`+key+`","value":"17000"}]}`, 204)
	v3Eventually(t, ts, cluster, cc+"/"+key, clusterConfig("17000"))
	v3Do(t, ts, "POST", cc+":alter", `{"data":[{"name":"`+key+`","value":"18000"}],"validate_only":true}`, 204)
	time.Sleep(300 * time.Millisecond)
	got, _ = v3Do(t, ts, "GET", cc+"/"+key, "", 200)
	v3Equal(t, ts, cluster, got, clusterConfig("17000"))
	v3Do(t, ts, "POST", cc+":alter", `{"data":[{"name":"`+key+`","operation":"DELETE"}]}`, 204)

	for _, tc := range []struct{ method, path, body, want string }{
		{"GET", cc + "/nope", "", `{"error_code":404,"message":"Config nope cannot be found for BROKER  in cluster ` + cluster + `."}`},
		{"DELETE", cc + "/nope", "", `{"error_code":404,"message":"Config nope cannot be found for BROKER  in cluster ` + cluster + `."}`},
		{"PUT", cc + "/log.dirs", `{"value":"/tmp/x"}`, `{"error_code":40002,"message":"Cannot update these configs dynamically: [log.dirs]"}`},
		{"GET", "/v3/clusters/nope/broker-configs", "", `{"error_code":404,"message":"Cluster nope cannot be found."}`},
		{"PUT", "/v3/clusters/nope/broker-configs/" + key, `{"value":"1"}`, `{"error_code":404,"message":"Cluster nope cannot be found."}`},
		{"POST", cc + ":alter", "", `{"error_code":42206,"message":"Payload error. Null input provided. Data is required."}`},
		{"PUT", cc + "/" + key, `{"value":"1","x":2}`, `{"error_code":422,"message":"Unrecognized field: x"}`},
	} {
		code, got, _ := ts.do(t, tc.method, tc.path, map[string]string{"Content-Type": "application/json"}, []byte(tc.body))
		if got != tc.want || code != statusOf(tc.want) {
			t.Errorf("%s %s %s: %d %s, want %s", tc.method, tc.path, tc.body, code, got, tc.want)
		}
	}
}
