package proxy

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/sr"
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

// TestSchemaReferences: schemas registered with references (Avro named
// types of another subject, a Protobuf import, a JSON Schema "$ref" to
// another subject) produce by id and read back, on the real broker too.
func TestSchemaReferences(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		reg, url := startRegistry(t)
		ts := startServer(t, b, map[string]string{"schema.registry.url": url})
		const value = `{"name":"ann","home":{"city":"Oslo"}}`
		for _, tc := range []struct {
			format        string
			typ           sr.SchemaType
			refName, ref  string
			main          string
			bad, badError string
		}{
			{"avro", sr.TypeAvro, "com.example.Address",
				`{"type":"record","name":"Address","namespace":"com.example","fields":[{"name":"city","type":"string"},{"name":"zip","type":"string","default":""}]}`,
				`{"type":"record","name":"User","namespace":"com.example","fields":[{"name":"name","type":"string"},{"name":"home","type":"com.example.Address"}]}`,
				`{"name":"ann","home":{"city":5}}`, `"error_code":400`},
			{"protobuf", sr.TypeProtobuf, "Reference.proto",
				`syntax = "proto3"; package ref; message Address { string city = 1; }`,
				`syntax = "proto3"; package app; import "Reference.proto"; message User { string name = 1; ref.Address home = 2; }`,
				`{"name":"ann","home":{"town":"x"}}`, `"error_code":400`},
			{"jsonschema", sr.TypeJSON, "address.json",
				`{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`,
				`{"type":"object","properties":{"name":{"type":"string"},"home":{"$ref":"address.json"}},"required":["name","home"]}`,
				`{"name":"ann","home":{}}`, `"error_code":400`},
		} {
			t.Run(tc.format, func(t *testing.T) {
				topic := createTopic(t, b, 1)
				if _, _, err := reg.RegisterSchema("ref-"+tc.format+"-"+topic, sr.Schema{Schema: tc.ref, Type: tc.typ}); err != nil {
					t.Fatal(err)
				}
				id, _, err := reg.RegisterSchema(topic+"-value", sr.Schema{Schema: tc.main, Type: tc.typ, References: []sr.SchemaReference{
					{Name: tc.refName, Subject: "ref-" + tc.format + "-" + topic, Version: 1},
				}})
				if err != nil {
					t.Fatal(err)
				}
				status, body := produceSchema(t, ts, topic, tc.format, `{"value_schema_id":`+itoa(id)+`,"records":[{"value":`+value+`}]}`)
				if status != 200 || !strings.Contains(body, `"value_schema_id":`+itoa(id)) {
					t.Fatalf("produce: %d %s", status, body)
				}
				status, body = produceSchema(t, ts, topic, tc.format, `{"value_schema_id":`+itoa(id)+`,"records":[{"value":`+tc.bad+`}]}`)
				if status != 400 || !strings.Contains(body, tc.badError) {
					t.Errorf("a value the referenced schema refuses: %d %s", status, body)
				}
				got := readAll(t, ts, topic, tc.format, 1)
				if !strings.Contains(got, `"home":{"city":"Oslo"`) {
					t.Errorf("read back %s", got)
				}
				// The stateless read decodes with the record's schema too.
				for _, v := range []string{"v1", "v2"} {
					ct := "application/vnd.kafka." + tc.format + "." + v + "+json"
					status, body, hdr := ts.do(t, "GET", "/topics/"+topic+"/partitions/0/messages?offset=0", map[string]string{"Accept": ct}, nil)
					if status != 200 || hdr.Get("Content-Type") != ct || !strings.Contains(body, `"home":{"city":"Oslo"`) {
						t.Errorf("stateless read as %s: %d %s %s", ct, status, hdr.Get("Content-Type"), body)
					}
				}
			})
		}
	})
}

// TestProduceToMissingTopic: a produce to a topic that does not exist,
// where Kafka will not create it, is Confluent's documented 404 / 40401,
// promptly. The test broker of make test auto-creates topics (other tests
// rely on it), and a user without CREATE gets 403 there, not an unknown
// topic, so this runs on kfake with auto-creation off.
func TestProduceToMissingTopic(t *testing.T) {
	t.Parallel()
	const want = `{"error_code":40401,"message":"Topic not found."}`
	check := func(t *testing.T, ts *testServer, topic string) {
		t.Helper()
		start := time.Now()
		for _, path := range []string{"/topics/" + topic, "/topics/" + topic + "/partitions/0"} {
			status, body, _ := ts.do(t, "POST", path, map[string]string{"Content-Type": "application/vnd.kafka.binary.v2+json"}, []byte(`{"records":[{"value":"aGk="},{"value":"aGk="}]}`))
			if status != 404 || body != want {
				t.Errorf("POST %s: %d %s, want 404 %s", path, status, body, want)
			}
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("two refusals took %v", d)
		}
	}
	t.Run("kfake", func(t *testing.T) {
		c, err := kfake.NewCluster(kfake.NumBrokers(1))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		check(t, startServer(t, backend{name: "kfake", seeds: c.ListenAddrs(), fake: c}, nil), "missing-topic")
	})
}

// TestInvalidAvroDefault: the 42205 message names the field and the
// default that does not fit, not hamba's "<nil> not a int".
func TestInvalidAvroDefault(t *testing.T) {
	t.Parallel()
	b := fakeBroker(t)
	_, url := startRegistry(t)
	ts := startServer(t, b, map[string]string{"schema.registry.url": url})
	schema := `{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":"seven"}]}`
	status, body := produceSchema(t, ts, createTopic(t, b, 1), "avro", `{"value_schema":`+quote(schema)+`,"records":[{"value":{"a":1}}]}`)
	want := `{"error_code":42205,"message":"Invalid schema: invalid default for field \"a\" of R: expected int, got string \"seven\""}`
	if status != 422 || body != want {
		t.Errorf("%d %s\nwant 422 %s", status, body, want)
	}
}
