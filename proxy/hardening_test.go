package proxy

import (
	"strings"
	"testing"
)

// TestTopicNames: Kafka's rules for topic names are applied before Kafka
// is asked, so the embedded dev broker (which accepts anything) and a real
// one answer alike, and never with a 5xx.
func TestTopicNames(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 250)
	illegal := func(name string) string {
		return `{"error_code":40002,"message":"Topic name \"` + name + `\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'"}`
	}
	eachBackend(t, func(t *testing.T, b backend) {
		ts := startServer(t, b, nil)
		binary := map[string]string{"Content-Type": "application/vnd.kafka.binary.v2+json"}
		record := []byte(`{"records":[{"value":"aGk="}]}`)
		for _, tc := range []struct {
			name, method, path string
			status             int
			want               string
		}{
			{"a space", "GET", "/topics/a%20b", 400, illegal("a b")},
			{"a snowman", "GET", "/topics/%E2%98%83", 400, illegal("☃")},
			{"a snowman, produce", "POST", "/topics/%E2%98%83", 400, illegal("☃")},
			{"250 characters", "POST", "/topics/" + long, 400, `{"error_code":40002,"message":"Topic name is illegal, it can't be longer than 249 characters, topic name: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…"}`},
			{"250 characters, partitions", "GET", "/topics/" + long + "/partitions", 400, ``},
			{"a colon", "GET", "/topics/a:b/partitions/0/offsets", 400, illegal("a:b")},
			{"undecodable bytes", "POST", "/topics/a%FFb", 404, `{"error_code":404,"message":"HTTP 404 Not Found"}`},
			{"an escaped slash", "GET", "/topics/a%2Fb", 400, illegal("a/b")},
			{"internal topic", "POST", "/topics/__consumer_offsets", 400, `{"error_code":40002,"message":"Cannot append to internal topic __consumer_offsets"}`},
		} {
			var body []byte
			var headers map[string]string
			if tc.method == "POST" {
				body, headers = record, binary
			}
			status, got, _ := ts.do(t, tc.method, tc.path, headers, body)
			if status != tc.status || (tc.want != "" && got != tc.want) || (tc.want == "" && !strings.Contains(got, `"error_code":40002`)) {
				t.Errorf("%s: %s %s: %d %s\nwant %d %s", tc.name, tc.method, tc.path, status, got, tc.status, tc.want)
			}
		}
	})
}
