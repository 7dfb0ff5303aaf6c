package proxy

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

const kafkaV2 = "application/vnd.kafka.v2+json"

// consumerRecordJSON is a record as the records endpoints render it.
type consumerRecordJSON struct {
	Topic     string          `json:"topic"`
	Key       json.RawMessage `json:"key"`
	Value     json.RawMessage `json:"value"`
	Partition int32           `json:"partition"`
	Offset    int64           `json:"offset"`
	Timestamp int64           `json:"timestamp"`
	Headers   []struct {
		Name  string  `json:"name"`
		Value *string `json:"value"`
	} `json:"headers"`
}

// restConsumer drives one consumer instance over HTTP.
type restConsumer struct {
	ts      *testServer
	group   string
	name    string
	baseURI string
}

func newRESTConsumer(t *testing.T, ts *testServer, group string, settings string) *restConsumer {
	t.Helper()
	status, body, _ := ts.do(t, "POST", "/consumers/"+group, map[string]string{"Content-Type": kafkaV2}, []byte(settings))
	if status != 200 {
		t.Fatalf("create consumer: %d %s", status, body)
	}
	var resp struct {
		InstanceID string `json:"instance_id"`
		BaseURI    string `json:"base_uri"`
	}
	if err := json.Unmarshal([]byte(body), &resp); err != nil {
		t.Fatal(err)
	}
	return &restConsumer{ts: ts, group: group, name: resp.InstanceID, baseURI: resp.BaseURI}
}

func (c *restConsumer) path(suffix string) string {
	return "/consumers/" + c.group + "/instances/" + c.name + suffix
}

func (c *restConsumer) call(t *testing.T, method, suffix, body string) (int, string) {
	t.Helper()
	var b []byte
	if body != "" {
		b = []byte(body)
	}
	status, resp, _ := c.ts.do(t, method, c.path(suffix), map[string]string{"Content-Type": kafkaV2}, b)
	return status, resp
}

func (c *restConsumer) mustCall(t *testing.T, method, suffix, body string, want int) string {
	t.Helper()
	status, resp := c.call(t, method, suffix, body)
	if status != want {
		t.Fatalf("%s %s: %d %s, want %d", method, suffix, status, resp, want)
	}
	return resp
}

// records does one read with the given query and Accept type.
func (c *restConsumer) records(t *testing.T, query, accept string) []consumerRecordJSON {
	t.Helper()
	status, body, hdr := c.ts.do(t, "GET", c.path("/records?"+query), map[string]string{"Accept": accept}, nil)
	if status != 200 {
		t.Fatalf("read: %d %s", status, body)
	}
	if ct := hdr.Get("Content-Type"); !strings.HasPrefix(ct, "application/vnd.kafka.") {
		t.Fatalf("read Content-Type %q", ct)
	}
	var recs []consumerRecordJSON
	if err := json.Unmarshal([]byte(body), &recs); err != nil {
		t.Fatalf("read body %s: %v", body, err)
	}
	return recs
}

// topicPartition and partitionsRequest are the JSON of GET .../assignments.
type (
	topicPartition struct {
		Topic     string `json:"topic"`
		Partition int32  `json:"partition"`
	}
	partitionsRequest struct {
		Partitions []topicPartition `json:"partitions"`
	}
)

func (c *restConsumer) assignment(t *testing.T) []topicPartition {
	t.Helper()
	var resp partitionsRequest
	if err := json.Unmarshal([]byte(c.mustCall(t, "GET", "/assignments", "", 200)), &resp); err != nil {
		t.Fatal(err)
	}
	return resp.Partitions
}

