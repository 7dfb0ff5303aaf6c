package proxy

import (
	"encoding/json"
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
)

// TestPrometheusScrapes: a real Prometheus server (Debian's package; make
// test installs it) scrapes krest, and its HTTP API returns krest's
// produce counter.
func TestPrometheusScrapes(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("prometheus is not installed: make test installs Debian's package")
		}
		t.Skip("prometheus is not installed (apt-get install prometheus; make test does)")
	}
	b := fakeBroker(t)
	ts := startServer(t, b, nil)
	topic := createTopic(t, b, 1)
	if status, body, _ := ts.do(t, "POST", "/topics/"+topic, map[string]string{"Content-Type": "application/vnd.kafka.binary.v2+json"},
		[]byte(`{"records":[{"value":"YQ=="},{"value":"Yg=="},{"value":"Yw=="}]}`)); status != 200 {
		t.Fatalf("produce: %d %s", status, body)
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "prometheus.yml")
	target := strings.TrimPrefix(ts.url, "http://")
	os.WriteFile(conf, []byte("global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: krest\n    static_configs:\n      - targets: ['"+target+"']\n"), 0o600)
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
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	query := "http://" + web + "/api/v1/query?query=" + url.QueryEscape(fmt.Sprintf(`krest_produce_records_total{topic=%q}`, topic))
	deadline := time.Now().Add(60 * time.Second)
	for {
		if v, ok := promValue(query); ok && v == "3" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Prometheus never returned krest_produce_records_total = 3 for %s:\n%s", topic, out.String())
		}
		time.Sleep(500 * time.Millisecond)
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
