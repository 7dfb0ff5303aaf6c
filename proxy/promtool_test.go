package proxy

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/krest-dev/krest/proxy/testenv"
)

// TestMetricsPromtool: after produce (v2 JSON and binary), a v2 consumer's
// create, subscribe and read, v3 requests and some errors, /metrics passes
// `promtool check metrics` with nothing to say: every family has its HELP
// and TYPE and follows the naming conventions. Without promtool (make deps
// installs it) the test skips, and fails under CI=true.
func TestMetricsPromtool(t *testing.T) {
	t.Parallel()
	promtool := testenv.Tool(t, "promtool")
	b := fakeBroker(t)
	ts := startServer(t, b, nil)
	topic := createTopic(t, b, 1)
	must := func(method, path string, headers map[string]string, body string, want int) string {
		t.Helper()
		status, resp, _ := ts.do(t, method, path, headers, []byte(body))
		if status != want {
			t.Fatalf("%s %s: %d %s, want %d", method, path, status, resp, want)
		}
		return resp
	}
	must("POST", "/topics/"+topic, map[string]string{"Content-Type": "application/vnd.kafka.json.v2+json"}, `{"records":[{"value":{"a":1}},{"key":"k","value":[2]}]}`, 200)
	must("POST", "/topics/"+topic, map[string]string{"Content-Type": "application/vnd.kafka.binary.v2+json"}, `{"records":[{"value":"aGVsbG8="}]}`, 200)

	c := newRESTConsumer(t, ts, "promtool-"+topic, `{"name":"c","format":"binary","auto.offset.reset":"earliest"}`)
	c.mustCall(t, "POST", "/subscription", `{"topics":["`+topic+`"]}`, 204)
	eventually(t, 30*time.Second, "records", func() bool {
		return len(c.records(t, "timeout=500", "application/vnd.kafka.binary.v2+json")) > 0
	})

	cluster := clusterIDOf(t, ts)
	must("GET", "/v3/clusters/"+cluster+"/topics/"+topic, nil, "", 200)
	must("POST", "/v3/clusters/"+cluster+"/topics/"+topic+"/records", map[string]string{"Content-Type": "application/json"}, `{"value":{"type":"JSON","data":{"a":1}}}`, 200)
	must("GET", "/no/such/path", nil, "", 404)
	must("POST", "/topics/"+topic, map[string]string{"Content-Type": "text/plain"}, `{"records":[{"value":1}]}`, 415)

	text := must("GET", "/metrics", nil, "", 200)
	for _, want := range []string{"krest_produce_records_total{topic=", "krest_consume_records_total{topic=", `code="4xx"} `, "krest_http_request_duration_seconds_bucket{", "krest_kafka_request_duration_seconds_bucket{", "go_sched_latencies_seconds_bucket{", "# TYPE krest_consumer_instance_expiries_total counter"} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(text)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil || out.Len() > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out.String())
	}
}
