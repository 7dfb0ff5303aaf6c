package proxy

import (
	"bytes"
	"compress/gzip"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape reads /metrics and returns each sample's value by its series
// (name{label="value",...} with labels sorted, as expfmt gives them).
func scrape(t *testing.T, ts *testServer) map[string]float64 {
	t.Helper()
	status, body, hdr := ts.do(t, "GET", "/metrics", nil, nil)
	if status != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %d %s", status, hdr.Get("Content-Type"))
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	out := map[string]float64{}
	for name, f := range families {
		for _, m := range f.Metric {
			key := name + labels(m.Label)
			switch {
			case m.Counter != nil:
				out[key] = m.Counter.GetValue()
			case m.Gauge != nil:
				out[key] = m.Gauge.GetValue()
			case m.Untyped != nil:
				out[key] = m.Untyped.GetValue()
			case m.Histogram != nil:
				out[key+"_count"] = float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return out
}

func labels(ls []*dto.LabelPair) string {
	if len(ls) == 0 {
		return ""
	}
	var parts []string
	for _, l := range ls {
		parts = append(parts, l.GetName()+"="+`"`+l.GetValue()+`"`)
	}
	sort.Strings(parts)
	return "{" + strings.Join(parts, ",") + "}"
}

// TestMetrics: the exact deltas of a known sequence of requests.
func TestMetrics(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		logs := &logBuffer{}
		ts := startServerWithLog(t, map[string]string{"bootstrap.servers": strings.Join(b.seeds, ","), "listeners": "http://127.0.0.1:0"},
			slog.New(slog.NewTextHandler(logs, nil)))
		topic := createTopic(t, b, 1)
		before := scrape(t, ts)
		binary := map[string]string{"Content-Type": "application/vnd.kafka.binary.v2+json"}
		if status, body, _ := ts.do(t, "POST", "/topics/"+topic, binary, []byte(`{"records":[{"value":"YWJj"},{"value":"ZGVm"},{"key":"a2V5","value":"Z2hp"}]}`)); status != 200 {
			t.Fatalf("produce: %d %s", status, body)
		}
		if status, _, _ := ts.do(t, "POST", "/topics/"+topic, binary, []byte(`{"records":[{"value":"!!"}]}`)); status != 400 {
			t.Fatalf("bad produce: %d", status)
		}
		if status, body, _ := ts.do(t, "POST", "/topics/"+topic, binary, []byte(`{"records":[{"value":"eA==","partition":5}]}`)); status != 200 || !strings.Contains(body, "40402") {
			t.Fatalf("produce to a missing partition: %d %s", status, body)
		}
		if status, body, _ := ts.do(t, "GET", "/topics/"+topic+"/partitions/0/messages?offset=0&count=2", nil, nil); status != 200 || strings.Count(body, `"offset"`) != 2 {
			t.Fatalf("stateless read: %d %s", status, body)
		}
		ts.do(t, "GET", "/nope", nil, nil)
		after := scrape(t, ts)
		route := func(name, code string) string {
			return `krest_http_requests_total{code="` + code + `",route="` + name + `"}`
		}
		for series, want := range map[string]float64{
			route("api.v2.produce-to-topic", "2xx"):                                      2,
			route("api.v2.produce-to-topic", "4xx"):                                      1,
			route("api.v2.partitions.read-messages", "2xx"):                              1,
			route("unmatched", "4xx"):                                                    1,
			`krest_produce_records_total{topic="` + topic + `"}`:                         3,
			`krest_produce_bytes_total{topic="` + topic + `"}`:                           12,
			`krest_produce_record_errors_total{code="40402"}`:                            1,
			`krest_consume_records_total{topic="` + topic + `"}`:                         2,
			`krest_consume_bytes_total{topic="` + topic + `"}`:                           6,
			`krest_http_request_duration_seconds_count{route="api.v2.produce-to-topic"}`: 0, // checked below
		} {
			if strings.HasPrefix(series, "krest_http_request_duration_seconds") {
				continue
			}
			if got := after[series] - before[series]; got != want {
				t.Errorf("%s: +%v, want +%v", series, got, want)
			}
		}
		for _, series := range []string{`krest_produce_buffer_limit_bytes`, `krest_consumer_memory_limit_bytes`, `krest_kafka_connects_total{client="producer"}`, `go_goroutines`, `process_resident_memory_bytes`} {
			if _, ok := after[series]; !ok {
				t.Errorf("no %s", series)
			}
		}
		if after[`krest_kafka_connects_total{client="producer"}`] < 1 || after[`krest_kafka_written_bytes_total{client="producer"}`] <= 0 {
			t.Errorf("the producer's connections were not counted")
		}
		if !strings.Contains(logs.String(), "route=api.v2.produce-to-topic status=400") {
			t.Errorf("no access log line for the 400:\n%s", logs.String())
		}
	})
}

// TestProbesAndCompression: /-/healthy and /-/ready answer without
// credentials; large responses are gzipped for clients that ask.
func TestProbesAndCompression(t *testing.T) {
	t.Parallel()
	b := fakeBroker(t)
	ts := startServer(t, b, map[string]string{"authentication.method": "BEARER", "authentication.bearer.public.key.location": writeTestKey(t)})
	for _, path := range []string{"/-/healthy", "/-/ready", "/metrics"} {
		if status, body, _ := ts.do(t, "GET", path, nil, nil); status != 200 {
			t.Errorf("%s without credentials: %d %s", path, status, body)
		}
	}
	if status, _, _ := ts.do(t, "GET", "/topics", nil, nil); status != 401 {
		t.Errorf("the door is open: %d", status)
	}
	req, _ := http.NewRequest("GET", ts.url+"/metrics", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q", resp.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	if !strings.Contains(string(plain), "krest_http_requests_total") {
		t.Errorf("gunzipped /metrics: %.200s", plain)
	}
}

// writeTestKey writes a PEM public key for bearer-token configurations.
func writeTestKey(t *testing.T) string {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	return writeFile(t, t.TempDir(), "pub.pem", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// TestEndpointsAndRateLimits: blocked endpoints are 404 by Confluent's
// names; over the rate limit requests are 429 with Retry-After, per client.
func TestEndpointsAndRateLimits(t *testing.T) {
	t.Parallel()
	b := fakeBroker(t)
	topic := createTopic(t, b, 1)
	ts := startServer(t, b, map[string]string{
		"api.endpoints.blocklist": "api.v2.brokers.*,api.v2.produce-to-topic.avro",
		"rate.limit.enable":       "true", "rate.limit.per.client.permits.per.sec": "5", "rate.limit.permits.per.sec": "1000",
		"rate.limit.costs": "api.v2.root.get=0",
	})
	if status, body, _ := ts.do(t, "GET", "/brokers", nil, nil); status != 404 || body != `{"error_code":404,"message":"HTTP 404 Not Found"}` {
		t.Errorf("a blocked endpoint: %d %s", status, body)
	}
	if status, _, _ := ts.do(t, "POST", "/topics/"+topic, map[string]string{"Content-Type": "application/vnd.kafka.avro.v2+json"}, []byte(`{}`)); status != 404 {
		t.Errorf("a blocked produce format: %d", status)
	}
	// Blocked requests cost nothing; 5 permits, then 429s.
	counts := map[int]int{}
	for range 8 {
		status, body, hdr := ts.do(t, "GET", "/topics", nil, nil)
		counts[status]++
		if status == 429 && (hdr.Get("Retry-After") != "1" || body != `{"error_code":429,"message":"Request rate limit exceeded: The rate limit of requests per second has been exceeded."}`) {
			t.Errorf("429: %s Retry-After %q", body, hdr.Get("Retry-After"))
		}
	}
	if counts[200] != 5 || counts[429] != 3 {
		t.Errorf("statuses %v, want 5 × 200 then 3 × 429", counts)
	}
	for range 10 {
		if status, _, _ := ts.do(t, "GET", "/", nil, nil); status != 200 {
			t.Fatalf("an exempt endpoint (cost 0) is limited: %d", status)
		}
	}
}

// TestCORS: an allowed origin gets CORS headers, on errors too, and its
// preflight an answer; another origin gets none.
func TestCORS(t *testing.T) {
	t.Parallel()
	b := fakeBroker(t)
	ts := startServer(t, b, map[string]string{"access.control.allow.origin": "https://app.example", "access.control.expose.headers": "Retry-After"})
	for _, path := range []string{"/topics", "/nope"} {
		_, _, hdr := ts.do(t, "GET", path, map[string]string{"Origin": "https://app.example"}, nil)
		if hdr.Get("Access-Control-Allow-Origin") != "https://app.example" || hdr.Get("Access-Control-Expose-Headers") != "Retry-After" || hdr.Get("Access-Control-Allow-Credentials") != "true" {
			t.Errorf("%s: CORS headers %v", path, hdr)
		}
	}
	status, _, hdr := ts.do(t, "OPTIONS", "/topics/t", map[string]string{"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}, nil)
	if status != 204 || hdr.Get("Access-Control-Allow-Methods") == "" {
		t.Errorf("preflight: %d %v", status, hdr)
	}
	_, _, hdr = ts.do(t, "GET", "/topics", map[string]string{"Origin": "https://evil.example"}, nil)
	if hdr.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("another origin got %q", hdr.Get("Access-Control-Allow-Origin"))
	}
}

// dashboard is the part of the shipped Grafana dashboard the tests read.
type dashboard struct {
	Panels []struct {
		Title   string `json:"title"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
}

// readDashboard reads cmd/krest/grafana-dashboard.json, which must have
// panels.
func readDashboard(t *testing.T) dashboard {
	t.Helper()
	data, err := os.ReadFile("../cmd/krest/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash dashboard
	if err := json.Unmarshal(data, &dash); err != nil || len(dash.Panels) == 0 {
		t.Fatalf("the dashboard does not parse: %v", err)
	}
	return dash
}

// TestGrafanaDashboard: the dashboard in cmd/krest parses and uses only
// metric names krest exports.
func TestGrafanaDashboard(t *testing.T) {
	t.Parallel()
	dash := readDashboard(t)
	b := fakeBroker(t)
	_, url := startRegistry(t)
	ts := startServer(t, b, map[string]string{"schema.registry.url": url})
	_, body, _ := ts.do(t, "GET", "/metrics", nil, nil)
	exported := map[string]bool{}
	for _, line := range strings.Split(body, "\n") {
		if name, _, ok := strings.Cut(line, "{"); ok && !strings.Contains(name, " ") {
			exported[name] = true
		} else if name, _, ok := strings.Cut(line, " "); ok && !strings.HasPrefix(line, "#") {
			exported[name] = true
		}
	}
	names := regexp.MustCompile(`\b(krest|go|process)_[a-z_]+\b`)
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			for _, name := range names.FindAllString(tg.Expr, -1) {
				if !exported[name] {
					t.Errorf("panel %q uses %s, which krest does not export", p.Title, name)
				}
			}
		}
	}
}
