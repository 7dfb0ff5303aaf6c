package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/krest-dev/krest/proxy/testenv"
)

// peerSecret is the consumer.forwarding.secret the krests of a test share.
const peerSecret = "test-forwarding-secret-0123456789abcdef"

// haproxyBinary finds Debian's haproxy (also in /usr/sbin, off a user's
// PATH); under CI=true a missing one fails the test (make deps installs it).
func haproxyBinary(t *testing.T) string {
	t.Helper()
	return testenv.Tool(t, "haproxy", "/usr/sbin/haproxy")
}

// startBalancerAt runs HAProxy on addr, round robin per request, in front
// of urls.
func startBalancerAt(t *testing.T, bin string, urls []string, addr string) string {
	t.Helper()
	var servers strings.Builder
	for i, u := range urls {
		fmt.Fprintf(&servers, "  server k%d %s\n", i, strings.TrimPrefix(u, "http://"))
	}
	cfg := fmt.Sprintf(`global
  maxconn 2000
defaults
  mode http
  timeout connect 2s
  timeout client 120s
  timeout server 120s
  option http-keep-alive
  http-reuse always
  option redispatch
  retries 2
frontend krest
  bind %s
  default_backend krests
backend krests
  balance roundrobin
%s`, addr, servers.String())
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-f", path, "-db")
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("haproxy:\n%s", out.String())
		}
	})
	url := "http://" + addr
	for deadline := time.Now().Add(10 * time.Second); ; {
		if resp, err := http.Get(url + "/"); err == nil {
			resp.Body.Close()
			return url
		}
		if time.Now().After(deadline) {
			t.Fatalf("haproxy did not answer:\n%s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// call sends one request through the balancer.
func call(t *testing.T, method, url, contentType, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if method == "GET" {
		req.Header.Set("Accept", "application/vnd.kafka.json.v2+json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	_, _ = bufio.NewReader(resp.Body).WriteTo(&b)
	return resp.StatusCode, b.String()
}

type readRecord struct {
	Partition int32 `json:"partition"`
	Offset    int64 `json:"offset"`
}

// TestScaleOutBehindHAProxy runs three krests behind a round-robin HAProxy:
// consumer instances answer wherever their calls land, a stream too; the
// owner of one instance is killed and its calls answer 404 at once, the
// group's other member takes its partitions, and the instance created
// again resumes from the committed offsets with nothing lost.
func TestScaleOutBehindHAProxy(t *testing.T) {
	seeds := realSeeds(t)
	bin := haproxyBinary(t)
	lbLn, _ := net.Listen("tcp", "127.0.0.1:0")
	lbAddr := lbLn.Addr().String()
	lbLn.Close()
	suffix := strconv.FormatInt(time.Now().UnixNano(), 36)
	var ps []*process
	var urls []string
	for i := range 3 {
		p := startKrest(t, "-bootstrap.servers", seeds, "-o", fmt.Sprintf("id=k%d-%s", i, suffix),
			"-o", "consumer.forwarding.url={self}", "-o", "advertised.listeners=http://"+lbAddr, "-o", "consumer.forwarding.secret="+peerSecret,
			"-o", "consumer.session.timeout.ms=6000", "-o", "consumer.heartbeat.interval.ms=1000")
		p.waitDirectory(t) // the directory is read in the background
		ps = append(ps, p)
		urls = append(urls, p.url)
	}
	_ = startBalancerAt(t, bin, urls, lbAddr)
	lb := "http://" + lbAddr
	topic := "scaleout-" + suffix
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(seeds, ",")...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 4, 1, nil, topic); err != nil {
		t.Fatal(err)
	}
	const v2 = "application/vnd.kafka.v2+json"
	group := "so-" + suffix
	create := func(name string) {
		t.Helper()
		code, body := call(t, "POST", lb+"/consumers/"+group, v2, `{"name":"`+name+`","format":"json","auto.offset.reset":"earliest","auto.commit.enable":"false"}`)
		if code != 200 || !strings.Contains(body, `"base_uri":"`+lb+`/consumers/`+group+`/instances/`+name+`"`) {
			t.Fatalf("create %s: %d %s", name, code, body)
		}
		if code, body := call(t, "POST", lb+"/consumers/"+group+"/instances/"+name+"/subscription", v2, `{"topics":["`+topic+`"]}`); code != 204 {
			t.Fatalf("subscribe %s: %d %s", name, code, body)
		}
	}
	inst := func(name string) string { return lb + "/consumers/" + group + "/instances/" + name }
	create("c1")
	create("c2")
	// Both members hold partitions before anything is produced, so that
	// no rebalance moves records between them mid-read.
	var mu sync.Mutex
	seen := map[readRecord]int{}
	read := func(name string) (int, string) {
		code, body := call(t, "GET", inst(name)+"/records?timeout=300", "", "")
		if code == 200 {
			var recs []readRecord
			if err := json.Unmarshal([]byte(body), &recs); err != nil {
				t.Fatalf("read %s: %s", name, body)
			}
			mu.Lock()
			for _, r := range recs {
				seen[r]++
			}
			mu.Unlock()
			if len(recs) > 0 {
				if code, body := call(t, "POST", inst(name)+"/offsets", v2, ""); code != 200 {
					t.Fatalf("commit %s: %d %s", name, code, body)
				}
			}
		}
		return code, body
	}
	assigned := func(name string) int {
		_, body := call(t, "GET", inst(name)+"/assignments", "", "")
		return strings.Count(body, `"partition"`)
	}
	for deadline := time.Now().Add(60 * time.Second); assigned("c1") == 0 || assigned("c2") == 0; {
		read("c1")
		read("c2")
		if time.Now().After(deadline) {
			t.Fatal("the two instances did not share the partitions within 60 s")
		}
	}
	produce := func(from, n int) {
		t.Helper()
		var recs []string
		for i := from; i < from+n; i++ {
			recs = append(recs, fmt.Sprintf(`{"value":{"i":%d},"partition":%d}`, i, i%4))
		}
		for i := 0; i < len(recs); i += 50 {
			end := min(i+50, len(recs))
			if code, body := call(t, "POST", lb+"/topics/"+topic, "application/vnd.kafka.json.v2+json", `{"records":[`+strings.Join(recs[i:end], ",")+`]}`); code != 200 {
				t.Fatalf("produce through the balancer: %d %s", code, body)
			}
		}
	}
	produce(0, 400)
	for deadline := time.Now().Add(60 * time.Second); len(seen) < 400; {
		read("c1")
		read("c2")
		if time.Now().After(deadline) {
			t.Fatalf("read %d of 400 records", len(seen))
		}
	}
	for r, n := range seen {
		if n != 1 {
			t.Errorf("record %+v read %d times", r, n)
		}
	}
	// Every krest served consumer calls, and forwarded some.
	for i, p := range ps {
		logs := p.stderr.String()
		if !strings.Contains(logs, "route=api.v2.consumers.consume") {
			t.Errorf("krest %d served no read: the balancer did not spread the calls", i)
		}
	}
	// A streamed read through the balancer (another group: all 400).
	if code, body := call(t, "POST", lb+"/consumers/"+group+"-sse", v2, `{"name":"s","format":"json","auto.offset.reset":"earliest"}`); code != 200 {
		t.Fatalf("create the stream's instance: %d %s", code, body)
	}
	if code, body := call(t, "POST", lb+"/consumers/"+group+"-sse/instances/s/subscription", v2, `{"topics":["`+topic+`"]}`); code != 204 {
		t.Fatalf("subscribe: %d %s", code, body)
	}
	req, _ := http.NewRequest("GET", lb+"/consumers/"+group+"-sse/instances/s/records", nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("stream through the balancer: %v", err)
	}
	streamed := 0
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 16<<20)
	for streamed < 400 && sc.Scan() {
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			var recs []readRecord
			if err := json.Unmarshal([]byte(data), &recs); err != nil {
				t.Fatalf("event %q", data)
			}
			streamed += len(recs)
		}
	}
	resp.Body.Close()
	if streamed < 400 {
		t.Fatalf("the stream through the balancer carried %d of 400 records", streamed)
	}

	// Kill -9 the krest that owns c1 (the one that logged the first create).
	owner := -1
	var first time.Time
	for i, p := range ps {
		for _, l := range strings.Split(p.stderr.String(), "\n") {
			if !strings.Contains(l, "route=api.v2.consumers.create") {
				continue
			}
			ts, err := time.Parse(time.RFC3339Nano, strings.TrimPrefix(strings.Fields(l)[0], "time="))
			if err == nil && (owner < 0 || ts.Before(first)) {
				owner, first = i, ts
			}
			break
		}
	}
	if owner < 0 {
		t.Fatal("no krest logged the creation of c1")
	}
	ps[owner].cmd.Process.Kill()
	<-ps[owner].done
	hiccups := 0
	for i := 0; i < 6; i++ {
		start := time.Now()
		code, body := call(t, "GET", inst("c1")+"/records?timeout=300", "", "")
		if code == 502 && strings.Contains(body, "502 Bad Gateway") && hiccups < 2 {
			// HAProxy's own answer when it sent the call on a kept-alive
			// connection to the krest just killed; it does not retry a
			// reused connection. krest never answered it.
			hiccups++
			i--
			continue
		}
		if code != 404 || body != `{"error_code":40403,"message":"Consumer instance not found."}` || time.Since(start) > 2*time.Second {
			t.Fatalf("a call of the dead owner's instance: %d %s after %v", code, body, time.Since(start))
		}
	}
	// c2 takes c1's partitions through Kafka's rebalance.
	produce(400, 100)
	for deadline := time.Now().Add(90 * time.Second); len(seen) < 500; {
		read("c2")
		if time.Now().After(deadline) {
			t.Fatalf("c2 read %d of 500 records after the owner of c1 died", len(seen))
		}
	}
	// c1, created again, resumes from the group's commits: nothing lost.
	create("c1")
	produce(500, 100)
	for deadline := time.Now().Add(90 * time.Second); len(seen) < 600; {
		read("c1")
		read("c2")
		if time.Now().After(deadline) {
			t.Fatalf("read %d of 600 records after c1 came back", len(seen))
		}
	}
	for i := 0; i < 600; i++ {
		if seen[readRecord{Partition: int32(i % 4), Offset: int64(i / 4)}] == 0 {
			t.Errorf("record %d (partition %d offset %d) was never read", i, i%4, i/4)
		}
	}
}

// processCPU is the CPU time a process used so far.
func processCPU(t *testing.T, p *process) time.Duration {
	t.Helper()
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / 100 // USER_HZ
}

// TestScaleOutProduceCPU produces the same records through one krest and
// through three behind the balancer, and compares krest's CPU per million
// records: the produce path is stateless, so spreading it costs nothing
// per record (a two-core machine cannot show the throughput; the README
// argues it from these figures).
func TestScaleOutProduceCPU(t *testing.T) {
	seeds := realSeeds(t)
	bin := haproxyBinary(t)
	var ps []*process
	var urls []string
	for i := range 3 {
		p := startKrest(t, "-bootstrap.servers", seeds, "-o", fmt.Sprintf("id=cpu%d", i), "-o", "consumer.forwarding.url={self}", "-o", "consumer.forwarding.secret="+peerSecret, "-o", "log.access=false")
		p.waitDirectory(t)
		ps = append(ps, p)
		urls = append(urls, p.url)
	}
	lbLn, _ := net.Listen("tcp", "127.0.0.1:0")
	lbAddr := lbLn.Addr().String()
	lbLn.Close()
	lb := startBalancerAt(t, bin, urls, lbAddr)
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(seeds, ",")...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	value := strings.Repeat("QUJD", 256) // 768 bytes of base64: 1 KiB records
	var recs []string
	for range 500 {
		recs = append(recs, `{"value":"`+value+`"}`)
	}
	body := `{"records":[` + strings.Join(recs, ",") + `]}`
	const requests = 200 // 100,000 records
	perMillion := func(base string, who []*process) float64 {
		topic := fmt.Sprintf("scaleout-cpu-%d", time.Now().UnixNano())
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := kadm.NewClient(cl).CreateTopic(ctx, 4, 1, nil, topic); err != nil {
			t.Fatal(err)
		}
		before := time.Duration(0)
		for _, p := range who {
			before += processCPU(t, p)
		}
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for range requests / 4 {
					if code, resp := call(t, "POST", base+"/topics/"+topic, "application/vnd.kafka.binary.v2+json", body); code != 200 {
						t.Errorf("produce: %d %s", code, resp)
						return
					}
				}
			})
		}
		wg.Wait()
		after := time.Duration(0)
		for _, p := range who {
			after += processCPU(t, p)
		}
		return (after - before).Seconds() / float64(requests*500) * 1e6
	}
	lb2Ln, _ := net.Listen("tcp", "127.0.0.1:0")
	lb2Addr := lb2Ln.Addr().String()
	lb2Ln.Close()
	lb2 := startBalancerAt(t, bin, urls[:2], lb2Addr)
	perMillion(lb, ps) // warm every krest up (connections, metadata, JIT of sonic)
	lb1Ln, _ := net.Listen("tcp", "127.0.0.1:0")
	lb1Addr := lb1Ln.Addr().String()
	lb1Ln.Close()
	lb1 := startBalancerAt(t, bin, urls[:1], lb1Addr)
	one := perMillion(lb1, ps[:1])
	two := perMillion(lb2, ps[:2])
	three := perMillion(lb, ps)
	t.Logf("krest CPU per million 1 KiB records behind HAProxy: %.2f s with one krest, %.2f s with two, %.2f s with three", one, two, three)
	if two > 1.5*one+0.3 || three > 1.5*one+0.3 {
		t.Errorf("spread over krests, a million records cost %.2f (two) and %.2f (three) CPU-s against %.2f for one", two, three, one)
	}
}