// produceValues produces one binary record per value to the given
// partitions (round robin) and waits for them.
func produceValues(t *testing.T, b backend, topic string, partitions int32, values ...string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.seeds...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	recs := make([]*kgo.Record, len(values))
	for i, v := range values {
		recs[i] = &kgo.Record{Topic: topic, Partition: int32(i) % partitions, Value: []byte(v)}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func values(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%03d", prefix, i)
	}
	return out
}

func eventually(t *testing.T, timeout time.Duration, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestConsumerGroupSplitAndHandover: two instances of one group split the
// partitions and together read every record exactly once; deleting one
// hands its partitions to the other promptly (it leaves the group instead of
// timing out), and the survivor reads everything produced afterwards.
func TestConsumerGroupSplitAndHandover(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		ts := startServer(t, b, nil)
		topic := createTopic(t, b, 4)
		settings := `{"format":"binary","auto.offset.reset":"earliest","auto.commit.enable":"true"}`
		a := newRESTConsumer(t, ts, "split-"+topic, settings)
		c := newRESTConsumer(t, ts, "split-"+topic, settings)
		for _, inst := range []*restConsumer{a, c} {
			inst.mustCall(t, "POST", "/subscription", `{"topics":["`+topic+`"]}`, 204)
		}
		eventually(t, 60*time.Second, "both members to get partitions", func() bool {
			a.records(t, "timeout=100", kafkaV2)
			c.records(t, "timeout=100", kafkaV2)
			pa, pc := a.assignment(t), c.assignment(t)
			return len(pa) > 0 && len(pc) > 0 && len(pa)+len(pc) == 4
		})

		want := values("split", 40)
		produceValues(t, b, topic, 4, want...)
		seen := map[string]string{}
		got := map[*restConsumer]int{}
		eventually(t, 30*time.Second, "40 records", func() bool {
			for _, inst := range []*restConsumer{a, c} {
				for _, r := range inst.records(t, "timeout=200", kafkaV2) {
					pos := fmt.Sprintf("%d/%d", r.Partition, r.Offset)
					if prev, dup := seen[pos]; dup {
						t.Fatalf("record %s read twice (%s, then %s)", pos, prev, inst.name)
					}
					seen[pos] = inst.name
					got[inst]++
				}
			}
			return len(seen) == len(want)
		})
		if got[a] == 0 || got[c] == 0 {
			t.Errorf("records not split: %d and %d", got[a], got[c])
		}

		start := time.Now()
		a.mustCall(t, "DELETE", "", "", 204)
		eventually(t, 30*time.Second, "the survivor to own all partitions", func() bool {
			c.records(t, "timeout=100", kafkaV2)
			return len(c.assignment(t)) == 4
		})
		if took := time.Since(start); took > 20*time.Second {
			t.Errorf("handover took %v: the deleted member did not leave the group", took)
		}
		if status, body := a.call(t, "GET", "/assignments", ""); status != 404 || body != `{"error_code":40403,"message":"Consumer instance not found."}` {
			t.Errorf("deleted instance: %d %s", status, body)
		}

		more := values("after", 20)
		produceValues(t, b, topic, 4, more...)
		var after []string
		eventually(t, 30*time.Second, "records produced after the handover", func() bool {
			for _, r := range c.records(t, "timeout=200", kafkaV2) {
				v, _ := base64.StdEncoding.DecodeString(strings.Trim(string(r.Value), `"`))
				if strings.HasPrefix(string(v), "split-") {
					t.Fatalf("record %s/%d read again after handover: committed offsets lost", string(v), r.Offset)
				}
				after = append(after, string(v))
			}
			return len(after) >= len(more)
		})
		if len(after) != len(more) {
			t.Errorf("read %d records after handover, want %d", len(after), len(more))
		}
	})
}

