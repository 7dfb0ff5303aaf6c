package proxy

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// TestOpenAPI fetches /v3/openapi.json and checks that it lists exactly
// the routes krest serves, and that every operation in it, with its path
// parameters filled in, reaches a handler (not the router's 404 or 405).
func TestOpenAPI(t *testing.T) {
	b := fakeBroker(t)
	ts := startServer(t, b, nil)
	code, body, _ := ts.do(t, "GET", "/v3/openapi.json", nil, nil)
	if code != 200 {
		t.Fatalf("GET /v3/openapi.json: %d %s", code, body)
	}
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil || doc.OpenAPI != "3.0.3" {
		t.Fatalf("not an OpenAPI 3 document: %v", err)
	}
	var inDoc []string
	ids := map[string]bool{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			inDoc = append(inDoc, strings.ToUpper(method)+" "+path)
			id, _ := op["operationId"].(string)
			if id == "" || ids[id] {
				t.Errorf("%s %s: operationId %q missing or not unique", method, path, id)
			}
			ids[id] = true
		}
	}
	slices.Sort(inDoc)
	routed := routedPaths(ts.table)
	if !slices.Equal(inDoc, routed) {
		t.Fatalf("the document and the router differ\n doc: %v\nrouter: %v", inDoc, routed)
	}
	fill := strings.NewReplacer("{topic}", "t", "{partition}", "0", "{broker}", "1", "{cluster}", "c",
		"{group}", "g", "{instance}", "i", "{consumer}", "m", "{config}", "cleanup.policy", "{consumer_group}", "g")
	for _, op := range inDoc {
		method, path, _ := strings.Cut(op, " ")
		p := fill.Replace(path)
		if strings.Contains(p, "{") {
			t.Errorf("%s: a path parameter the test does not fill", path)
			continue
		}
		code, body, _ := ts.do(t, method, p, map[string]string{"Content-Type": "application/json"}, nil)
		if code == 405 || body == `{"error_code":404,"message":"HTTP 404 Not Found"}` {
			t.Errorf("%s %s (%s): %d %s: not routed", method, p, path, code, body)
		}
	}
}

// TestAPIEnable switches each API off in turn: its paths answer 404, the
// other API's still work.
func TestAPIEnable(t *testing.T) {
	b := fakeBroker(t)
	for _, tc := range []struct {
		key         string
		off, on     string
		offV3, onV3 bool
	}{
		{"api.v2.enable", "/topics", "/v3/clusters", false, true},
		{"api.v3.enable", "/v3/clusters", "/topics", true, false},
	} {
		ts := startServer(t, b, map[string]string{tc.key: "false"})
		if code, body, _ := ts.do(t, "GET", tc.off, nil, nil); code != 404 || body != `{"error_code":404,"message":"HTTP 404 Not Found"}` {
			t.Errorf("%s=false: GET %s: %d %s", tc.key, tc.off, code, body)
		}
		if code, body, _ := ts.do(t, "GET", tc.on, nil, nil); code != 200 {
			t.Errorf("%s=false: GET %s: %d %s", tc.key, tc.on, code, body)
		}
	}
}
