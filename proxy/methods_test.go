package proxy

import (
	"strings"
	"testing"
)

// TestOptionsAndHead: OPTIONS on a known path is 200 with Allow, HEAD is
// the GET's status and headers without a body, on v2, v3 and ops paths,
// as Jersey answers them; HEAD of a records read is 405 (it would consume
// or stream); OPTIONS and HEAD of an unknown path are 404.
func TestOptionsAndHead(t *testing.T) {
	ts := startServer(t, fakeBroker(t), nil)
	cluster := clusterIDOf(t, ts)
	topic := "oh-topic"
	produceJSON(t, ts, topic, 0, 1)
	for _, tc := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{"OPTIONS", "/v3/clusters", 200, "GET, HEAD, OPTIONS"},
		{"OPTIONS", "/v3/clusters/" + cluster + "/topics", 200, "GET, HEAD, OPTIONS, POST"},
		{"OPTIONS", "/topics/" + topic, 200, "GET, HEAD, OPTIONS, POST"},
		{"OPTIONS", "/consumers/g/instances/i/records", 200, "GET, OPTIONS"},
		{"OPTIONS", "/no/such/path", 404, ""},
		{"HEAD", "/v3/clusters", 200, ""},
		{"HEAD", "/topics", 200, ""},
		{"HEAD", "/topics/" + topic, 200, ""},
		{"HEAD", "/topics/no-such-topic-oh", 404, ""},
		{"HEAD", "/-/healthy", 200, ""},
		{"HEAD", "/consumers/g/instances/i/records", 405, ""},
		{"HEAD", "/no/such/path", 404, ""},
	} {
		code, body, hdr := ts.do(t, tc.method, tc.path, nil, nil)
		if code != tc.status {
			t.Errorf("%s %s: %d %s, want %d", tc.method, tc.path, code, body, tc.status)
		}
		if tc.allow != "" && hdr.Get("Allow") != tc.allow {
			t.Errorf("%s %s: Allow %q, want %q", tc.method, tc.path, hdr.Get("Allow"), tc.allow)
		}
		if tc.method == "HEAD" && body != "" {
			t.Errorf("HEAD %s has a body: %q", tc.path, body)
		}
		if tc.method == "HEAD" && tc.status == 200 {
			_, getBody, getHdr := ts.do(t, "GET", tc.path, nil, nil)
			if hdr.Get("Content-Type") != getHdr.Get("Content-Type") || hdr.Get("Content-Length") != "" && hdr.Get("Content-Length") != strings.TrimSpace(itoa(len(getBody))) {
				t.Errorf("HEAD %s: Content-Type %q Content-Length %q, GET's %q and %d bytes", tc.path, hdr.Get("Content-Type"), hdr.Get("Content-Length"), getHdr.Get("Content-Type"), len(getBody))
			}
		}
	}
}
