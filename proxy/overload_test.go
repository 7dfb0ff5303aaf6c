package proxy

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestProduceOverload fills the produce budget with a request the broker is
// slow to acknowledge and checks that the next request gets 429 after
// producer.max.block.ms instead of queueing without bound, and that the slow
// request still succeeds.
func TestProduceOverload(t *testing.T) {
	t.Parallel()
	b := fakeBroker(t)
	release := make(chan struct{})
	b.fake.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		b.fake.KeepControl()
		<-release // hold produce requests until the test lets go
		return nil, nil, false
	})
	ts := startServer(t, b, map[string]string{
		"producer.buffer.memory": "2000",
		"producer.max.block.ms":  "200",
		// The held produce requests would hold the consumer directory's
		// start-up write too, and kfake with them.
		"consumer.forwarding": "off",
	})
	var releaseOnce sync.Once
	unblock := func() { releaseOnce.Do(func() { close(release) }) }
	t.Cleanup(unblock) // runs before the server's shutdown, even if the test fails early
	topic := createTopic(t, b, 1)
	ct := map[string]string{"Content-Type": "application/vnd.kafka.binary.v2+json"}
	big := []byte(`{"records":[{"value":"` + strings.Repeat("QUJD", 400) + `"}]}`) // 1200 bytes

	first := make(chan string, 1)
	go func() {
		status, body, _ := ts.do(t, "POST", "/topics/"+topic, ct, big)
		first <- fmt.Sprintf("%d %s", status, body)
	}()
	for ts.producer.BudgetUsed() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	start := time.Now()
	status, body, _ := ts.do(t, "POST", "/topics/"+topic, ct, big)
	if status != 429 || !strings.Contains(body, `"error_code":429`) {
		t.Errorf("second request: %d %s, want 429", status, body)
	}
	if waited := time.Since(start); waited < 150*time.Millisecond {
		t.Errorf("429 after %v: producer.max.block.ms not honoured", waited)
	}
	unblock()
	if got := <-first; !strings.HasPrefix(got, "200 ") || !strings.Contains(got, `"offset":0,"error_code":null`) {
		t.Errorf("first request: %s", got)
	}
	if used := ts.producer.BudgetUsed(); used != 0 {
		t.Errorf("budget still holds %d bytes", used)
	}
}
