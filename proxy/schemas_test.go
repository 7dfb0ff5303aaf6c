package proxy

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	havro "github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"
)

// startRegistry serves an in-memory Confluent-compatible Schema Registry for
// one test.
func startRegistry(t *testing.T) (*srfake.Registry, string) {
	t.Helper()
	reg := srfake.New()
	t.Cleanup(reg.Close)
	return reg, reg.URL()
}

const userSchema = `{"type":"record","name":"User","namespace":"com.example","fields":[{"name":"username","type":"string"},{"name":"age","type":["null","int"],"default":null}]}`

// quote returns s as a JSON string.
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func produceSchema(t *testing.T, ts *testServer, topic, format, body string) (int, string) {
	t.Helper()
	status, resp, _ := ts.do(t, "POST", "/topics/"+topic, map[string]string{"Content-Type": "application/vnd.kafka." + format + ".v2+json"}, []byte(body))
	return status, resp
}

// readAll reads n records through a new consumer instance of format.
func readAll(t *testing.T, ts *testServer, topic, format string, n int) string {
	t.Helper()
	c := newRESTConsumer(t, ts, "read-"+format+"-"+topic, `{"format":"`+format+`","auto.offset.reset":"earliest"}`)
	c.mustCall(t, "POST", "/assignments", `{"partitions":[{"topic":"`+topic+`","partition":0}]}`, 204)
	var all []json.RawMessage
	eventually(t, 30*time.Second, "records", func() bool {
		status, body, _ := ts.do(t, "GET", c.path("/records?timeout=500"), map[string]string{"Accept": "application/vnd.kafka." + format + ".v2+json"}, nil)
		if status != 200 {
			t.Fatalf("read: %d %s", status, body)
		}
		var recs []struct {
			Key   json.RawMessage `json:"key"`
			Value json.RawMessage `json:"value"`
		}
		if err := json.Unmarshal([]byte(body), &recs); err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			all = append(all, json.RawMessage(`{"key":`+string(r.Key)+`,"value":`+string(r.Value)+`}`))
		}
		return len(all) >= n
	})
	out, _ := json.Marshal(all)
	return string(out)
}

// rawRecords reads the stored bytes of a topic with a plain consumer.
func rawRecords(t *testing.T, b backend, topic string, n int) []*kgo.Record {
	t.Helper()
	return consumeAll(t, b, topic, n)
}

// TestAvroRoundTrip produces Avro by schema and by id under each subject
// strategy, checks the Confluent framing with an independent decoder
// (hamba), and reads the records back as Avro JSON.
func TestAvroRoundTrip(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		for _, tc := range []struct {
			strategy string
			subject  func(topic string) string
		}{
			{"", func(topic string) string { return topic + "-value" }},
			{"io.confluent.kafka.serializers.subject.RecordNameStrategy", func(string) string { return "com.example.User" }},
			{"TopicRecordNameStrategy", func(topic string) string { return topic + "-com.example.User" }},
		} {
			t.Run("strategy="+tc.strategy, func(t *testing.T) {
				reg, url := startRegistry(t)
				props := map[string]string{"schema.registry.url": url}
				if tc.strategy != "" {
					props["value.subject.name.strategy"] = tc.strategy
				}
				ts := startServer(t, b, props)
				topic := createTopic(t, b, 1)
				status, body := produceSchema(t, ts, topic, "avro", `{"value_schema":`+quote(userSchema)+`,"records":[{"value":{"username":"ann","age":{"int":31}}},{"value":{"username":"bob"}}]}`)
				var resp produceResponseJSON
				if err := json.Unmarshal([]byte(body), &resp); status != 200 || err != nil || resp.ValueSchemaID == nil || resp.KeySchemaID != nil {
					t.Fatalf("produce by schema: %d %s", status, body)
				}
				id := *resp.ValueSchemaID
				if !reg.SubjectExists(tc.subject(topic)) {
					t.Errorf("schema not registered under subject %s", tc.subject(topic))
				}
				status, body = produceSchema(t, ts, topic, "avro", fmt.Sprintf(`{"value_schema_id":%d,"records":[{"value":{"username":"cy","age":null}}]}`, id))
				if status != 200 || !strings.Contains(body, fmt.Sprintf(`"value_schema_id":%d`, id)) {
					t.Fatalf("produce by id: %d %s", status, body)
				}
				// Independent decoder: the Confluent header, then hamba.
				schema := havro.MustParse(userSchema)
				type user struct {
					Username string `avro:"username"`
					Age      *int   `avro:"age"`
				}
				for i, r := range rawRecords(t, b, topic, 3) {
					gotID, payload, err := (&sr.ConfluentHeader{}).DecodeID(r.Value)
					if err != nil || gotID != id {
						t.Fatalf("record %d: header id %d, %v; want %d", i, gotID, err, id)
					}
					var u user
					if err := havro.Unmarshal(schema, payload, &u); err != nil {
						t.Fatalf("record %d: hamba cannot decode %x: %v", i, payload, err)
					}
					if want := []string{"ann", "bob", "cy"}[i]; u.Username != want || (i == 0) != (u.Age != nil) {
						t.Errorf("record %d decoded as %+v", i, u)
					}
				}
				got := readAll(t, ts, topic, "avro", 3)
				want := `[{"key":null,"value":{"username":"ann","age":{"int":31}}},{"key":null,"value":{"username":"bob","age":null}},{"key":null,"value":{"username":"cy","age":null}}]`
				if got != want {
					t.Errorf("consumed %s\nwant %s", got, want)
				}
			})
		}
	})
}