// TestConsumerCommitResume: explicit commits store offset+1, an empty-body
// commit covers only records delivered over HTTP (not ones still buffered in
// krest), and a re-created instance resumes after the last commit.
func TestConsumerCommitResume(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		ts := startServer(t, b, nil)
		topic := createTopic(t, b, 1)
		group := "resume-" + topic
		produceValues(t, b, topic, 1, values("r", 10)...) // 5 bytes each
		settings := `{"name":"first","format":"binary","auto.offset.reset":"earliest","auto.commit.enable":"false"}`
		c := newRESTConsumer(t, ts, group, settings)
		c.mustCall(t, "POST", "/subscription", `{"topics":["`+topic+`"]}`, 204)

		var got []consumerRecordJSON
		eventually(t, 30*time.Second, "first records", func() bool {
			got = append(got, c.records(t, "timeout=500&max_bytes=15", kafkaV2)...)
			return len(got) > 0
		})
		if len(got) != 3 || got[0].Offset != 0 || got[2].Offset != 2 {
			t.Fatalf("max_bytes=15 read %d records: %+v", len(got), got)
		}
		// Seven records are now buffered in krest but not delivered.
		body := c.mustCall(t, "POST", "/offsets", "", 200)
		if want := fmt.Sprintf(`[{"topic":"%s","partition":0,"consumed":2,"committed":3}]`, topic); body != want {
			t.Errorf("empty-body commit: %s, want %s", body, want)
		}
		committed := c.mustCall(t, "GET", "/offsets", `{"partitions":[{"topic":"`+topic+`","partition":0}]}`, 200)
		if want := fmt.Sprintf(`{"offsets":[{"topic":"%s","partition":0,"offset":3,"metadata":""}]}`, topic); committed != want {
			t.Errorf("committed after empty-body commit: %s, want %s", committed, want)
		}

		c.mustCall(t, "POST", "/offsets", `{"offsets":[{"topic":"`+topic+`","partition":0,"offset":4,"metadata":"note"}]}`, 200)
		committed = c.mustCall(t, "GET", "/offsets", `{"partitions":[{"topic":"`+topic+`","partition":0}]}`, 200)
		if want := fmt.Sprintf(`{"offsets":[{"topic":"%s","partition":0,"offset":5,"metadata":"note"}]}`, topic); committed != want {
			t.Errorf("committed after explicit commit: %s, want %s", committed, want)
		}
		c.mustCall(t, "DELETE", "", "", 204)

		c2 := newRESTConsumer(t, ts, group, strings.Replace(settings, "first", "second", 1))
		c2.mustCall(t, "POST", "/subscription", `{"topics":["`+topic+`"]}`, 204)
		var resumed []consumerRecordJSON
		eventually(t, 30*time.Second, "records after the commit", func() bool {
			resumed = append(resumed, c2.records(t, "timeout=500", kafkaV2)...)
			return len(resumed) >= 5
		})
		if len(resumed) != 5 || resumed[0].Offset != 5 || resumed[4].Offset != 9 {
			t.Errorf("resumed at %+v, want offsets 5..9", resumed)
		}
	})
}

