package proxy

import (
	"context"
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
		code, body, _ := ts.do(t, "GET", "/v3/clusters", nil, nil)
		if code != 200 {
			t.Fatalf("GET /v3/clusters: %d %s", code, body)
		}
		cluster := body[strings.Index(body, `"cluster_id":"`)+len(`"cluster_id":"`):]
		cluster = cluster[:strings.IndexByte(cluster, '"')]
		adm := adminFor(t, b)
		recreate := func(t *testing.T, topic string, throughKrest bool) {
			t.Helper()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if throughKrest {
				if code, body, _ := ts.do(t, "DELETE", "/v3/clusters/"+cluster+"/topics/"+topic, nil, nil); code != 204 {
					t.Fatalf("delete through krest: %d %s", code, body)
				}
			} else if _, err := adm.DeleteTopic(ctx, topic); err != nil {
				t.Fatal(err)
			}
			eventually(t, 30*time.Second, "the topic to be created again", func() bool {
				resp, err := adm.CreateTopic(ctx, 1, 1, nil, topic)
				if err == nil {
					err = resp.Err
				}
				return err == nil
			})
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