// TestSchemaFramedByFranzGo: records framed by franz-go's sr on the other
// side (as Java serdes frame them) are read by krest.
func TestSchemaFramedByFranzGo(t *testing.T) {
	t.Parallel()
	b := fakeBroker(t)
	reg, url := startRegistry(t)
	ts := startServer(t, b, map[string]string{"schema.registry.url": url})
	topic := createTopic(t, b, 1)
	id, _, err := reg.RegisterSchema(topic+"-value", sr.Schema{Schema: userSchema})
	if err != nil {
		t.Fatal(err)
	}
	schema := havro.MustParse(userSchema)
	var serde sr.Serde
	type user struct {
		Username string `avro:"username"`
		Age      *int   `avro:"age"`
	}
	serde.Register(id, user{}, sr.EncodeFn(func(v any) ([]byte, error) { return havro.Marshal(schema, v) }))
	age := 7
	v, err := serde.Encode(user{Username: "zed", Age: &age})
	if err != nil {
		t.Fatal(err)
	}
	cl, _ := kgo.NewClient(kgo.SeedBrokers(b.seeds...))
	defer cl.Close()
	if err := cl.ProduceSync(context.Background(), &kgo.Record{Topic: topic, Value: v}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, ts, topic, "avro", 1); got != `[{"key":null,"value":{"username":"zed","age":{"int":7}}}]` {
		t.Errorf("consumed %s", got)
	}
}

// TestJSONSchemaAndProtobufRoundTrip produces and consumes the other two
// Schema Registry formats, checking the framing bytes.
func TestJSONSchemaAndProtobufRoundTrip(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		_, url := startRegistry(t)
		ts := startServer(t, b, map[string]string{"schema.registry.url": url})

		topic := createTopic(t, b, 1)
		js := `{"type":"object","title":"Item","properties":{"id":{"type":"integer"},"tags":{"type":"array","items":{"type":"string"}}},"required":["id"]}`
		status, body := produceSchema(t, ts, topic, "jsonschema", `{"value_schema":`+quote(js)+`,"key_schema":"{\"type\":\"string\"}","records":[{"key":"k1","value":{"id": 1, "tags":["a"]}}]}`)
		if status != 200 || !strings.Contains(body, `"key_schema_id":`) || strings.Contains(body, `"key_schema_id":null`) {
			t.Fatalf("jsonschema produce: %d %s", status, body)
		}
		raw := rawRecords(t, b, topic, 1)[0]
		if raw.Value[0] != 0 || string(raw.Value[5:]) != `{"id":1,"tags":["a"]}` || string(raw.Key[5:]) != `"k1"` {
			t.Errorf("jsonschema wire bytes: key %q value %q", raw.Key, raw.Value)
		}
		if got := readAll(t, ts, topic, "jsonschema", 1); got != `[{"key":"k1","value":{"id":1,"tags":["a"]}}]` {
			t.Errorf("jsonschema consumed %s", got)
		}
		status, body = produceSchema(t, ts, topic, "jsonschema", `{"value_schema":`+quote(js)+`,"records":[{"value":{"id":1}},{"value":{"id":"one"}}]}`)
		if status != 400 || body != `{"error_code":400,"message":"Bad Request: Record 1 value: /id: got string, want integer"}` {
			t.Errorf("jsonschema invalid data: %d %s", status, body)
		}

		ptopic := createTopic(t, b, 1)
		proto := "syntax = \"proto3\"; package shop; message Order { int64 id = 1; string item = 2; repeated int32 qty = 3; }"
		status, body = produceSchema(t, ts, ptopic, "protobuf", `{"value_schema":`+quote(proto)+`,"records":[{"value":{"id":"5","item":"pen","qty":[1,2]}}]}`)
		if status != 200 {
			t.Fatalf("protobuf produce: %d %s", status, body)
		}
		praw := rawRecords(t, b, ptopic, 1)[0]
		if praw.Value[0] != 0 || binary.BigEndian.Uint32(praw.Value[1:5]) == 0 || praw.Value[5] != 0 {
			t.Errorf("protobuf framing: %x (want magic 0, id, message index 0)", praw.Value[:6])
		}
		if got := readAll(t, ts, ptopic, "protobuf", 1); !strings.Contains(got, `"item":"pen"`) || !strings.Contains(got, `"id":"5"`) {
			t.Errorf("protobuf consumed %s", got)
		}
	})
}

