package proxy

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/krest-dev/krest/proxy/rest"
)

func TestMetadata(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		ts := startServer(t, b, nil)
		adm := adminFor(t, b)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		brokers, err := adm.ListBrokers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		node := brokers.NodeIDs()[0]
		topic := createTopic(t, b, 3)
		// Make sure an internal topic exists, so that hiding it is tested.
		var offs kadm.Offsets
		offs.Add(kadm.Offset{Topic: topic, Partition: 0, At: 0, LeaderEpoch: -1})
		if _, err := adm.CommitOffsets(ctx, "krest-metadata-test", offs); err != nil {
			t.Fatal(err)
		}
		status, body, _ := ts.do(t, "POST", "/topics/"+topic+"/partitions/1",
			map[string]string{"Content-Type": "application/vnd.kafka.binary.v2+json"},
			[]byte(`{"records":[{"value":"YQ=="},{"value":"Yg=="},{"value":"Yw=="}]}`))
		if status != 200 {
			t.Fatalf("produce: %d %s", status, body)
		}

		partition := func(p int) string {
			return fmt.Sprintf(`{"partition":%d,"leader":%d,"replicas":[{"broker":%d,"leader":true,"in_sync":true}]}`, p, node, node)
		}
		for _, tc := range []struct {
			method, path, accept string
			want, wantCT         string
		}{
			{"GET", "/", "", `{}`, rest.MediaV2},
			{"POST", "/", "", `{}`, rest.MediaV2},
			{"GET", "/brokers", "", fmt.Sprintf(`{"brokers":[%d]}`, node), rest.MediaV2},
			{"GET", "/brokers", "application/vnd.kafka.v1+json", fmt.Sprintf(`{"brokers":[%d]}`, node), rest.MediaV1},
			{"GET", "/brokers", "application/json", fmt.Sprintf(`{"brokers":[%d]}`, node), rest.MediaJSON},
			{"GET", "/brokers", "*/*", fmt.Sprintf(`{"brokers":[%d]}`, node), rest.MediaV2},
			{"GET", "/brokers", "application/vnd.kafka+json", fmt.Sprintf(`{"brokers":[%d]}`, node), rest.MediaGeneric},
			{"GET", "/topics/" + topic + "/partitions", "", "[" + partition(0) + "," + partition(1) + "," + partition(2) + "]", rest.MediaV2},
			{"GET", "/topics/" + topic + "/partitions/1", "", partition(1), rest.MediaV2},
			{"GET", "/topics/" + topic + "/partitions/1/offsets", "", `{"beginning_offset":0,"end_offset":3}`, rest.MediaV2},
			{"GET", "/topics/" + topic + "/partitions/2/offsets", "", `{"beginning_offset":0,"end_offset":0}`, rest.MediaV2},
		} {
			status, body, hdr := ts.do(t, tc.method, tc.path, map[string]string{"Accept": tc.accept}, nil)
			if status != 200 || body != tc.want || hdr.Get("Content-Type") != tc.wantCT {
				t.Errorf("%s %s (Accept %q): got %d %s %s\nwant 200 %s %s", tc.method, tc.path, tc.accept, status, hdr.Get("Content-Type"), body, tc.wantCT, tc.want)
			}
		}

		status, body, _ = ts.do(t, "GET", "/topics", nil, nil)
		var topics []string
		if err := json.Unmarshal([]byte(body), &topics); status != 200 || err != nil {
			t.Fatalf("GET /topics: %d %s", status, body)
		}
		if !slices.Contains(topics, topic) || !slices.IsSorted(topics) {
			t.Errorf("GET /topics = %v: want sorted names including %s", topics, topic)
		}
		for _, name := range topics {
			if strings.HasPrefix(name, "__") {
				t.Errorf("GET /topics lists internal topic %s", name)
			}
		}

		status, body, _ = ts.do(t, "GET", "/topics/"+topic, nil, nil)
		var info struct {
			Name       string            `json:"name"`
			Configs    map[string]string `json:"configs"`
			Partitions json.RawMessage   `json:"partitions"`
		}
		if err := json.Unmarshal([]byte(body), &info); status != 200 || err != nil {
			t.Fatalf("GET /topics/%s: %d %s", topic, status, body)
		}
		if info.Name != topic || info.Configs["cleanup.policy"] != "delete" || info.Configs["retention.ms"] == "" {
			t.Errorf("GET /topics/%s = %s", topic, body)
		}
		if want := "[" + partition(0) + "," + partition(1) + "," + partition(2) + "]"; string(info.Partitions) != want {
			t.Errorf("partitions = %s, want %s", info.Partitions, want)
		}
		// Reading metadata must not create topics.
		if status, _, _ := ts.do(t, "GET", "/topics/"+topic+"-missing", nil, nil); status != 404 {
			t.Errorf("missing topic: status %d", status)
		}
		if td, err := adm.ListTopics(ctx, topic+"-missing"); err != nil || td.Has(topic+"-missing") {
			t.Errorf("GET of a missing topic created it (%v)", err)
		}
	})
}