// TestConsumerSeek covers positions by offset, timestamp, beginning and end
// on a manually assigned instance, and seeking an unassigned partition.
func TestConsumerSeek(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		ts := startServer(t, b, nil)
		topic := createTopic(t, b, 2)
		base := time.Now().Add(-time.Hour).Truncate(time.Second)
		var recs []string
		for i := range 10 {
			recs = append(recs, fmt.Sprintf(`{"value":%q,"partition":0,"timestamp":%d}`, b64(fmt.Sprint(i)), base.Add(time.Duration(i)*time.Second).UnixMilli()))
		}
		if status, body, _ := ts.do(t, "POST", "/topics/"+topic, map[string]string{"Content-Type": "application/vnd.kafka.binary.v2+json"},
			[]byte(`{"records":[`+strings.Join(recs, ",")+`]}`)); status != 200 {
			t.Fatalf("produce: %d %s", status, body)
		}
		c := newRESTConsumer(t, ts, "seek-"+topic, `{"format":"binary","auto.offset.reset":"earliest","auto.commit.enable":"false"}`)
		c.mustCall(t, "POST", "/assignments", `{"partitions":[{"topic":"`+topic+`","partition":0}]}`, 204)
		if got := c.mustCall(t, "GET", "/assignments", "", 200); got != `{"partitions":[{"topic":"`+topic+`","partition":0}]}` {
			t.Errorf("assignments: %s", got)
		}
		first := func() int64 {
			t.Helper()
			var r []consumerRecordJSON
			eventually(t, 30*time.Second, "a record", func() bool {
				r = c.records(t, "timeout=500&max_bytes=1", kafkaV2)
				return len(r) > 0
			})
			return r[0].Offset
		}
		if got := first(); got != 0 {
			t.Errorf("first read at %d, want 0", got)
		}
		c.mustCall(t, "POST", "/positions", `{"offsets":[{"topic":"`+topic+`","partition":0,"offset":5}]}`, 204)
		if got := first(); got != 5 {
			t.Errorf("after seek to 5: read %d", got)
		}
		ts7 := base.Add(7 * time.Second).UTC().Format(time.RFC3339Nano)
		c.mustCall(t, "POST", "/positions", `{"timestamps":[{"topic":"`+topic+`","partition":0,"timestamp":"`+ts7+`"}]}`, 204)
		if got := first(); got != 7 {
			t.Errorf("after seek to %s: read %d, want 7", ts7, got)
		}
		c.mustCall(t, "POST", "/positions/beginning", `{"partitions":[{"topic":"`+topic+`","partition":0}]}`, 204)
		if got := first(); got != 0 {
			t.Errorf("after seek to beginning: read %d", got)
		}
		c.mustCall(t, "POST", "/positions/end", `{"partitions":[{"topic":"`+topic+`","partition":0}]}`, 204)
		if r := c.records(t, "timeout=300", kafkaV2); len(r) != 0 {
			t.Errorf("after seek to end: read %+v", r)
		}
		produceValues(t, b, topic, 1, "new")
		if got := first(); got != 10 {
			t.Errorf("after seek to end and a produce: read %d, want 10", got)
		}
		for _, path := range []string{"/positions", "/positions/beginning"} {
			body := `{"partitions":[{"topic":"` + topic + `","partition":1}]}`
			if path == "/positions" {
				body = `{"offsets":[{"topic":"` + topic + `","partition":1,"offset":0}]}`
			}
			status, resp := c.call(t, "POST", path, body)
			want := fmt.Sprintf(`{"error_code":40903,"message":"Illegal state: No current assignment for partition %s-1"}`, topic)
			if status != 409 || resp != want {
				t.Errorf("seek of unassigned partition via %s: %d %s", path, status, resp)
			}
		}
		status, resp := c.call(t, "POST", "/subscription", `{"topics":["`+topic+`"]}`)
		if status != 409 || resp != `{"error_code":40903,"message":"Illegal state: Subscription to topics, partitions and pattern are mutually exclusive"}` {
			t.Errorf("subscribe after assign: %d %s", status, resp)
		}
	})
}

// TestConsumerLongPoll: a read waiting on an empty partition returns as soon
// as a record arrives, not when its timeout ends; with no data it waits the
// timeout.
func TestConsumerLongPoll(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		ts := startServer(t, b, map[string]string{"consumer.request.timeout.ms": "20000"})
		topic := createTopic(t, b, 1)
		c := newRESTConsumer(t, ts, "poll-"+topic, `{"format":"binary","auto.offset.reset":"earliest"}`)
		c.mustCall(t, "POST", "/assignments", `{"partitions":[{"topic":"`+topic+`","partition":0}]}`, 204)

		start := time.Now()
		if r := c.records(t, "timeout=400", kafkaV2); len(r) != 0 {
			t.Fatalf("empty topic read %+v", r)
		}
		if waited := time.Since(start); waited < 350*time.Millisecond {
			t.Errorf("empty read returned after %v, before its timeout", waited)
		}

		go func() {
			time.Sleep(500 * time.Millisecond)
			produceValues(t, b, topic, 1, "late")
		}()
		start = time.Now()
		r := c.records(t, "timeout=15000", kafkaV2)
		took := time.Since(start)
		if len(r) != 1 || string(r[0].Value) != `"`+b64("late")+`"` {
			t.Fatalf("long poll read %+v", r)
		}
		if took > 5*time.Second {
			t.Errorf("long poll returned after %v: it waited for the timeout instead of the data", took)
		}
	})
}