// TestSchemaErrors covers the error codes of the schema formats.
func TestSchemaErrors(t *testing.T) {
	t.Parallel()
	b := fakeBroker(t)
	_, url := startRegistry(t)
	ts := startServer(t, b, map[string]string{"schema.registry.url": url})
	topic := createTopic(t, b, 1)
	for _, tc := range []struct {
		name, body string
		status     int
		want       string
	}{
		{"key without key schema", `{"value_schema":` + quote(userSchema) + `,"records":[{"key":"k","value":{"username":"a"}}]}`,
			422, `{"error_code":42201,"message":"Request includes keys but does not include key schema"}`},
		{"value without value schema", `{"records":[{"value":{"username":"a"}}]}`,
			422, `{"error_code":42202,"message":"Request includes values but does not include value schema"}`},
		{"schema and id", `{"value_schema":` + quote(userSchema) + `,"value_schema_id":1,"records":[{"value":{"username":"a"}}]}`,
			400, `{"error_code":400,"message":"Bad Request: value_schema and value_schema_id are mutually exclusive"}`},
		{"invalid schema", `{"value_schema":"{\"type\":\"recrod\"}","records":[{"value":{}}]}`, 422, `"error_code":42205`},
		{"data not matching the schema: 400 as Confluent's BadRequestException", `{"value_schema":` + quote(userSchema) + `,"records":[{"value":{"username":"a"}},{"value":{"username":5}}]}`,
			400, `{"error_code":400,"message":"Bad Request: Record 1 value: field \"username\": expected string, got number 5"}`},
		{"union not wrapped", `{"value_schema":` + quote(userSchema) + `,"records":[{"value":{"username":"a","age":7}}]}`,
			400, `{"error_code":400,"message":"Bad Request: Record 0 value: union \"age\": expected null or a single-key object, got number 7"}`},
		{"unknown schema id", `{"value_schema_id":9999,"records":[{"value":{"username":"a"}}]}`, 422, `"error_code":42207`},
	} {
		status, body := produceSchema(t, ts, topic, "avro", tc.body)
		if status != tc.status || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %s\nwant %d %s", tc.name, status, body, tc.status, tc.want)
		}
	}
	if status, body := produceSchema(t, ts, topic, "avro", `{"value_schema":`+quote(userSchema)+`,"records":[{"value":{"username":5}}]}`); !strings.Contains(body, `username`) {
		t.Errorf("the error must name the field: %d %s", status, body)
	}

	// No registry configured: 42206, as Confluent's proxy.
	plain := startServer(t, b, nil)
	status, body, _ := plain.do(t, "POST", "/topics/"+topic, map[string]string{"Content-Type": "application/vnd.kafka.avro.v2+json"},
		[]byte(`{"value_schema":`+quote(userSchema)+`,"records":[{"value":{"username":"a"}}]}`))
	if status != 422 || body != `{"error_code":42206,"message":"Payload error. Schema Registry must be configured when using schemas."}` {
		t.Errorf("no registry: %d %s", status, body)
	}

	// Registry unreachable: a prompt 5xx naming it, not a hang.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String()
	ln.Close()
	down := startServer(t, b, map[string]string{"schema.registry.url": dead})
	start := time.Now()
	status, body, _ = down.do(t, "POST", "/topics/"+topic, map[string]string{"Content-Type": "application/vnd.kafka.avro.v2+json"},
		[]byte(`{"value_schema":`+quote(userSchema)+`,"records":[{"value":{"username":"a"}}]}`))
	if status != 503 || !strings.Contains(body, dead) || !strings.Contains(body, "unreachable") || time.Since(start) > 15*time.Second {
		t.Errorf("unreachable registry: %d %s after %v", status, body, time.Since(start))
	}
}

