package proxy

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestTopicRecreated: a topic krest has produced to, deleted and created
// again (through krest's v3 API, or behind its back), is produced to at
// once through v2, v3's records:batch and v3's stream: krest purges a
// topic it deletes from every client, and a produce that finds the topic's
// id changed purges it and sends its records again within the delivery
// timeout (franz-go keeps a topic's first id until it is purged).
func TestTopicRecreated(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ts := startServer(t, b, map[string]string{"consumer.forwarding": "off"})
		cluster := clusterIDOf(t, ts)
		recreate := func(t *testing.T, topic string, throughKrest bool) {
			t.Helper()
			if !throughKrest {
				recreateTopic(t, b, topic)
				return
			}
			if code, body, _ := ts.do(t, "DELETE", "/v3/clusters/"+cluster+"/topics/"+topic, nil, nil); code != 204 {
				t.Fatalf("delete through krest: %d %s", code, body)
			}
			createAgain(t, b, topic)
		}
		produce := map[string]func(t *testing.T, topic string) (int, string){
			"v2": func(t *testing.T, topic string) (int, string) {
				code, body, _ := ts.do(t, "POST", "/topics/"+topic, map[string]string{"Content-Type": "application/vnd.kafka.json.v2+json"}, []byte(`{"records":[{"value":1},{"value":2}]}`))
				if code == 200 && strings.Contains(body, `"error_code":5`) {
					code = 500
				}
				return code, body
			},
			"v3 batch": func(t *testing.T, topic string) (int, string) {
				code, body, _ := ts.do(t, "POST", "/v3/clusters/"+cluster+"/topics/"+topic+"/records:batch", map[string]string{"Content-Type": "application/json"},
					[]byte(`{"entries":[{"id":"a","value":{"type":"JSON","data":1}}]}`))
				if code == 207 && !strings.Contains(body, `"failures":[]`) {
					code = 500
				}
				return code, body
			},
			"v3 stream": func(t *testing.T, topic string) (int, string) {
				code, body, _ := ts.do(t, "POST", "/v3/clusters/"+cluster+"/topics/"+topic+"/records", map[string]string{"Content-Type": "application/json"},
					[]byte(`{"value":{"type":"JSON","data":1}}`))
				if code == 200 && !strings.Contains(body, `"error_code":200`) {
					code = 500
				}
				return code, body
			},
		}
		for name, send := range produce {
			for _, through := range []bool{true, false} {
				where := "behind krest's back"
				if through {
					where = "through krest"
				}
				t.Run(name+" "+where, func(t *testing.T) {
					topic := createTopic(t, b, 1)
					if code, body := send(t, topic); code/100 != 2 {
						t.Fatalf("first produce: %d %s", code, body)
					}
					recreate(t, topic, through)
					start := time.Now()
					code, body := send(t, topic)
					if code/100 != 2 {
						t.Fatalf("produce after the topic was created again %s: %d %s (after %v)", where, code, body, time.Since(start))
					}
				})
			}
		}
	})
}

// TestTopicRecreatedReads: a consumer instance subscribed to a topic, and
// one assigned its partition, go on reading it once it is deleted and
// created again behind krest's back (from the new topic's start), and a
// stateless read reads the new topic.
func TestTopicRecreatedReads(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ts := startServer(t, b, map[string]string{"consumer.forwarding": "off"})
		topic := createTopic(t, b, 1)
		produceJSON(t, ts, topic, 0, 2)
		sub := newRESTConsumer(t, ts, "rc-"+topic, `{"format":"json","auto.offset.reset":"earliest"}`)
		sub.mustCall(t, "POST", "/subscription", `{"topics":["`+topic+`"]}`, 204)
		asg := newRESTConsumer(t, ts, "ra-"+topic, `{"format":"json","auto.offset.reset":"earliest"}`)
		asg.mustCall(t, "POST", "/assignments", `{"partitions":[{"topic":"`+topic+`","partition":0}]}`, 204)
		for _, c := range []*restConsumer{sub, asg} {
			var got []consumerRecordJSON
			eventually(t, 30*time.Second, "the first records", func() bool {
				got = append(got, c.records(t, "timeout=500", "application/vnd.kafka.json.v2+json")...)
				return len(got) >= 2
			})
		}
		recreateTopic(t, b, topic)
		produceJSON(t, ts, topic, 10, 3)
		for name, c := range map[string]*restConsumer{"subscribed": sub, "assigned": asg} {
			var got []consumerRecordJSON
			eventually(t, 45*time.Second, name+" instance: the new topic's records", func() bool {
				status, body, _ := c.ts.do(t, "GET", c.path("/records?timeout=500"), map[string]string{"Accept": "application/vnd.kafka.json.v2+json"}, nil)
				if status != 200 {
					t.Logf("%s read: %d %s", name, status, body)
					return false
				}
				var recs []consumerRecordJSON
				if err := json.Unmarshal([]byte(body), &recs); err != nil {
					t.Fatal(err)
				}
				got = append(got, recs...)
				return len(got) >= 3
			})
			if string(got[0].Value) != `{"n":10}` || got[0].Offset != 0 {
				t.Errorf("%s instance after the re-creation: first record %+v, want the new topic's offset 0", name, got[0])
			}
		}
		code, body, _ := ts.do(t, "GET", "/topics/"+topic+"/partitions/0/messages?offset=0&count=3", map[string]string{"Accept": "application/vnd.kafka.json.v2+json"}, nil)
		if code != 200 || !strings.Contains(body, `{"n":10}`) {
			t.Errorf("stateless read of the new topic: %d %s", code, body)
		}
	})
}

// TestTopicRecreatedTail: a v3 topic tail goes on across a deletion and
// re-creation of its topic behind krest's back, from the new topic's
// start.
func TestTopicRecreatedTail(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ts := startServer(t, b, map[string]string{"consumer.forwarding": "off"})
		cluster := clusterIDOf(t, ts)
		topic := createTopic(t, b, 1)
		produceTo(t, b, topic, 0, 2)
		events, stop := openTail(t, ts, "/v3/clusters/"+cluster+"/topics/"+topic+"/records?from=earliest", "")
		defer stop()
		next := func(what string) tailEvent {
			t.Helper()
			select {
			case ev, ok := <-events:
				if !ok {
					t.Fatalf("%s: the tail ended", what)
				}
				return ev
			case <-time.After(45 * time.Second):
				t.Fatalf("%s: no event in 45 s", what)
			}
			return tailEvent{}
		}
		for n := 0; n < 2; {
			n += len(next("the first records").records)
		}
		recreateTopic(t, b, topic)
		produceTo(t, b, topic, 0, 3)
		var got int
		for got < 3 {
			ev := next("the new topic's records")
			if got == 0 && len(ev.records) > 0 && ev.records[0].Offset != 0 {
				t.Fatalf("the tail of the new topic starts at offset %d, want 0", ev.records[0].Offset)
			}
			got += len(ev.records)
		}
	})
}

// recreateTopic deletes topic and creates it again (one partition), behind
// krest's back.
func recreateTopic(t *testing.T, b backend, topic string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := adminFor(t, b).DeleteTopic(ctx, topic); err != nil {
		t.Fatal(err)
	}
	createAgain(t, b, topic)
}

// createAgain creates a topic just deleted, once Kafka has let go of the
// old one.
func createAgain(t *testing.T, b backend, topic string) {
	t.Helper()
	adm := adminFor(t, b)
	eventually(t, 30*time.Second, "the topic to be created again", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		resp, err := adm.CreateTopic(ctx, 1, 1, nil, topic)
		if err == nil {
			err = resp.Err
		}
		return err == nil
	})
}
