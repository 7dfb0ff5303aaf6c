package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/krest-dev/krest/proxy/testenv"
)

func TestGatherProps(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "krest.properties")
	os.WriteFile(file, []byte("bootstrap.servers=file:1\nid=from-file\nproducer.linger.ms=7\n"), 0o600)
	props, _, err := gatherProps(file, []string{"KREST_BOOTSTRAP_SERVERS=env:2", "KREST_TEST_BOOTSTRAP=ignored:3", "OTHER=x", "KREST_PRODUCER_ACKS=1",
		"KAFKAREST_OPTS=-Xmx1g -Djava.security.auth.login.config=/etc/kafka-rest/jaas.conf -Dother=1"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"bootstrap.servers": "env:2", "id": "from-file", "producer.linger.ms": "7", "producer.acks": "1",
		"java.security.auth.login.config": "/etc/kafka-rest/jaas.conf"}
	if len(props) != len(want) {
		t.Errorf("props = %v", props)
	}
	for k, v := range want {
		if props[k] != v {
			t.Errorf("%s = %q, want %q", k, props[k], v)
		}
	}
}

// krestBinary builds cmd/krest once per test run.
var krestBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "krest-bin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "krest")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

type process struct {
	cmd    *exec.Cmd
	url    string
	stderr *lockedBuffer
	done   chan error
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startKrest runs the krest binary with args plus a free listener and waits
// until it answers GET /.
func startKrest(t *testing.T, args ...string) *process {
	t.Helper()
	return startKrestWith(t, "", args...)
}

// startKrestWith is startKrest with the file descriptor limit nofile
// (hard and soft) when it is not empty.
func startKrestWith(t *testing.T, nofile string, args ...string) *process {
	t.Helper()
	bin, err := krestBinary()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := &process{url: "http://" + addr, stderr: &lockedBuffer{}, done: make(chan error, 1)}
	for i, a := range args {
		args[i] = strings.ReplaceAll(a, "{self}", p.url) // the process's own URL, for settings that name it
	}
	args = append([]string{"-listeners", p.url, "-dev.schema.registry.listen", "127.0.0.1:0"}, args...)
	if nofile == "" {
		p.cmd = exec.Command(bin, args...)
	} else {
		p.cmd = exec.Command("bash", append([]string{"-c", `ulimit -n "$1" && shift && exec "$@"`, "krest", nofile, bin}, args...)...)
	}
	p.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		if t.Failed() {
			t.Logf("krest stderr:\n%s", p.stderr.String())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(p.url + "/")
		if err == nil {
			resp.Body.Close()
			return p
		}
		select {
		case err := <-p.done:
			t.Fatalf("krest exited during start-up: %v\n%s", err, p.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("krest did not answer within 30s:\n%s", p.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *process) post(t *testing.T, path, contentType, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(p.url+path, contentType, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// waitDirectory waits up to 30 s for the consumer directory to be read
// (krest reads it in the background).
func (p *process) waitDirectory(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, body := p.get(t, "/metrics")
		if strings.Contains(body, "\nkrest_consumer_directory_ready 1\n") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the consumer directory was not read within 30s:\n%s", p.stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (p *process) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(p.url + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// logged reports whether krest's stderr carries s, waiting up to 10 s for
// it: exec copies the pipe into the buffer on a goroutine of its own, so a
// line krest wrote before it answered may not be there yet.
func (p *process) logged(s string) bool {
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if strings.Contains(p.stderr.String(), s) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

// stop sends SIGTERM and requires a clean exit.
func (p *process) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("krest exited with %v after SIGTERM:\n%s", err, p.stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("krest did not exit within 20s of SIGTERM:\n%s", p.stderr.String())
	}
}

// TestDevModeSmoke is `make run` in miniature: no Kafka configured, so krest
// starts its embedded broker; the README's curl examples then work.
func TestDevModeSmoke(t *testing.T) {
	t.Parallel()
	p := startKrest(t)
	if !p.logged("embedded dev Kafka broker") {
		t.Errorf("start-up line does not announce dev mode:\n%s", p.stderr.String())
	}
	status, body := p.post(t, "/topics/smoke", "application/vnd.kafka.json.v2+json", `{"records":[{"value":{"hello":"world"}},{"key":"k","value":42}]}`)
	want := `{"key_schema_id":null,"value_schema_id":null,"offsets":[{"partition":0,"offset":0,"error_code":null,"error":null},{"partition":0,"offset":1,"error_code":null,"error":null}]}`
	if status != 200 || body != want {
		t.Errorf("produce: %d %s\nwant %s", status, body, want)
	}
	if status, body := p.get(t, "/topics"); status != 200 || body != `["smoke"]` {
		t.Errorf("GET /topics: %d %s", status, body)
	}
	if status, body := p.get(t, "/topics/smoke/partitions/0/offsets"); status != 200 || body != `{"beginning_offset":0,"end_offset":2}` {
		t.Errorf("offsets: %d %s", status, body)
	}
	p.stop(t)
}

// realSeeds returns the real broker of make test; without one the test
// skips, or fails under CI=true.
func realSeeds(t *testing.T) string {
	t.Helper()
	return strings.Join(testenv.Broker(t), ",")
}

// TestShutdownDrainsInFlight sends SIGTERM while a produce request is
// waiting for the broker: the request must still be answered with offsets,
// krest must exit 0, and the records must be in Kafka.
func TestShutdownDrainsInFlight(t *testing.T) {
	t.Parallel()
	seeds := realSeeds(t)
	// A long linger keeps the records in the producer when SIGTERM lands.
	p := startKrest(t, "-bootstrap.servers", seeds, "-o", "producer.linger.ms=1500")
	topic := fmt.Sprintf("shutdown-drain-%d", time.Now().UnixNano())
	var records []string
	for i := range 50 {
		records = append(records, fmt.Sprintf(`{"value":{"i":%d}}`, i))
	}
	type result struct {
		status int
		body   string
	}
	res := make(chan result, 1)
	go func() {
		status, body := p.post(t, "/topics/"+topic, "application/vnd.kafka.json.v2+json", `{"records":[`+strings.Join(records, ",")+`]}`)
		res <- result{status, body}
	}()
	time.Sleep(500 * time.Millisecond) // the request is now waiting on the linger
	p.stop(t)
	r := <-res
	var pr struct {
		Offsets []struct {
			Partition *int32 `json:"partition"`
			Offset    *int64 `json:"offset"`
		} `json:"offsets"`
	}
	if err := json.Unmarshal([]byte(r.body), &pr); r.status != 200 || err != nil || len(pr.Offsets) != 50 {
		t.Fatalf("in-flight request during shutdown: %d %s", r.status, r.body)
	}
	for i, o := range pr.Offsets {
		if o.Offset == nil || *o.Offset != int64(i) {
			t.Fatalf("record %d not acknowledged in order: %s", i, r.body)
		}
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(seeds, ",")...), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got := 0
	for got < 50 && ctx.Err() == nil {
		got += len(cl.PollFetches(ctx).Records())
	}
	if got != 50 {
		t.Fatalf("acknowledged 50 records, found %d in Kafka", got)
	}
}

// TestDescriptorExhaustion: with 256 file descriptors, 300 idle
// connections leave krest without any for a while; it keeps running, drops
// them at the header timeout, and serves new requests afterwards.
func TestDescriptorExhaustion(t *testing.T) {
	p := startKrestWith(t, "256", "-o", "request.header.timeout.ms=1500")
	addr := strings.TrimPrefix(p.url, "http://")
	var conns []net.Conn
	for range 300 {
		c, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err != nil {
			break // the kernel's backlog is full: krest is not accepting
		}
		conns = append(conns, c)
	}
	t.Logf("opened %d idle connections", len(conns))
	time.Sleep(3 * time.Second) // past the header timeout
	for _, c := range conns {
		c.Close()
	}
	select {
	case err := <-p.done:
		t.Fatalf("krest exited: %v\n%s", err, p.stderr.String())
	default:
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(p.url + "/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("krest does not serve after the idle connections went: %v\n%s", err, p.stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(p.stderr.String(), "out of resources, retrying") {
		t.Errorf("krest never ran out of descriptors (the test proves nothing):\n%s", p.stderr.String())
	}
}