// TestConsumerOversizedRecord: a record larger than max_bytes is returned
// on its own instead of stalling the consumer with [] forever.
func TestConsumerOversizedRecord(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		ts := startServer(t, b, nil)
		topic := createTopic(t, b, 1)
		big := strings.Repeat("x", 100_000)
		produceValues(t, b, topic, 1, big, "small")
		c := newRESTConsumer(t, ts, "big-"+topic, `{"format":"binary","auto.offset.reset":"earliest"}`)
		c.mustCall(t, "POST", "/assignments", `{"partitions":[{"topic":"`+topic+`","partition":0}]}`, 204)
		var r []consumerRecordJSON
		eventually(t, 30*time.Second, "the big record", func() bool {
			r = c.records(t, "timeout=500&max_bytes=1000", kafkaV2)
			return len(r) > 0
		})
		if len(r) != 1 || r[0].Offset != 0 || len(r[0].Value) != len(b64(big))+2 {
			t.Fatalf("oversized read: %d records, first offset %d", len(r), r[0].Offset)
		}
		r = c.records(t, "timeout=2000&max_bytes=1000", kafkaV2)
		if len(r) != 1 || r[0].Offset != 1 {
			t.Fatalf("read after the big record: %+v", r)
		}
	})
}

// TestConsumerExpiry: an instance nobody uses expires after
// consumer.instance.timeout.ms, leaves its group and answers 40403.
func TestConsumerExpiry(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		ts := startServer(t, b, map[string]string{"consumer.instance.timeout.ms": "1500"})
		topic := createTopic(t, b, 1)
		group := "expiry-" + topic
		c := newRESTConsumer(t, ts, group, `{"format":"binary"}`)
		c.mustCall(t, "POST", "/subscription", `{"topics":["`+topic+`"]}`, 204)
		adm := adminFor(t, b)
		eventually(t, 30*time.Second, "the member to join", func() bool {
			c.records(t, "timeout=100", kafkaV2)
			groups, err := adm.DescribeGroups(context.Background(), group)
			return err == nil && len(groups[group].Members) == 1
		})
		time.Sleep(2500 * time.Millisecond) // no requests: the instance idles out
		if status, body := c.call(t, "GET", "/subscription", ""); status != 404 || body != `{"error_code":40403,"message":"Consumer instance not found."}` {
			t.Errorf("expired instance: %d %s", status, body)
		}
		eventually(t, 10*time.Second, "the expired member to leave its group", func() bool {
			groups, err := adm.DescribeGroups(context.Background(), group)
			return err == nil && len(groups[group].Members) == 0
		})
		if n := ts.consumers.MemoryUsed(); n != 0 {
			t.Errorf("expired instance still holds %d bytes of the consumer budget", n)
		}
	})
}

