package proxy

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestConsumerPatternHeadersTimestamps subscribes by topic_pattern and checks
// krest's additive record fields: timestamp and headers.
func TestConsumerPatternHeadersTimestamps(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		ts := startServer(t, b, nil)
		topic := createTopic(t, b, 1)
		ct := map[string]string{"Content-Type": "application/vnd.kafka.json.v2+json"}
		body := `{"records":[{"key":{"id":1},"value":{"n":1},"timestamp":1700000000123,"headers":[{"name":"h","value":"` + b64("hv") + `"},{"name":"nil","value":null}]}]}`
		if status, resp, _ := ts.do(t, "POST", "/topics/"+topic, ct, []byte(body)); status != 200 {
			t.Fatalf("produce: %d %s", status, resp)
		}
		c := newRESTConsumer(t, ts, "pattern-"+topic, `{"format":"json","auto.offset.reset":"earliest"}`)
		pattern := strings.ReplaceAll(topic, ".", `\\.`)
		c.mustCall(t, "POST", "/subscription", `{"topic_pattern":"`+pattern+`"}`, 204)
		var got string
		eventually(t, 30*time.Second, "the record", func() bool {
			status, resp, _ := ts.do(t, "GET", c.path("/records?timeout=500"), map[string]string{"Accept": "application/vnd.kafka.json.v2+json"}, nil)
			if status != 200 {
				t.Fatalf("read: %d %s", status, resp)
			}
			got = resp
			return resp != "[]"
		})
		want := fmt.Sprintf(`[{"topic":"%s","key":{"id":1},"value":{"n":1},"partition":0,"offset":0,"timestamp":1700000000123,"headers":[{"name":"h","value":"%s"},{"name":"nil","value":null}]}]`, topic, b64("hv"))
		if got != want {
			t.Errorf("read:\n%s\nwant\n%s", got, want)
		}
		if sub := c.mustCall(t, "GET", "/subscription", "", 200); sub != `{"topics":["`+topic+`"]}` {
			t.Errorf("pattern subscription: %s", sub)
		}
		c.mustCall(t, "DELETE", "/subscription", "", 204)
		if sub := c.mustCall(t, "GET", "/subscription", "", 200); sub != `{"topics":[]}` {
			t.Errorf("after unsubscribe: %s", sub)
		}
	})
}

// TestConsumerFetchMinBytes: with fetch.min.bytes set, a read holds out for
// that much data (or its timeout) instead of answering with the first record.
func TestConsumerFetchMinBytes(t *testing.T) {
	t.Parallel()
	b := fakeBroker(t)
	ts := startServer(t, b, nil)
	topic := createTopic(t, b, 1)
	produceValues(t, b, topic, 1, "0123456789")
	c := newRESTConsumer(t, ts, "minbytes-"+topic, `{"format":"binary","auto.offset.reset":"earliest","fetch.min.bytes":25,"consumer.request.timeout.ms":3000}`)
	c.mustCall(t, "POST", "/assignments", `{"partitions":[{"topic":"`+topic+`","partition":0}]}`, 204)
	go func() {
		time.Sleep(700 * time.Millisecond)
		produceValues(t, b, topic, 1, "0123456789", "0123456789")
	}()
	start := time.Now()
	recs := c.records(t, "", kafkaV2)
	took := time.Since(start)
	if len(recs) != 3 {
		t.Errorf("read %d records, want the 3 that reach fetch.min.bytes", len(recs))
	}
	if took < 600*time.Millisecond || took > 2500*time.Millisecond {
		t.Errorf("read took %v: want it to wait for the later records, not for the 3 s timeout", took)
	}
}

// TestConsumerAutoCommitDeliveredOnly: auto-commit (here the final one, when
// the instance is deleted) covers the records delivered over HTTP and not
// those still buffered in krest (Confluent's proxy loses data this way).
func TestConsumerAutoCommitDeliveredOnly(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		ts := startServer(t, b, nil)
		topic := createTopic(t, b, 1)
		group := "autocommit-" + topic
		produceValues(t, b, topic, 1, values("a", 10)...)
		c := newRESTConsumer(t, ts, group, `{"format":"binary","auto.offset.reset":"earliest","auto.commit.enable":"true"}`)
		c.mustCall(t, "POST", "/subscription", `{"topics":["`+topic+`"]}`, 204)
		var got []consumerRecordJSON
		eventually(t, 30*time.Second, "records", func() bool {
			got = append(got, c.records(t, "timeout=500&max_bytes=15", kafkaV2)...)
			return len(got) > 0
		})
		if len(got) != 3 {
			t.Fatalf("read %d records, want 3", len(got))
		}
		c.mustCall(t, "DELETE", "", "", 204)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		offs, err := adminFor(t, b).FetchOffsets(ctx, group)
		if err != nil {
			t.Fatal(err)
		}
		if o, ok := offs.Lookup(topic, 0); !ok || o.At != 3 {
			t.Errorf("auto-committed offset %+v, want 3: only delivered records count", o)
		}
	})
}

