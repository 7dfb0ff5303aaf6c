package proxy

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/krest-dev/krest/proxy/config"
)

// peerSecret is the consumer.forwarding.secret the peers of a test share.
const peerSecret = "test-forwarding-secret-0123456789abcdef"

// startPeer starts krest with id on its own loopback port, reachable by
// its peers at that port.
func startPeer(t *testing.T, b backend, id string, props map[string]string) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	all := map[string]string{"bootstrap.servers": strings.Join(b.seeds, ","), "listeners": "http://" + ln.Addr().String(),
		"id": id, "consumer.forwarding.url": "http://" + ln.Addr().String(), "consumer.forwarding.secret": peerSecret}
	for k, v := range props {
		all[k] = v
	}
	cfg, err := config.Parse(all)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.dir.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln) //nolint:errcheck // returns on Shutdown
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
	})
	return &testServer{Server: s, url: "http://" + ln.Addr().String()}
}

// TestForwarding: an instance created on one krest is served by another,
// every call of it, a stream included, and deleted through it; a name
// another krest holds is 409 anywhere; a forged forwarding header is 403.
func TestForwarding(t *testing.T) {
	b := realBroker(t)
	suffix := time.Now().Format("150405.000000")
	a := startPeer(t, b, "a-"+suffix, nil)
	bb := startPeer(t, b, "b-"+suffix, nil)
	topic := createTopic(t, b, 1)
	group := "fw-" + topic
	owner := newRESTConsumer(t, a, group, `{"name":"i","format":"json","auto.offset.reset":"earliest"}`)
	// The same instance, through the other krest.
	via := &restConsumer{ts: bb, group: group, name: "i"}
	via.mustCall(t, "POST", "/subscription", `{"topics":["`+topic+`"]}`, 204)
	if got := via.mustCall(t, "GET", "/subscription", "", 200); got != `{"topics":["`+topic+`"]}` {
		t.Errorf("subscription through the peer: %s", got)
	}
	produceJSON(t, bb, topic, 0, 3)
	var got []consumerRecordJSON
	eventually(t, 30*time.Second, "records through the peer", func() bool {
		got = append(got, via.records(t, "?timeout=500", "application/vnd.kafka.json.v2+json")...)
		return len(got) >= 3
	})
	if len(got) != 3 || string(got[2].Value) != `{"n":2}` {
		t.Fatalf("records through the peer: %+v", got)
	}
	via.mustCall(t, "POST", "/offsets", "", 200)
	// A stream through the peer.
	lines, _, stop := openStream(t, via, "text/event-stream")
	produceJSON(t, a, topic, 3, 2)
	if recs := sseRecords(t, lines, 2); recs[0].Offset != 3 || recs[1].Offset != 4 {
		t.Fatalf("stream through the peer: %+v", recs)
	}
	stop()
	// The name is taken, wherever it is asked for.
	status, body, _ := bb.do(t, "POST", "/consumers/"+group, map[string]string{"Content-Type": kafkaV2}, []byte(`{"name":"i","format":"json"}`))
	if status != 409 {
		t.Errorf("duplicate through the peer: %d %s", status, body)
	}
	// A request that claims to be forwarded, unsigned.
	status, body, _ = bb.do(t, "GET", via.path("/subscription"), map[string]string{"X-Krest-Forwarded": "a 1 x"}, nil)
	if status != 403 {
		t.Errorf("forged forwarding header: %d %s", status, body)
	}
	time.Sleep(time.Second) // the stream's end reaches the owner
	via.mustCall(t, "DELETE", "", "", 204)
	if status, _ := owner.call(t, "GET", "/subscription", ""); status != 404 {
		t.Errorf("the instance outlived its delete on the owner: %d", status)
	}
	eventually(t, 10*time.Second, "the directory forgets the instance", func() bool {
		status, body := via.call(t, "GET", "/subscription", "")
		return status == 404 && body == `{"error_code":40403,"message":"Consumer instance not found."}`
	})
}
