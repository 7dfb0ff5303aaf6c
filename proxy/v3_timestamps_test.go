package proxy

import (
	"strings"
	"testing"
	"time"
)

// TestV3ProduceTimestamps: a v3 record's timestamp is read as Jackson
// reads an Instant in Confluent's proxy. A number is seconds since the
// epoch (1700000000 was once stored as 1970-01-20T16:13:20Z, read as
// milliseconds), a decimal seconds and their fraction, a string of digits
// the number it spells, another string an ISO-8601 instant; Kafka stores
// milliseconds. Each record is checked in its result line and as a
// consumer reads it back, through the streaming produce and the batch.
func TestV3ProduceTimestamps(t *testing.T) {
	t.Parallel()
	b := fakeBroker(t)
	ts := startServer(t, b, nil)
	cluster := fakeClusterID(t, ts)
	topic := createTopic(t, b, 1)
	const (
		notInstant = "not an ISO-8601 instant or a number of seconds since the epoch"
		outOfRange = "a record's timestamp runs from the epoch, 1970-01-01T00:00:00Z, to 2262-04-11T23:47:16.854Z"
	)
	cases := []struct {
		timestamp string // the JSON value
		want      string // the stored instant, or the error message
	}{
		{`1700000000`, "2023-11-14T22:13:20Z"},
		{`1700000000.5`, "2023-11-14T22:13:20.500Z"},
		{`1700000000.1239`, "2023-11-14T22:13:20.123Z"},
		{`17e8`, "2023-11-14T22:13:20Z"},
		{`1.7E+9`, "2023-11-14T22:13:20Z"},
		{`"1700000000"`, "2023-11-14T22:13:20Z"},
		{`" 1700000000.25 "`, "2023-11-14T22:13:20.250Z"},
		{`"2021-02-05T19:14:42Z"`, "2021-02-05T19:14:42Z"},
		{`"2021-02-05T19:14:42.123456789Z"`, "2021-02-05T19:14:42.123Z"},
		{`"2021-02-05T20:14:42+01:00"`, "2021-02-05T19:14:42Z"},
		{`0`, "1970-01-01T00:00:00Z"},
		{`-0.0`, "1970-01-01T00:00:00Z"},
		{`1e-10`, "1970-01-01T00:00:00Z"},
		{`9223372036.854999`, "2262-04-11T23:47:16.854Z"},

		{`-1`, `Cannot deserialize value of type ` + "`java.time.Instant`" + ` from -1: ` + outOfRange},
		{`"-0.5"`, `Cannot deserialize value of type ` + "`java.time.Instant`" + ` from \"-0.5\": ` + outOfRange},
		{`"1969-12-31T23:59:59Z"`, `Cannot deserialize value of type ` + "`java.time.Instant`" + ` from \"1969-12-31T23:59:59Z\": ` + outOfRange},
		{`"9999-12-31T23:59:59.999Z"`, `Cannot deserialize value of type ` + "`java.time.Instant`" + ` from \"9999-12-31T23:59:59.999Z\": ` + outOfRange},
		{`9223372036.855`, `Cannot deserialize value of type ` + "`java.time.Instant`" + ` from 9223372036.855: ` + outOfRange},
		{`9223372036854775808`, `Cannot deserialize value of type ` + "`java.time.Instant`" + ` from 9223372036854775808: ` + outOfRange},
		{`1e64`, `Cannot deserialize value of type ` + "`java.time.Instant`" + ` from 1e64: ` + outOfRange},
		{`"yesterday"`, `Cannot deserialize value of type ` + "`java.time.Instant`" + ` from \"yesterday\": ` + notInstant},
		{`"+1700000000"`, `Cannot deserialize value of type ` + "`java.time.Instant`" + ` from \"+1700000000\": ` + notInstant},
		{`"17e8"`, `Cannot deserialize value of type ` + "`java.time.Instant`" + ` from \"17e8\": ` + notInstant},
		{`"1.2.3"`, `Cannot deserialize value of type ` + "`java.time.Instant`" + ` from \"1.2.3\": ` + notInstant},
		{`true`, `Cannot deserialize value of type ` + "`java.time.Instant`" + ` from true: ` + notInstant},
	}
	var body strings.Builder
	var want []string
	var stored []string
	offset := 0
	for _, tc := range cases {
		body.WriteString(`{"value":{"type":"STRING","data":"v"},"timestamp":` + tc.timestamp + "}\n")
		if strings.HasPrefix(tc.want, "Cannot") {
			want = append(want, `{"error_code":400,"message":"`+tc.want+`"}`)
			continue
		}
		want = append(want, `{"error_code":200,"cluster_id":"`+cluster+`","topic_name":"`+topic+`","partition_id":0,"offset":`+itoa(offset)+
			`,"timestamp":"`+tc.want+`","value":{"type":"STRING","size":1}}`)
		stored = append(stored, tc.want)
		offset++
	}
	got := streamAll(t, ts, cluster, topic, body.String())
	if len(got) != len(want) {
		t.Fatalf("%d result lines, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("timestamp %s:\n got %s\nwant %s", cases[i].timestamp, got[i], want[i])
		}
	}

	// The batch reads timestamps the same way.
	path := "/v3/clusters/" + cluster + "/topics/" + topic + "/records:batch"
	code, batch, _ := ts.do(t, "POST", path, map[string]string{"Content-Type": "application/json"},
		[]byte(`{"entries":[{"id":"s","value":{"type":"STRING","data":"v"},"timestamp":1700000000},{"id":"q","value":{"type":"STRING","data":"v"},"timestamp":"1700000000.5"}]}`))
	wantBatch := `{"successes":[{"id":"s","cluster_id":"` + cluster + `","topic_name":"` + topic + `","partition_id":0,"offset":` + itoa(offset) + `,"timestamp":"2023-11-14T22:13:20Z","value":{"type":"STRING","size":1}},` +
		`{"id":"q","cluster_id":"` + cluster + `","topic_name":"` + topic + `","partition_id":0,"offset":` + itoa(offset+1) + `,"timestamp":"2023-11-14T22:13:20.500Z","value":{"type":"STRING","size":1}}],"failures":[]}`
	if code != 207 || batch != wantBatch {
		t.Errorf("batch: %d %s\nwant 207 %s", code, batch, wantBatch)
	}
	stored = append(stored, "2023-11-14T22:13:20Z", "2023-11-14T22:13:20.500Z")

	// An empty string is no timestamp: the time of the produce.
	before := time.Now().Add(-time.Second)
	got = streamAll(t, ts, cluster, topic, `{"value":{"type":"STRING","data":"v"},"timestamp":" "}`)
	if len(got) != 1 || !strings.HasPrefix(got[0], `{"error_code":200,`) {
		t.Fatalf("empty timestamp: %v", got)
	}

	recs := consumeAll(t, b, topic, len(stored)+1)
	for i, r := range recs[:len(stored)] {
		if s := strings.Replace(r.Timestamp.UTC().Format("2006-01-02T15:04:05.000Z"), ".000Z", "Z", 1); s != stored[i] {
			t.Errorf("record %d: stored at %s (%d ms), want %s", i, s, r.Timestamp.UnixMilli(), stored[i])
		}
	}
	if now := recs[len(stored)].Timestamp; now.Before(before) || now.After(time.Now().Add(time.Second)) {
		t.Errorf("the record without a timestamp was stored at %s, not now", now)
	}
}
