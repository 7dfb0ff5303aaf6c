package main

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// send is one curl call of the quick start.
func (p *process) send(t *testing.T, method, url string, headers map[string]string, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestQuickStart runs the README's quick start, the Avro example of the
// original REST Proxy announcement, verbatim against `make run`'s dev mode
// (embedded Kafka and Schema Registry), then the same flow in v2 form.
func TestQuickStart(t *testing.T) {
	t.Parallel()
	p := startKrest(t)
	if !p.logged("embedded dev Schema Registry") {
		t.Errorf("start-up line does not announce the embedded registry:\n%s", p.stderr.String())
	}

	// curl -i -X POST -H "Content-Type: application/vnd.kafka.avro.v1+json" --data '{...}' http://localhost:8082/topics/avrotest
	status, body := p.send(t, "POST", p.url+"/topics/avrotest", map[string]string{"Content-Type": "application/vnd.kafka.avro.v1+json"}, `{
  "value_schema": "{\"type\": \"record\", \"name\": \"User\", \"fields\": [{\"name\": \"username\", \"type\": \"string\"}]}",
  "records": [ {"value": {"username": "testUser"}}, {"value": {"username": "testUser2"}} ]
}`)
	if want := `{"key_schema_id":null,"value_schema_id":1,"offsets":[{"partition":0,"offset":0,"error_code":null,"error":null},{"partition":0,"offset":1,"error_code":null,"error":null}]}`; status != 200 || body != want {
		t.Fatalf("produce: %d %s\nwant 200 %s", status, body, want)
	}

	// curl -i -X POST -H "Content-Type: application/vnd.kafka.v1+json" --data '{"format": "avro", "auto.offset.reset": "smallest"}' http://localhost:8082/consumers/my_avro_consumer
	status, body = p.send(t, "POST", p.url+"/consumers/my_avro_consumer", map[string]string{"Content-Type": "application/vnd.kafka.v1+json"}, `{"format": "avro", "auto.offset.reset": "smallest"}`)
	var created struct {
		InstanceID string `json:"instance_id"`
		BaseURI    string `json:"base_uri"`
	}
	if err := json.Unmarshal([]byte(body), &created); status != 200 || err != nil ||
		!regexp.MustCompile(`^\{"instance_id":"[^"]+","base_uri":"`+regexp.QuoteMeta(p.url)+`/consumers/my_avro_consumer/instances/[^"]+"\}$`).MatchString(body) ||
		!strings.HasSuffix(created.BaseURI, "/"+created.InstanceID) {
		t.Fatalf("create consumer: %d %s", status, body)
	}

	// curl -i -X GET -H "Accept: application/vnd.kafka.avro.v1+json" <base_uri>/topics/avrotest
	status, body = p.send(t, "GET", created.BaseURI+"/topics/avrotest", map[string]string{"Accept": "application/vnd.kafka.avro.v1+json"}, "")
	if want := `[{"key":null,"value":{"username":"testUser"},"partition":0,"offset":0},{"key":null,"value":{"username":"testUser2"},"partition":0,"offset":1}]`; status != 200 || body != want {
		t.Errorf("read: %d %s\nwant 200 %s", status, body, want)
	}

	// curl -i -X DELETE <base_uri>
	if status, body = p.send(t, "DELETE", created.BaseURI, nil, ""); status != 204 || body != "" {
		t.Errorf("delete: %d %q", status, body)
	}

	// The same in v2 form: schema by id now, subscription, /records.
	status, body = p.send(t, "POST", p.url+"/topics/avrotest2", map[string]string{"Content-Type": "application/vnd.kafka.avro.v2+json"},
		`{"value_schema_id": 1, "records": [{"value": {"username": "v2User"}}]}`)
	if status != 422 || !strings.Contains(body, `"error_code":42207`) {
		// By id, the schema must already be a version of avrotest2-value.
		t.Errorf("produce by an id not registered under the subject: %d %s", status, body)
	}
	status, body = p.send(t, "POST", p.url+"/topics/avrotest2", map[string]string{"Content-Type": "application/vnd.kafka.avro.v2+json"}, `{
  "value_schema": "{\"type\": \"record\", \"name\": \"User\", \"fields\": [{\"name\": \"username\", \"type\": \"string\"}]}",
  "records": [ {"value": {"username": "v2User"}} ]
}`)
	if want := `{"key_schema_id":null,"value_schema_id":1,"offsets":[{"partition":0,"offset":0,"error_code":null,"error":null}]}`; status != 200 || body != want {
		t.Fatalf("v2 produce: %d %s", status, body)
	}
	status, body = p.send(t, "POST", p.url+"/topics/avrotest2", map[string]string{"Content-Type": "application/vnd.kafka.avro.v2+json"},
		`{"value_schema_id": 1, "records": [{"value": {"username": "v2ById"}}]}`)
	if status != 200 || !strings.Contains(body, `"offset":1`) {
		t.Fatalf("v2 produce by id: %d %s", status, body)
	}
	v2 := map[string]string{"Content-Type": "application/vnd.kafka.v2+json"}
	status, body = p.send(t, "POST", p.url+"/consumers/my_avro_consumer_v2", v2, `{"name": "c", "format": "avro", "auto.offset.reset": "earliest"}`)
	if status != 200 {
		t.Fatalf("v2 create: %d %s", status, body)
	}
	base := p.url + "/consumers/my_avro_consumer_v2/instances/c"
	if status, body = p.send(t, "POST", base+"/subscription", v2, `{"topics":["avrotest2"]}`); status != 204 {
		t.Fatalf("v2 subscribe: %d %s", status, body)
	}
	var got []map[string]any
	deadline := time.Now().Add(20 * time.Second)
	for len(got) < 2 && time.Now().Before(deadline) {
		status, body = p.send(t, "GET", base+"/records", map[string]string{"Accept": "application/vnd.kafka.avro.v2+json"}, "")
		var recs []map[string]any
		if err := json.Unmarshal([]byte(body), &recs); status != 200 || err != nil {
			t.Fatalf("v2 read: %d %s", status, body)
		}
		got = append(got, recs...)
	}
	if len(got) != 2 || got[0]["value"].(map[string]any)["username"] != "v2User" || got[1]["value"].(map[string]any)["username"] != "v2ById" || got[0]["topic"] != "avrotest2" {
		t.Errorf("v2 read: %v", got)
	}
	if status, _ = p.send(t, "DELETE", base, nil, ""); status != 204 {
		t.Errorf("v2 delete: %d", status)
	}
	p.stop(t)
}