// TestConsumerV1Flow is the v1 consumer API: create with v1 spellings, read
// a topic by path (subscribing on first use), commit, delete.
func TestConsumerV1Flow(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		ts := startServer(t, b, nil)
		topic := createTopic(t, b, 1)
		produceValues(t, b, topic, 1, "one", "two")
		status, body, _ := ts.do(t, "POST", "/consumers/v1-"+topic, map[string]string{"Content-Type": "application/vnd.kafka.v1+json"},
			[]byte(`{"format":"binary","auto.offset.reset":"smallest","auto.commit.enable":"false"}`))
		if status != 200 {
			t.Fatalf("create: %d %s", status, body)
		}
		var created struct {
			InstanceID string `json:"instance_id"`
			BaseURI    string `json:"base_uri"`
		}
		json.Unmarshal([]byte(body), &created)
		wantURI := ts.url + "/consumers/v1-" + topic + "/instances/" + created.InstanceID
		if !strings.HasPrefix(created.InstanceID, "rest-consumer-") || created.BaseURI != wantURI {
			t.Fatalf("create: %s, want base_uri %s", body, wantURI)
		}
		path := strings.TrimPrefix(created.BaseURI, ts.url)
		accept := map[string]string{"Accept": "application/vnd.kafka.binary.v1+json"}
		var all string
		eventually(t, 30*time.Second, "v1 records", func() bool {
			status, body, hdr := ts.do(t, "GET", path+"/topics/"+topic, accept, nil)
			if status != 200 || hdr.Get("Content-Type") != "application/vnd.kafka.binary.v1+json" {
				t.Fatalf("v1 read: %d %s %s", status, hdr.Get("Content-Type"), body)
			}
			if body != "[]" {
				all += body
			}
			return strings.Contains(all, `"offset":1`)
		})
		want := fmt.Sprintf(`[{"key":null,"value":"%s","partition":0,"offset":0},{"key":null,"value":"%s","partition":0,"offset":1}]`, b64("one"), b64("two"))
		if all != want {
			t.Errorf("v1 read: %s\nwant %s", all, want)
		}
		status, body, _ = ts.do(t, "POST", path+"/offsets", map[string]string{"Content-Type": "application/vnd.kafka.v1+json"}, nil)
		if wantC := fmt.Sprintf(`[{"topic":"%s","partition":0,"consumed":1,"committed":2}]`, topic); status != 200 || body != wantC {
			t.Errorf("v1 commit: %d %s, want %s", status, body, wantC)
		}
		if status, body, _ := ts.do(t, "DELETE", path, nil, nil); status != 204 || body != "" {
			t.Errorf("delete: %d %q", status, body)
		}
	})
}

// TestStatelessRead is GET /topics/{t}/partitions/{p}/messages: no instance.
func TestStatelessRead(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		ts := startServer(t, b, nil)
		topic := createTopic(t, b, 1)
		produceValues(t, b, topic, 1, values("m", 5)...)
		read := func(query string, accept string) (int, []consumerRecordJSON, string) {
			status, body, _ := ts.do(t, "GET", "/topics/"+topic+"/partitions/0/messages?"+query, map[string]string{"Accept": accept}, nil)
			var recs []consumerRecordJSON
			if status == 200 {
				if err := json.Unmarshal([]byte(body), &recs); err != nil {
					t.Fatalf("%s: %v", body, err)
				}
			}
			return status, recs, body
		}
		status, recs, body := read("offset=1&count=3", "")
		if status != 200 || len(recs) != 3 || recs[0].Offset != 1 || recs[2].Offset != 3 || string(recs[0].Value) != `"`+b64("m-001")+`"` || recs[0].Topic != topic {
			t.Errorf("offset=1&count=3: %d %s", status, body)
		}
		if status, recs, body := read("offset=3&count=100", ""); status != 200 || len(recs) != 2 {
			t.Errorf("count past the end: %d %s", status, body)
		}
		if status, recs, body := read("offset=5", ""); status != 200 || len(recs) != 0 {
			t.Errorf("at the end: %d %s", status, body)
		}
		if status, recs, body := read("timestamp=1970-01-01T00:00:00Z&count=2", ""); status != 200 || len(recs) != 2 || recs[0].Offset != 0 {
			t.Errorf("timestamp in the past: %d %s", status, body)
		}
		if status, recs, body := read("timestamp=2999-01-01T00:00:00.5Z", ""); status != 200 || len(recs) != 0 {
			t.Errorf("timestamp in the future: %d %s", status, body)
		}
		status, body, hdr := ts.do(t, "GET", "/topics/"+topic+"/partitions/0/messages?offset=4", map[string]string{"Accept": "application/vnd.kafka.binary.v1+json"}, nil)
		if want := `[{"topic":"` + topic + `","key":null,"value":"` + b64("m-004") + `","partition":0,"offset":4}]`; status != 200 || body != want ||
			hdr.Get("Content-Type") != "application/vnd.kafka.binary.v1+json" {
			t.Errorf("v1 Accept: %d %s %s\nwant v1's type and fields %s", status, hdr.Get("Content-Type"), body, want)
		}
		for _, tc := range []struct{ query, want string }{
			{"offset=9", `{"error_code":40402,"message":"Offset 9 is out of range for partition 0 of topic ` + topic + `: it holds 0..5"}`},
			{"count=2", "{\"error_code\":400,\"message\":\"Either `offset` or `timestamp` query parameters must be set.\"}"},
			{"offset=1&timestamp=2026-01-01T00:00:00Z", "{\"error_code\":400,\"message\":\"Either `offset` or `timestamp` query parameters must be set.\"}"},
			{"timestamp=yesterday", `{"error_code":400,"message":"Bad Request: timestamp=yesterday is not an ISO-8601 instant such as 2026-12-01T10:00:00Z"}`},
			{"offset=x", `{"error_code":400,"message":"Bad Request: offset=x is not an integer"}`},
			{"offset=-2", `{"error_code":400,"message":"Bad Request: offset must not be negative"}`},
		} {
			if _, _, body := read(tc.query, ""); body != tc.want {
				t.Errorf("%s: %s, want %s", tc.query, body, tc.want)
			}
		}
	})
}