// TestRegistryTLSAndAuth talks to an https registry trusted through
// schema.registry.ssl.ca.location, with basic auth.
func TestRegistryTLSAndAuth(t *testing.T) {
	t.Parallel()
	b := fakeBroker(t)
	reg := srfake.NewRegistry(srfake.WithAuth("Basic " + base64.StdEncoding.EncodeToString([]byte("u:p"))))
	srv := httptest.NewTLSServer(reg.Handler())
	t.Cleanup(srv.Close)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	topic := createTopic(t, b, 1)
	body := `{"value_schema":"\"string\"","records":[{"value":"hi"}]}`
	for _, tc := range []struct {
		props  map[string]string
		status int
	}{
		{map[string]string{"schema.registry.url": srv.URL, "schema.registry.ssl.ca.location": caFile, "schema.registry.basic.auth.user.info": "u:p"}, 200},
		{map[string]string{"schema.registry.url": srv.URL, "schema.registry.ssl.ca.location": caFile, "schema.registry.basic.auth.user.info": "u:wrong"}, 403},
		{map[string]string{"schema.registry.url": srv.URL, "schema.registry.basic.auth.user.info": "u:p"}, 503}, // untrusted certificate
	} {
		ts := startServer(t, b, tc.props)
		if status, resp := produceSchema(t, ts, topic, "avro", body); status != tc.status {
			t.Errorf("%v: %d %s, want %d", tc.props, status, resp, tc.status)
		}
	}
}

// TestJSONSchemaAndProtobufByIDAndRecordStrategy: the other two formats by
// schema id, and under the record subject-name strategy (JSON Schema's
// title, Protobuf's message full name).
func TestJSONSchemaAndProtobufByIDAndRecordStrategy(t *testing.T) {
	t.Parallel()
	b := fakeBroker(t)
	reg, url := startRegistry(t)
	ts := startServer(t, b, map[string]string{"schema.registry.url": url, "value.subject.name.strategy": "RecordNameStrategy"})
	for _, tc := range []struct {
		format, schema, subject, value, want string
	}{
		{"jsonschema", `{"title":"com.example.Point","type":"object","properties":{"x":{"type":"number"}}}`, "com.example.Point", `{"x":1.5}`, `{"x":1.5}`},
		{"protobuf", `syntax = "proto3"; package geo; message Point { double x = 1; }`, "geo.Point", `{"x":1.5}`, `{"x":1.5}`},
	} {
		topic := createTopic(t, b, 1)
		status, body := produceSchema(t, ts, topic, tc.format, `{"value_schema":`+quote(tc.schema)+`,"records":[{"value":`+tc.value+`}]}`)
		var resp produceResponseJSON
		if err := json.Unmarshal([]byte(body), &resp); status != 200 || err != nil || resp.ValueSchemaID == nil {
			t.Fatalf("%s by schema: %d %s", tc.format, status, body)
		}
		if !reg.SubjectExists(tc.subject) {
			t.Errorf("%s: subject %s not registered", tc.format, tc.subject)
		}
		status, body = produceSchema(t, ts, topic, tc.format, fmt.Sprintf(`{"value_schema_id":%d,"records":[{"value":%s}]}`, *resp.ValueSchemaID, tc.value))
		if status != 200 {
			t.Fatalf("%s by id: %d %s", tc.format, status, body)
		}
		want := `[{"key":null,"value":` + tc.want + `},{"key":null,"value":` + tc.want + `}]`
		if got := readAll(t, ts, topic, tc.format, 2); got != want {
			t.Errorf("%s consumed %s, want %s", tc.format, got, want)
		}
	}
}
