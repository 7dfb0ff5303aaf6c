package proxy

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

type produceResponseJSON struct {
	KeySchemaID   *int `json:"key_schema_id"`
	ValueSchemaID *int `json:"value_schema_id"`
	Offsets       []struct {
		Partition *int32  `json:"partition"`
		Offset    *int64  `json:"offset"`
		ErrorCode *int    `json:"error_code"`
		Error     *string `json:"error"`
	} `json:"offsets"`
}

// wantRecord is what a produced record must look like when read back.
type wantRecord struct {
	key, value []byte // nil = null
	partition  int32  // -1 = any
	headers    []kgo.RecordHeader
	timestamp  time.Time // zero = set by the producer
}

// buildProduce makes a request body of n varied records for format, and the
// records a consumer must then see.
func buildProduce(format string, n int, pathPartition int32) ([]byte, []wantRecord) {
	type hdr struct {
		Name  string  `json:"name"`
		Value *string `json:"value"`
	}
	type rec struct {
		Key       any    `json:"key,omitempty"`
		Value     any    `json:"value"`
		Partition *int32 `json:"partition,omitempty"`
		Headers   []hdr  `json:"headers,omitempty"`
		Timestamp any    `json:"timestamp,omitempty"`
	}
	var recs []rec
	var want []wantRecord
	base := time.UnixMilli(1_700_000_000_000)
	for i := range n {
		var r rec
		w := wantRecord{partition: pathPartition}
		switch format {
		case "binary":
			key := []byte(fmt.Sprintf("key-%d", i%4))
			val := []byte{0, byte(i), 0xff, 'v'}
			r.Key, r.Value = base64.StdEncoding.EncodeToString(key), base64.StdEncoding.EncodeToString(val)
			w.key, w.value = key, val
		case "json":
			r.Key = map[string]any{"k": i % 4}
			r.Value = json.RawMessage(fmt.Sprintf(`{ "n" : %d, "s": "a b\"c", "l": [1, 2.5, null, true] }`, i))
			w.key = []byte(fmt.Sprintf(`{"k":%d}`, i%4))
			w.value = []byte(fmt.Sprintf(`{"n":%d,"s":"a b\"c","l":[1,2.5,null,true]}`, i))
		}
		switch i % 6 {
		case 1: // tombstone with a key
			r.Value, w.value = nil, nil
		case 2: // explicit partition, overriding the path's
			p := int32(i % 3)
			r.Partition, w.partition = &p, p
		case 3: // headers, one with a null value
			v := base64.StdEncoding.EncodeToString([]byte("hv" + strconv.Itoa(i)))
			r.Headers = []hdr{{Name: "h1", Value: &v}, {Name: "h2"}}
			w.headers = []kgo.RecordHeader{{Key: "h1", Value: []byte("hv" + strconv.Itoa(i))}, {Key: "h2"}}
		case 4: // timestamp in milliseconds, no key
			r.Key, w.key = nil, nil
			ts := base.Add(time.Duration(i) * time.Millisecond)
			r.Timestamp, w.timestamp = ts.UnixMilli(), ts
		case 5: // timestamp as ISO-8601
			ts := base.Add(time.Hour + time.Duration(i)*time.Millisecond).UTC()
			r.Timestamp, w.timestamp = ts.Format(time.RFC3339Nano), ts
		}
		recs = append(recs, r)
		want = append(want, w)
	}
	body, err := json.Marshal(map[string]any{"records": recs})
	if err != nil {
		panic(err)
	}
	return body, want
}

func TestProduceRoundTrip(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		ts := startServer(t, b, nil)
		for _, version := range []string{"v1", "v2"} {
			for _, format := range []string{"binary", "json"} {
				for _, toPartition := range []bool{false, true} {
					name := fmt.Sprintf("%s/%s/partition=%v", version, format, toPartition)
					t.Run(name, func(t *testing.T) {
						topic := createTopic(t, b, 3)
						path, pathPartition := "/topics/"+topic, int32(-1)
						if toPartition {
							path, pathPartition = path+"/partitions/1", 1
						}
						const n = 24
						body, want := buildProduce(format, n, pathPartition)
						status, resp, hdr := ts.do(t, "POST", path, map[string]string{
							"Content-Type": "application/vnd.kafka." + format + "." + version + "+json",
							"Accept":       "application/vnd.kafka." + version + "+json",
						}, body)
						if status != 200 {
							t.Fatalf("status %d: %s", status, resp)
						}
						if ct := hdr.Get("Content-Type"); ct != "application/vnd.kafka."+version+"+json" {
							t.Errorf("Content-Type %q", ct)
						}
						checkProduced(t, b, topic, resp, want)
					})
				}
			}
		}
	})
}