// TestConsumerBaseURI: base_uri prefers advertised.listeners, then
// host.name with the listener port, then the request's Host.
func TestConsumerBaseURI(t *testing.T) {
	t.Parallel()
	b := fakeBroker(t)
	for _, tc := range []struct {
		props map[string]string
		want  string // "" = the request's host
	}{
		{map[string]string{"advertised.listeners": "http://proxy.example.com:9000"}, "http://proxy.example.com:9000"},
		{map[string]string{"host.name": "krest-7"}, "http://krest-7:0"},
		{nil, ""},
	} {
		// Three krests on one cluster: each keeps its instance to itself
		// (the same name in one group would otherwise be taken).
		props := map[string]string{"consumer.forwarding": "off"}
		for k, v := range tc.props {
			props[k] = v
		}
		ts := startServer(t, b, props)
		c := newRESTConsumer(t, ts, "uri group", `{"name":"n 1"}`)
		want := tc.want
		if want == "" {
			want = ts.url
		}
		if want += "/consumers/uri%20group/instances/n%201"; c.baseURI != want {
			t.Errorf("%v: base_uri %s, want %s", tc.props, c.baseURI, want)
		}
	}
}

// TestConsumerV1MultiTopicBounded: a v1 consumer subscribed to two topics
// that reads only one of them neither stalls nor buffers the other without
// bound, and the other topic's records are all still there when it is read.
func TestConsumerV1MultiTopicBounded(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		ts := startServer(t, b, map[string]string{"consumer.buffer.max.records": "5"})
		a, other := createTopic(t, b, 1), createTopic(t, b, 1)
		produceValues(t, b, other, 1, values("o", 50)...)
		c := newRESTConsumer(t, ts, "multi-"+a, `{"format":"binary","auto.offset.reset":"earliest","auto.commit.enable":"false"}`)
		accept := map[string]string{"Accept": "application/vnd.kafka.binary.v1+json"}
		read := func(topic string) []consumerRecordJSON {
			status, body, _ := ts.do(t, "GET", c.path("/topics/"+topic+"?timeout=300"), accept, nil)
			var recs []consumerRecordJSON
			if err := json.Unmarshal([]byte(body), &recs); status != 200 || err != nil {
				t.Fatalf("v1 read of %s: %d %s", topic, status, body)
			}
			return recs
		}
		var gotOther []consumerRecordJSON
		eventually(t, 30*time.Second, "a first record of the other topic", func() bool {
			gotOther = append(gotOther, read(other)...)
			return len(gotOther) > 0
		})
		produceValues(t, b, a, 1, values("a", 3)...)
		var gotA []consumerRecordJSON
		eventually(t, 30*time.Second, "the three records of the read topic", func() bool {
			gotA = append(gotA, read(a)...)
			inst, err := ts.consumers.Use("multi-"+a, c.name, "")
			if err != nil {
				t.Fatal(err)
			}
			n := inst.Buffered()
			inst.Release()
			if n > 5 {
				t.Fatalf("instance buffers %d records, over consumer.buffer.max.records=5", n)
			}
			return len(gotA) >= 3
		})
		// Adding the second topic re-subscribed the instance; with nothing
		// committed it starts the other topic over, so count distinct offsets.
		seen := map[int64]bool{}
		eventually(t, 30*time.Second, "every record of the other topic", func() bool {
			for _, r := range read(other) {
				seen[r.Offset] = true
			}
			for _, r := range gotOther {
				seen[r.Offset] = true
			}
			return len(seen) >= 50
		})
		if len(gotA) != 3 || len(seen) != 50 {
			t.Errorf("read %d records of the read topic (want 3) and %d distinct of the other (want 50)", len(gotA), len(seen))
		}
	})
}

// TestConsumerAssignmentStrategy: instances balance with the Java
// consumer's default assignors (range first, as Confluent's proxy does, not
// franz-go's cooperative-sticky), and consumer.partition.assignment.strategy
// changes that.
func TestConsumerAssignmentStrategy(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		for _, tc := range []struct {
			strategy, want string
		}{
			{"", "range"},
			{"org.apache.kafka.clients.consumer.CooperativeStickyAssignor", "cooperative-sticky"},
			{"roundrobin, range", "roundrobin"},
		} {
			props := map[string]string{}
			if tc.strategy != "" {
				props["consumer.partition.assignment.strategy"] = tc.strategy
			}
			ts := startServer(t, b, props)
			topic := createTopic(t, b, 2)
			group := "assignor-" + topic
			c := newRESTConsumer(t, ts, group, `{"format":"binary"}`)
			c.mustCall(t, "POST", "/subscription", `{"topics":["`+topic+`"]}`, 204)
			eventually(t, 30*time.Second, "an assignment", func() bool {
				c.records(t, "timeout=100", kafkaV2)
				return len(c.assignment(t)) == 2
			})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			described, err := adminFor(t, b).DescribeGroups(ctx, group)
			cancel()
			if err != nil {
				t.Fatal(err)
			}
			if got := described[group].Protocol; got != tc.want {
				t.Errorf("strategy %q: group protocol %q, want %q", tc.strategy, got, tc.want)
			}
		}
	})
}
