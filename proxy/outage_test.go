package proxy

import (
	"strings"
	"testing"
	"time"
)

// TestMetadataWhileKafkaDown: once the brokers krest knew stop answering,
// a metadata read (v2 and v3) fails with 500 / 50002 naming the cause in
// about metadataRetryTimeout (2 s), not at the request's Kafka timeout
// (15 s, as it did). The bound asserted is loose (the machine is shared);
// what it catches is a wait for the whole Kafka timeout.
func TestMetadataWhileKafkaDown(t *testing.T) {
	b := fakeBroker(t)
	ts := startServer(t, b, map[string]string{"consumer.forwarding": "off"})
	cluster := clusterIDOf(t, ts)
	produceJSON(t, ts, "outage-t", 0, 1)
	if code, body, _ := ts.do(t, "GET", "/topics", nil, nil); code != 200 {
		t.Fatalf("GET /topics with Kafka up: %d %s", code, body)
	}
	b.fake.Close()
	for _, path := range []string{"/topics", "/brokers", "/topics/outage-t", "/v3/clusters/" + cluster + "/topics"} {
		start := time.Now()
		code, body, _ := ts.do(t, "GET", path, nil, nil)
		took := time.Since(start)
		if code != 500 || !strings.HasPrefix(body, `{"error_code":50002,"message":"Kafka error: `) {
			t.Errorf("GET %s with Kafka down: %d %s", path, code, body)
		}
		if took > 10*time.Second {
			t.Errorf("GET %s with Kafka down took %v: it waited for the whole Kafka timeout", path, took)
		}
	}
}