// checkProduced asserts that resp acknowledges every record of want and that
// a plain consumer reads exactly those records at the acknowledged
// partitions and offsets.
func checkProduced(t *testing.T, b backend, topic, resp string, want []wantRecord) {
	t.Helper()
	var pr produceResponseJSON
	if err := json.Unmarshal([]byte(resp), &pr); err != nil {
		t.Fatalf("response %s: %v", resp, err)
	}
	if pr.KeySchemaID != nil || pr.ValueSchemaID != nil || len(pr.Offsets) != len(want) {
		t.Fatalf("response %s: want %d offsets and null schema ids", resp, len(want))
	}
	type tp struct {
		p int32
		o int64
	}
	byPos := map[tp]int{}
	last := map[int32]int64{}
	for i, o := range pr.Offsets {
		if o.ErrorCode != nil || o.Error != nil || o.Partition == nil || o.Offset == nil {
			t.Fatalf("record %d not acknowledged: %s", i, resp)
		}
		if want[i].partition >= 0 && *o.Partition != want[i].partition {
			t.Errorf("record %d went to partition %d, want %d", i, *o.Partition, want[i].partition)
		}
		if prev, ok := last[*o.Partition]; ok && *o.Offset <= prev {
			t.Errorf("record %d: offset %d not after %d in partition %d: request order lost", i, *o.Offset, prev, *o.Partition)
		}
		last[*o.Partition] = *o.Offset
		byPos[tp{*o.Partition, *o.Offset}] = i
	}
	got := consumeAll(t, b, topic, len(want))
	if len(got) != len(want) {
		t.Fatalf("consumed %d records, want %d", len(got), len(want))
	}
	for _, r := range got {
		i, ok := byPos[tp{r.Partition, r.Offset}]
		if !ok {
			t.Fatalf("consumed a record at %d/%d that no response offset names", r.Partition, r.Offset)
		}
		w := want[i]
		if !bytes.Equal(r.Key, w.key) || (r.Key == nil) != (w.key == nil) {
			t.Errorf("record %d key %q, want %q", i, r.Key, w.key)
		}
		if !bytes.Equal(r.Value, w.value) || (r.Value == nil) != (w.value == nil) {
			t.Errorf("record %d value %q, want %q", i, r.Value, w.value)
		}
		if len(r.Headers) != len(w.headers) {
			t.Errorf("record %d headers %v, want %v", i, r.Headers, w.headers)
		} else {
			for k := range w.headers {
				if r.Headers[k].Key != w.headers[k].Key || !bytes.Equal(r.Headers[k].Value, w.headers[k].Value) {
					t.Errorf("record %d header %d = %v, want %v", i, k, r.Headers[k], w.headers[k])
				}
			}
		}
		if !w.timestamp.IsZero() && !r.Timestamp.Equal(w.timestamp) {
			t.Errorf("record %d timestamp %v, want %v", i, r.Timestamp, w.timestamp)
		}
		if w.timestamp.IsZero() && time.Since(r.Timestamp) > time.Minute {
			t.Errorf("record %d timestamp %v: not set at produce time", i, r.Timestamp)
		}
	}
}

// TestProduceMixedRecordErrors: a failed record's error lands on its own
// offsets entry, between records that succeeded.
func TestProduceMixedRecordErrors(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		ts := startServer(t, b, nil)
		topic := createTopic(t, b, 1)
		body := `{"records":[{"value":"YQ==","partition":0},{"value":"Yg==","partition":7},{"value":"Yw=="},{"value":"ZA==","partition":3}]}`
		status, resp, _ := ts.do(t, "POST", "/topics/"+topic, map[string]string{"Content-Type": "application/vnd.kafka.binary.v2+json"}, []byte(body))
		want := `{"key_schema_id":null,"value_schema_id":null,"offsets":[` +
			`{"partition":0,"offset":0,"error_code":null,"error":null},` +
			`{"partition":null,"offset":null,"error_code":40402,"error":"Partition not found."},` +
			`{"partition":0,"offset":1,"error_code":null,"error":null},` +
			`{"partition":null,"offset":null,"error_code":40402,"error":"Partition not found."}]}`
		if status != 200 || resp != want {
			t.Fatalf("produce: %d %s\nwant 200 %s", status, resp, want)
		}
	})
}

// TestProduceDeliveryTimeout: when Kafka never takes the records, the
// request answers at producer.delivery.timeout.ms with a retriable
// per-record error, instead of hanging; the records keep their share of the
// produce budget until kgo lets go of them.
func TestProduceDeliveryTimeout(t *testing.T) {
	t.Parallel()
	b := fakeBroker(t)
	ts := startServer(t, b, map[string]string{"producer.delivery.timeout.ms": "700"})
	ct := map[string]string{"Content-Type": "application/vnd.kafka.binary.v2+json"}
	if status, resp, _ := ts.do(t, "POST", "/topics/slow", ct, []byte(`{"records":[{"value":"YQ=="}]}`)); status != 200 {
		t.Fatalf("first produce: %d %s", status, resp)
	}
	var healed atomic.Bool // then the broker answers again, so shutdown can flush
	defer healed.Store(true)
	b.fake.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		if healed.Load() {
			return nil, nil, false
		}
		b.fake.KeepControl()
		time.Sleep(2 * time.Second) // longer than the delivery timeout
		return nil, errors.New("dropped"), true
	})
	start := time.Now()
	status, resp, _ := ts.do(t, "POST", "/topics/slow", ct, []byte(`{"records":[{"value":"Yg=="},{"value":"Yw=="}]}`))
	took := time.Since(start)
	want := `{"key_schema_id":null,"value_schema_id":null,"offsets":[` +
		`{"partition":null,"offset":null,"error_code":50003,"error":"Kafka did not acknowledge the record within producer.delivery.timeout.ms"},` +
		`{"partition":null,"offset":null,"error_code":50003,"error":"Kafka did not acknowledge the record within producer.delivery.timeout.ms"}]}`
	if status != 200 || resp != want {
		t.Errorf("produce to a broker that never answers: %d %s\nwant 200 %s", status, resp, want)
	}
	if took > 1900*time.Millisecond {
		t.Errorf("answered after %v: the delivery timeout (700 ms) did not bound the wait", took)
	}
	// kgo still holds the records, so they still count against the
	// produce budget, until the broker answers again.
	if ts.producer.BudgetUsed() == 0 {
		t.Error("the produce budget was released while kgo still held the records")
	}
	healed.Store(true)
	eventually(t, 30*time.Second, "the budget to be released", func() bool { return ts.producer.BudgetUsed() == 0 })
}
