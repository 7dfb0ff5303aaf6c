package proxy

import (
	"strings"
	"testing"
	"time"
)

// TestSecuredV3Produce: v3's streaming produce and records:batch go
// through the same engine as v2's produce, so a topic the principal may
// not write (no ACLs) and a failed SASL login are answered at once, with
// the codes v2 answers (40301, 40101), well before the delivery timeout
// (15 s here) that records to a broker that never answers would wait.
func TestSecuredV3Produce(t *testing.T) {
	b := secured(t)
	json := map[string]string{"Content-Type": "application/json"}
	for _, tc := range []struct {
		name, user, pass string
		code             string
	}{
		{"no ACLs", "mallory", "mallory-secret", `"error_code":40301`},
		{"wrong password", "alice", "wrong-secret", `"error_code":40101`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			topic := secTopic(t, b)
			ts, logs := startSecured(t, b.saslSSL, scramProps(b, tc.user, tc.pass))
			base := "/v3/clusters/any/topics/" + topic
			for _, req := range []struct {
				path, body, want string
				status           int
				records          int
			}{
				{base + "/records", `{"value":{"type":"BINARY","data":"eA=="}}` + "\n" + `{"value":{"type":"STRING","data":"y"}}`, "", 200, 2},
				{base + "/records:batch", `{"entries":[{"id":"a","value":{"type":"BINARY","data":"eA=="}},{"id":"b","value":{"type":"STRING","data":"y"}}]}`, `"failures":[{"id":"a",`, 207, 2},
			} {
				start := time.Now()
				status, body, _ := ts.do(t, "POST", req.path, json, []byte(req.body))
				if d := time.Since(start); d > 10*time.Second {
					t.Errorf("POST %s: the refusal took %v", req.path, d)
				}
				if status != req.status || strings.Count(body, tc.code) != req.records || !strings.Contains(body, req.want) {
					t.Errorf("POST %s: %d %s, want %d with %d records failed %s", req.path, status, body, req.status, req.records, tc.code)
				}
				checkNoSecrets(t, "the response", body)
			}
			// v2 answers the same code for the same topic.
			status, body, _ := ts.do(t, "POST", "/topics/"+topic, map[string]string{"Content-Type": "application/vnd.kafka.binary.v2+json"}, []byte(`{"records":[{"value":"eA=="}]}`))
			if !strings.Contains(body, tc.code) || status == 200 {
				t.Errorf("v2 produce: %d %s, want %s", status, body, tc.code)
			}
			checkNoSecrets(t, "the log", logs.String())
		})
	}
}
