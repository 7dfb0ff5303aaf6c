package proxy

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// Requests that published REST-proxy clients and another implementation's
// suite send, answered as Confluent's proxy answers them.

// TestTrailingSlashes: Jersey serves "/x/" as "/x"; so does krest, without
// a redirect.
func TestTrailingSlashes(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		topic := createTopic(t, b, 1)
		ts := startServer(t, b, nil)
		status, body, _ := ts.do(t, "POST", "/topics/"+topic+"/", map[string]string{"Content-Type": "application/vnd.kafka.binary.v2+json"}, []byte(`{"records":[{"value":"aGk="}]}`))
		if status != 200 || !strings.Contains(body, `"offset":0`) {
			t.Fatalf("POST /topics/t/: %d %s", status, body)
		}
		status, body, _ = ts.do(t, "POST", "/consumers/slash-"+topic+"/", map[string]string{"Content-Type": kafkaV2}, []byte(`{"name":"i1","format":"binary"}`))
		if status != 200 || !strings.Contains(body, `"instance_id":"i1"`) {
			t.Fatalf("POST /consumers/g/: %d %s", status, body)
		}
		c := &restConsumer{ts: ts, group: "slash-" + topic, name: "i1"}
		c.mustCall(t, "POST", "/subscription/", `{"topics":["`+topic+`"]}`, 204)
		if got := c.mustCall(t, "GET", "/subscription/", "", 200); got != `{"topics":["`+topic+`"]}` {
			t.Errorf("GET subscription/: %s", got)
		}
		c.mustCall(t, "DELETE", "/", "", 204)
		if status, _, _ := ts.do(t, "GET", "/topics/", nil, nil); status != 200 {
			t.Errorf("GET /topics/: %d", status)
		}
	})
}

// TestTopicListedAfterProduce: a produce that auto-created a topic is
// followed by a GET /topics that lists it, although the list was asked for
// (and franz-go's metadata cached) just before.
func TestTopicListedAfterProduce(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		ts := startServer(t, b, nil)
		if status, body, _ := ts.do(t, "GET", "/topics", nil, nil); status != 200 {
			t.Fatalf("GET /topics: %d %s", status, body)
		}
		topic := "listed-" + strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "-")
		status, body, _ := ts.do(t, "POST", "/topics/"+topic, map[string]string{"Content-Type": "application/vnd.kafka.binary.v2+json"}, []byte(`{"records":[{"value":"aGk="}]}`))
		if status != 200 || !strings.Contains(body, `"offset":0`) {
			t.Fatalf("produce: %d %s", status, body)
		}
		status, body, _ = ts.do(t, "GET", "/topics", nil, nil)
		var names []string
		if err := json.Unmarshal([]byte(body), &names); status != 200 || err != nil {
			t.Fatalf("GET /topics: %d %s", status, body)
		}
		for _, n := range names {
			if n == topic {
				return
			}
		}
		t.Fatalf("GET /topics right after the produce lacks %s: %s", topic, body)
	})
}

// TestSubscriptionKindSwitch: the Java consumer refuses to go from topics
// to a pattern (or back) without an unsubscribe: 409 / 40903, and the
// subscription is unchanged.
func TestSubscriptionKindSwitch(t *testing.T) {
	t.Parallel()
	b := fakeBroker(t)
	topic := createTopic(t, b, 1)
	ts := startServer(t, b, nil)
	const illegal = `{"error_code":40903,"message":"Illegal state: Subscription to topics, partitions and pattern are mutually exclusive"}`
	c := newRESTConsumer(t, ts, "switch-"+topic, `{"format":"binary"}`)
	c.mustCall(t, "POST", "/subscription", `{"topics":["`+topic+`"]}`, 204)
	if got := c.mustCall(t, "POST", "/subscription", `{"topic_pattern":"sw.*"}`, 409); got != illegal {
		t.Errorf("topics → pattern: %s", got)
	}
	c.mustCall(t, "POST", "/subscription", `{"topics":["other"]}`, 204) // topics → topics replaces
	if got := c.mustCall(t, "GET", "/subscription", "", 200); got != `{"topics":["other"]}` {
		t.Errorf("subscription %s", got)
	}
	c.mustCall(t, "DELETE", "/subscription", "", 204)
	c.mustCall(t, "POST", "/subscription", `{"topic_pattern":"sw.*"}`, 204)
	if got := c.mustCall(t, "POST", "/subscription", `{"topics":["`+topic+`"]}`, 409); got != illegal {
		t.Errorf("pattern → topics: %s", got)
	}
	// Both in one body: topics win (KafkaConsumerState.subscribe), which
	// is a switch from the pattern.
	if got := c.mustCall(t, "POST", "/subscription", `{"topics":["`+topic+`"],"topic_pattern":"x"}`, 409); got != illegal {
		t.Errorf("pattern → topics and pattern: %s", got)
	}
	c.mustCall(t, "POST", "/subscription", `{"topic_pattern":"other.*"}`, 204) // pattern → pattern replaces
}

// TestScalarCoercion: integers as JSON strings, as Jackson's default
// coercion takes them; what Jackson refuses stays refused.
func TestScalarCoercion(t *testing.T) {
	t.Parallel()
	b := fakeBroker(t)
	topic := createTopic(t, b, 2)
	reg, url := startRegistry(t)
	_ = reg
	ts := startServer(t, b, map[string]string{"schema.registry.url": url})
	status, body := produceSchema(t, ts, topic, "avro", `{"value_schema":"\"string\"","records":[{"value":"a"}]}`)
	if status != 200 {
		t.Fatalf("register: %d %s", status, body)
	}
	var first produceResponseJSON
	if err := json.Unmarshal([]byte(body), &first); err != nil || first.ValueSchemaID == nil {
		t.Fatalf("produce response %s", body)
	}
	id := *first.ValueSchemaID
	for _, tc := range []struct {
		name, body string
		status     int
		want       string
	}{
		{"schema id and partition as strings", `{"value_schema_id":"` + itoa(id) + `","records":[{"value":"b","partition":"1"}]}`, 200, `"partition":1`},
		{"schema id as a word", `{"value_schema_id":"one","records":[{"value":"b"}]}`, 400, `"error_code":400`},
		{"partition as a fraction", `{"value_schema_id":` + itoa(id) + `,"records":[{"value":"b","partition":"1.5"}]}`, 400, `"error_code":400`},
	} {
		status, body := produceSchema(t, ts, topic, "avro", tc.body)
		if status != tc.status || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %s, want %d with %s", tc.name, status, body, tc.status, tc.want)
		}
	}
	c := newRESTConsumer(t, ts, "coerce-"+topic, `{"format":"binary","fetch.min.bytes":"1","consumer.request.timeout.ms":"500"}`)
	c.mustCall(t, "POST", "/assignments", `{"partitions":[{"topic":"`+topic+`","partition":"1"}]}`, 204)
	c.mustCall(t, "POST", "/positions", `{"offsets":[{"topic":"`+topic+`","partition":"1","offset":"0"}]}`, 204)
	c.mustCall(t, "POST", "/offsets", `{"offsets":[{"topic":"`+topic+`","partition":"1","offset":"0"}]}`, 200)
	if got := c.mustCall(t, "GET", "/assignments", "", 200); got != `{"partitions":[{"topic":"`+topic+`","partition":1}]}` {
		t.Errorf("assignments %s", got)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
