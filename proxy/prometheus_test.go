package proxy

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/krest-dev/krest/proxy/testenv"
)

// TestPrometheusScrapes: a real Prometheus server (Debian's package; make
// test installs it) scrapes krest, and its HTTP API returns krest's
// produce counter.
func TestPrometheusScrapes(t *testing.T) {
	t.Parallel()
	bin := prometheusBinary(t)
	b := fakeBroker(t)
	ts := startServer(t, b, nil)
	topic := createTopic(t, b, 1)
	if status, body, _ := ts.do(t, "POST", "/topics/"+topic, map[string]string{"Content-Type": "application/vnd.kafka.binary.v2+json"},
		[]byte(`{"records":[{"value":"YQ=="},{"value":"Yg=="},{"value":"Yw=="}]}`)); status != 200 {
		t.Fatalf("produce: %d %s", status, body)
	}
	web := startPrometheus(t, bin, strings.TrimPrefix(ts.url, "http://"))
	query := "http://" + web + "/api/v1/query?query=" + url.QueryEscape(fmt.Sprintf(`krest_produce_records_total{topic=%q}`, topic))
	deadline := time.Now().Add(60 * time.Second)
	for {
		if v, ok := promValue(query); ok && v == "3" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Prometheus never returned krest_produce_records_total = 3 for %s", topic)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// prometheusBinary is Debian's prometheus; under CI=true its absence
// fails the test.
func prometheusBinary(t *testing.T) string {
	t.Helper()
	return testenv.Tool(t, "prometheus")
}

// startPrometheus starts a Prometheus server scraping target every second
// and returns the address of its HTTP API.
func startPrometheus(t *testing.T, bin, target string) string {
	t.Helper()
	dir := t.TempDir()
	conf := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(conf, []byte("global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: krest\n    static_configs:\n      - targets: ['"+target+"']\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	web := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "--config.file="+conf, "--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+web)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("prometheus:\n%s", out.String())
		}
	})
	return web
}

// promSeries runs an instant query and returns how many series it gave.
func promSeries(web, expr string) (int, error) {
	resp, err := http.Get("http://" + web + "/api/v1/query?query=" + url.QueryEscape(expr))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if resp.StatusCode == http.StatusServiceUnavailable {
		return 0, &url.Error{Op: "GET", URL: resp.Request.URL.String(), Err: errors.New("Prometheus is starting")}
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return 0, fmt.Errorf("query %q: %d, %v", expr, resp.StatusCode, err)
	}
	if r.Status != "success" {
		return 0, fmt.Errorf("query %q: %s", expr, r.Error)
	}
	return len(r.Data.Result), nil
}

// TestDashboardQueries: with a real Prometheus scraping a krest that has
// served produce, consume, v3 and error traffic, every panel query of the
// shipped Grafana dashboard (cmd/krest/grafana-dashboard.json) returns
// data: a dashboard whose queries come back empty is caught here.
func TestDashboardQueries(t *testing.T) {
	t.Parallel()
	bin := prometheusBinary(t)
	dash := readDashboard(t)
	b := fakeBroker(t)
	_, registry := startRegistry(t)
	ts := startServer(t, b, map[string]string{"schema.registry.url": registry})
	web := startPrometheus(t, bin, strings.TrimPrefix(ts.url, "http://"))
	topic := createTopic(t, b, 1)
	avroTopic := topic + "-avro"
	traffic := func() {
		produceJSON(t, ts, topic, 0, 3)
		ts.do(t, "POST", "/topics/"+avroTopic, map[string]string{"Content-Type": "application/vnd.kafka.avro.v2+json"},
			[]byte(`{"value_schema":"{\"type\":\"string\"}","records":[{"value":"a"}]}`))
		ts.do(t, "GET", "/v3/clusters", nil, nil)
		ts.do(t, "GET", "/no/such/path", nil, nil)
	}
	traffic()
	c := newRESTConsumer(t, ts, "dash-"+topic, `{"format":"json","auto.offset.reset":"earliest"}`)
	c.mustCall(t, "POST", "/subscription", `{"topics":["`+topic+`"]}`, 204)
	eventually(t, 30*time.Second, "records consumed", func() bool {
		return len(c.records(t, "timeout=500", "application/vnd.kafka.json.v2+json")) > 0
	})
	pending := map[string]string{} // expr → panel
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			pending[tg.Expr] = p.Title
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for len(pending) > 0 && time.Now().Before(deadline) {
		traffic() // rates need requests between two scrapes
		for expr := range pending {
			n, err := promSeries(web, expr)
			var transport *url.Error
			if errors.As(err, &transport) {
				break // Prometheus is not listening, or not ready, yet
			}
			if err != nil {
				t.Fatalf("panel %q: %v", pending[expr], err)
			}
			if n > 0 {
				delete(pending, expr)
			}
		}
		time.Sleep(time.Second)
	}
	for expr, panel := range pending {
		t.Errorf("panel %q: %s returned no data", panel, expr)
	}
}

// promValue runs an instant query and returns the first sample's value.
func promValue(query string) (string, bool) {
	resp, err := http.Get(query)
	if err != nil {
		return "", false
	}
	defer resp.Body.Close()
	var r struct {
		Data struct {
			Result []struct {
				Value []any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if json.NewDecoder(resp.Body).Decode(&r) != nil || len(r.Data.Result) == 0 || len(r.Data.Result[0].Value) != 2 {
		return "", false
	}
	v, ok := r.Data.Result[0].Value[1].(string)
	return v, ok
}
