package proxy

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/krest-dev/krest/proxy/testenv"
	"github.com/krest-dev/krest/proxy/tracing"
)

// jaegerBinary is Jaeger built from its Go module by .ci/tracing/jaeger.sh
// (make deps runs it; here it only prints the path once built).
func jaegerBinary(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("../.ci/tracing/jaeger.sh").Output()
	path := strings.TrimSpace(string(out))
	testenv.Require(t, "Jaeger (.ci/tracing/jaeger.sh builds it; make deps runs it)", err == nil && path != "")
	return path
}

// freeAddrs returns n loopback addresses with free ports.
func freeAddrs(t *testing.T, n int) []string {
	var addrs []string
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addrs = append(addrs, ln.Addr().String())
		ln.Close()
	}
	return addrs
}

// startJaeger runs Jaeger with OTLP/HTTP on otlp and its query API on
// query, keeping traces in memory, until the test ends.
func startJaeger(t *testing.T, otlp, query, queryGRPC string) {
	bin := jaegerBinary(t)
	cfg := fmt.Sprintf(`service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
extensions:
  jaeger_query:
    storage:
      traces: mem
    http:
      endpoint: %s
    grpc:
      endpoint: %s
  jaeger_storage:
    backends:
      mem:
        memory:
          max_traces: 1000
receivers:
  otlp:
    protocols:
      http:
        endpoint: %s
processors:
  batch:
    timeout: 100ms
exporters:
  jaeger_storage_exporter:
    trace_storage: mem
`, query, queryGRPC, otlp)
	file := filepath.Join(t.TempDir(), "jaeger.yaml")
	if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config", file)
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + query + "/api/services")
		if err == nil {
			resp.Body.Close()
			if c, err := net.Dial("tcp", otlp); err == nil {
				c.Close()
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("Jaeger did not start:\n%s", logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// jaegerTrace is a trace as Jaeger's query API gives it.
type jaegerTrace struct {
	TraceID string `json:"traceID"`
	Spans   []struct {
		TraceID       string `json:"traceID"`
		SpanID        string `json:"spanID"`
		OperationName string `json:"operationName"`
		References    []struct {
			RefType string `json:"refType"`
			TraceID string `json:"traceID"`
			SpanID  string `json:"spanID"`
		} `json:"references"`
	} `json:"spans"`
}

// jaegerGet polls Jaeger's query API at path until f finds what it looks
// for in the traces (Jaeger stores what it receives in batches).
func jaegerGet(t *testing.T, query, path string, f func([]jaegerTrace) bool) []jaegerTrace {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var got struct {
			Data []jaegerTrace `json:"data"`
		}
		resp, err := http.Get("http://" + query + path)
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&got)
			resp.Body.Close()
		}
		if err == nil && f(got.Data) {
			return got.Data
		}
		if time.Now().After(deadline) {
			t.Fatalf("Jaeger %s: %v %+v", path, err, got.Data)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestTracingJaeger: end to end against a real OTLP receiver. A client
// produces through krest with a traceparent and consumes through krest
// without one; Jaeger then holds the produce span in the client's trace
// (the child of the client's span), the records carry that span's context
// in their traceparent header, and the read's span, in a trace of its
// own, follows from the produce span.
func TestTracingJaeger(t *testing.T) {
	b := realBroker(t)
	addrs := freeAddrs(t, 3)
	otlp, query := addrs[0], addrs[1]
	startJaeger(t, otlp, query, addrs[2])
	ts := startServer(t, b, map[string]string{"otel.exporter.otlp.endpoint": "http://" + otlp, "otel.service.name": "krest-e2e"})
	topic := createTopic(t, b, 1)
	const traceID, parent = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
	h := map[string]string{"Content-Type": "application/vnd.kafka.binary.v2+json", "traceparent": "00-" + traceID + "-" + parent + "-01"}
	if status, body, _ := ts.do(t, "POST", "/topics/"+topic, h, []byte(`{"records":[{"value":"eA=="},{"value":"eQ=="}]}`)); status != 200 {
		t.Fatalf("produce: %d %s", status, body)
	}
	cluster := clusterIDOf(t, ts)
	if status, body, _ := ts.do(t, "GET", "/v3/clusters/"+cluster+"/topics/"+topic+"/partitions/0/records?offset=0", nil, nil); status != 200 || !strings.Contains(body, `"traceparent"`) {
		t.Fatalf("read: %d %s", status, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ts.tracer.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	// The produce span, in the client's trace, the child of its span.
	var produceSpan string
	jaegerGet(t, query, "/api/traces/"+traceID, func(ts []jaegerTrace) bool {
		for _, tr := range ts {
			for _, sp := range tr.Spans {
				if sp.OperationName != "api.v2.produce-to-topic" {
					continue
				}
				for _, r := range sp.References {
					if r.RefType == "CHILD_OF" && r.SpanID == parent && r.TraceID == traceID {
						produceSpan = sp.SpanID
					}
				}
			}
		}
		return produceSpan != ""
	})

	// The records carry it.
	for i, r := range consumeAll(t, b, topic, 2) {
		want := "00-" + traceID + "-" + produceSpan + "-01"
		got := ""
		for _, hd := range r.Headers {
			if hd.Key == tracing.HeaderTraceParent {
				got = string(hd.Value)
			}
		}
		if got != want {
			t.Errorf("record %d: traceparent %q, want %q", i, got, want)
		}
	}

	// The read's span follows from it.
	jaegerGet(t, query, "/api/traces?service=krest-e2e&operation=api.v3.records.read&limit=5", func(ts []jaegerTrace) bool {
		for _, tr := range ts {
			for _, sp := range tr.Spans {
				for _, r := range sp.References {
					if sp.OperationName == "api.v3.records.read" && r.TraceID == traceID && r.SpanID == produceSpan && tr.TraceID != traceID {
						return true
					}
				}
			}
		}
		return false
	})
}
