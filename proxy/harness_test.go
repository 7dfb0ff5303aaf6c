package proxy

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/krest-dev/krest/proxy/config"
	"github.com/krest-dev/krest/proxy/testenv"
)

// backend is a Kafka cluster a test runs against.
type backend struct {
	name  string
	seeds []string
	fake  *kfake.Cluster // nil for the real broker
}

// realBroker returns the real broker, skipping the test when there is none;
// under CI=true a missing broker fails the test instead.
func realBroker(t *testing.T) backend {
	t.Helper()
	return backend{name: "kafka", seeds: testenv.Broker(t)}
}

// fakeBroker starts an in-process kfake cluster for the fast test layer.
func fakeBroker(t testing.TB, opts ...kfake.Opt) backend {
	t.Helper()
	opts = append([]kfake.Opt{kfake.NumBrokers(1), kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(1)}, opts...)
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return backend{name: "kfake", seeds: c.ListenAddrs(), fake: c}
}

// eachBackend runs f against kfake and against the real broker.
func eachBackend(t *testing.T, f func(t *testing.T, b backend)) {
	t.Run("kfake", func(t *testing.T) { f(t, fakeBroker(t)) })
	t.Run("kafka", func(t *testing.T) { f(t, realBroker(t)) })
}

// testServer is a krest instance serving on a loopback port.
type testServer struct {
	*Server
	url string
}

func startServer(t *testing.T, b backend, props map[string]string) *testServer {
	t.Helper()
	all := map[string]string{"bootstrap.servers": strings.Join(b.seeds, ","), "listeners": "http://127.0.0.1:0"}
	for k, v := range props {
		all[k] = v
	}
	return startServerWithLog(t, all, nil)
}

// startServerWithLog starts krest with exactly props, logging to log.
func startServerWithLog(t testing.TB, props map[string]string, log *slog.Logger) *testServer {
	t.Helper()
	cfg, err := config.Parse(props)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln) //nolint:errcheck // returns on Shutdown
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return &testServer{Server: s, url: "http://" + ln.Addr().String()}
}

// do sends one request and returns status, body and the response headers.
func (ts *testServer) do(t *testing.T, method, path string, headers map[string]string, body []byte) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, ts.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(out), resp.Header
}

// adminFor returns a plain franz-go admin client on b.
func adminFor(t *testing.T, b backend) *kadm.Client {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.seeds...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return kadm.NewClient(cl)
}

// createTopic creates a uniquely named topic with the given partitions.
func createTopic(t *testing.T, b backend, partitions int32) string {
	t.Helper()
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '-'
	}, t.Name()) + "-" + time.Now().Format("150405.000000")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := adminFor(t, b).CreateTopic(ctx, partitions, 1, nil, name)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("create topic %s: %v", name, err)
	}
	return name
}

// consumeAll reads every record of topic from the start with a plain
// franz-go consumer until want records have arrived.
func consumeAll(t *testing.T, b backend, topic string, want int) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.seeds...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.MetadataMinAge(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out []*kgo.Record
	for len(out) < want {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consumed %d of %d records of %s: %v", len(out), want, topic, err)
		}
		fs.EachError(func(_ string, _ int32, err error) { t.Logf("fetch error: %v", err) })
		out = append(out, fs.Records()...)
	}
	return out
}