// TestConsumerErrors covers creation and format errors.
func TestConsumerErrors(t *testing.T) {
	t.Parallel()
	b := fakeBroker(t)
	ts := startServer(t, b, map[string]string{"consumer.instances.max": "3"})
	ct := map[string]string{"Content-Type": kafkaV2}
	for _, tc := range []struct {
		body   string
		status int
		want   string
	}{
		{`{"name":"dup"}`, 200, ""},
		{`{"name":"dup"}`, 409, `{"error_code":40902,"message":"Consumer with specified consumer ID already exists in the specified consumer group."}`},
		{`{"format":"xml"}`, 422, `{"error_code":422,"message":"Invalid format type."}`},
		{`{"fetch.min.bytes":-5}`, 422, `{"error_code":40001,"message":"Invalid consumer configuration. It does not abide by the constraints: fetch.min.bytes must be in -1..10000000, got -5"}`},
		{`{"auto.offset.reset":"sometime"}`, 422, `{"error_code":42204,"message":"Invalid consumer configuration: Invalid value sometime for configuration auto.offset.reset: String must be one of: latest, earliest, none"}`},
		{`{"frmat":"json"}`, 422, `{"error_code":422,"message":"Unrecognized field: frmat"}`},
		{``, 200, ""},
		{`{"name":"third","format":"json"}`, 200, ""},
		{`{"name":"fourth"}`, 429, `{"error_code":429,"message":"Too many consumer instances: consumer.instances.max is reached; delete unused instances or raise it"}`},
	} {
		status, body, _ := ts.do(t, "POST", "/consumers/errs", ct, []byte(tc.body))
		if status != tc.status || (tc.want != "" && body != tc.want) {
			t.Errorf("create %s: %d %s, want %d %s", tc.body, status, body, tc.status, tc.want)
		}
	}
	bin := &restConsumer{ts: ts, group: "errs", name: "dup"}
	js := &restConsumer{ts: ts, group: "errs", name: "third"}
	mismatch := `{"error_code":40601,"message":"The requested embedded data format does not match the deserializer for this consumer instance"}`
	for _, tc := range []struct {
		c      *restConsumer
		accept string
		status int
		want   string
	}{
		{bin, "application/vnd.kafka.json.v2+json", 406, mismatch},
		{js, "application/vnd.kafka.binary.v2+json", 406, mismatch},
		{js, "*/*", 406, mismatch}, // a vague Accept means binary, as in Confluent's proxy
		{js, "text/plain", 406, `{"error_code":406,"message":"HTTP 406 Not Acceptable"}`},
		{bin, kafkaV2, 409, `{"error_code":40903,"message":"Illegal state: Consumer is not subscribed to any topics or assigned any partitions"}`},
	} {
		status, body, _ := ts.do(t, "GET", tc.c.path("/records"), map[string]string{"Accept": tc.accept}, nil)
		if status != tc.status || body != tc.want {
			t.Errorf("read %s with %q: %d %s, want %d %s", tc.c.name, tc.accept, status, body, tc.status, tc.want)
		}
	}
	if status, body, _ := ts.do(t, "POST", bin.path("/subscription"), map[string]string{"Content-Type": "text/plain"}, []byte(`{"topics":["x"]}`)); status != 415 {
		t.Errorf("subscription with text/plain: %d %s", status, body)
	}
	badPattern := `{"error_code":422,"message":"Invalid topic_pattern \"a(\": error parsing regexp: missing closing ): ` + "`a(`" + `"}`
	if status, body, _ := ts.do(t, "POST", bin.path("/subscription"), ct, []byte(`{"topic_pattern":"a("}`)); status != 422 || body != badPattern {
		t.Errorf("subscription to an invalid pattern: %d %s, want 422 %s", status, body, badPattern)
	}
}

