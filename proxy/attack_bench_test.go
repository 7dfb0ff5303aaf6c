package proxy

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// BenchmarkLoginDuringGuessing measures what a password-guessing flood
// does to a valid user with the default failure limit: her median latency
// (GET /topics, Basic, a bcrypt user at cost 10) alone and while 8
// connections from another address guess as fast as krest answers, their
// ratio (target: under 2), and the guesses that reached a hash per second.
// The same connections sending GET /-/healthy (no authentication at all)
// give the floor: what any flood of requests costs her on these cores,
// with the load generator in the same process; flood/http-flood is what
// the guessing adds to it.
// Run: go test -run '^$' -bench LoginDuringGuessing ./proxy
func BenchmarkLoginDuringGuessing(b *testing.B) {
	b.Run("limit=default", func(b *testing.B) { benchLoginDuringGuessing(b, nil) })
	b.Run("limit=off", func(b *testing.B) {
		benchLoginDuringGuessing(b, map[string]string{"authentication.failure.limit.per.sec": "0"})
	})
}

func benchLoginDuringGuessing(b *testing.B, extra map[string]string) {
	dir := b.TempDir()
	hash, err := bcrypt.GenerateFromPassword([]byte("alice-secret"), bcrypt.DefaultCost)
	if err != nil {
		b.Fatal(err)
	}
	passwords := filepath.Join(dir, "password.properties")
	jaas := filepath.Join(dir, "jaas.conf")
	if err := os.WriteFile(passwords, []byte("alice: "+string(hash)+",admin\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(jaas, []byte("KafkaRest {\n  org.eclipse.jetty.jaas.spi.PropertyFileLoginModule required file=\""+passwords+"\";\n};\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	bk := fakeBroker(b)
	props := map[string]string{
		"bootstrap.servers": strings.Join(bk.seeds, ","), "listeners": "http://127.0.0.1:0",
		"authentication.method": "BASIC", "java.security.auth.login.config": jaas, "log.access": "false",
	}
	for k, v := range extra {
		props[k] = v
	}
	ts := startServerWithLog(b, props, nil)
	from := func(ip string) *http.Client {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
		return &http.Client{Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 16}}
	}
	alice, attacker := from("127.0.0.1"), from("127.0.0.2")
	login := func(c *http.Client, user, pass string) (int, time.Duration) { // alice's requests
		req, _ := http.NewRequest("GET", ts.url+"/topics", nil)
		req.SetBasicAuth(user, pass)
		start := time.Now()
		resp, err := c.Do(req)
		if err != nil {
			return 0, 0
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, time.Since(start)
	}
	p50 := func(n int) time.Duration {
		var ds []time.Duration
		for range n {
			if status, d := login(alice, "alice", "alice-secret"); status == 200 {
				ds = append(ds, d)
			}
		}
		slices.Sort(ds)
		if len(ds) == 0 {
			b.Fatal("alice was never let in")
		}
		return ds[len(ds)/2]
	}
	b.ResetTimer()
	var idle, flooded, floor time.Duration
	var hashed, refused atomic.Int64
	var elapsed time.Duration
	flood := func(path, user string, measure func()) {
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		start := time.Now()
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					req, _ := http.NewRequest("GET", ts.url+path, nil)
					if user != "" {
						req.SetBasicAuth(user, "guess")
					}
					resp, err := attacker.Do(req)
					if err != nil {
						continue
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if user == "" {
						continue
					}
					switch resp.StatusCode {
					case 401:
						hashed.Add(1)
					case 429:
						refused.Add(1)
					}
				}
			}()
		}
		time.Sleep(200 * time.Millisecond)
		measure()
		cancel()
		wg.Wait()
		if user != "" {
			elapsed += time.Since(start)
		}
	}
	for range b.N {
		idle = p50(200)
		flood("/-/healthy", "", func() { floor = p50(200) })
		flood("/topics", "alice", func() { flooded = p50(200) })
	}
	b.ReportMetric(float64(floor.Microseconds()), "http-flood-p50-µs")
	b.ReportMetric(float64(flooded)/float64(floor), "flood/http-flood")
	b.ReportMetric(float64(idle.Microseconds()), "idle-p50-µs")
	b.ReportMetric(float64(flooded.Microseconds()), "flood-p50-µs")
	b.ReportMetric(float64(flooded)/float64(idle), "flood/idle")
	b.ReportMetric(float64(hashed.Load())/elapsed.Seconds(), "hashed-guesses/s")
	b.ReportMetric(float64(refused.Load())/elapsed.Seconds(), "refused-guesses/s")
}