// TestConsumerMemoryBudget: many instances reading large records stay
// within consumer.memory.max.bytes (heap measured, not timed), and an
// instance that would exceed it is refused with 429.
func TestConsumerMemoryBudget(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		const (
			perInstance = 2 << 20
			budget      = 16 << 20
			instances   = budget / perInstance
		)
		ts := startServer(t, b, map[string]string{
			"consumer.buffer.max.bytes": fmt.Sprint(perInstance),
			"consumer.memory.max.bytes": fmt.Sprint(budget),
		})
		topic := createTopic(t, b, 1)
		var vals []string
		for range 40 { // 40 × 500 KB = 20 MB per instance if buffering were unbounded
			v := make([]byte, 500_000)
			rand.Read(v) // incompressible: Kafka's fetch limits count compressed bytes
			vals = append(vals, string(v))
		}
		produceValues(t, b, topic, 1, vals...)

		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)

		var cs []*restConsumer
		for i := range instances {
			c := newRESTConsumer(t, ts, fmt.Sprintf("mem-%d-%s", i, topic), `{"format":"binary","auto.offset.reset":"earliest"}`)
			c.mustCall(t, "POST", "/subscription", `{"topics":["`+topic+`"]}`, 204)
			cs = append(cs, c)
		}
		extra := newRESTConsumer(t, ts, "mem-extra-"+topic, `{"format":"binary"}`)
		status, body := extra.call(t, "POST", "/subscription", `{"topics":["`+topic+`"]}`)
		if status != 429 || !strings.Contains(body, "consumer.memory.max.bytes") {
			t.Errorf("subscription beyond the budget: %d %s", status, body)
		}
		// Every instance reads one record, then leaves franz-go time to
		// fill its buffers as far as they go.
		for _, c := range cs {
			eventually(t, 60*time.Second, "a first record", func() bool {
				return len(c.records(t, "timeout=1000&max_bytes=600000", kafkaV2)) == 1
			})
		}
		time.Sleep(2 * time.Second)
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
		// Unbounded, the instances would hold 8 × 20 MB. Allow the budget
		// plus one oversized batch per instance and client overhead.
		limit := int64(budget + instances*600_000 + 8<<20)
		t.Logf("heap grew %d MiB for %d instances (limit %d MiB)", grown>>20, instances, limit>>20)
		if grown > limit {
			t.Errorf("heap grew by %d bytes with %d instances, over the %d-byte budget bound", grown, instances, limit)
		}
	})
}
