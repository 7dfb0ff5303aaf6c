package v2

import (
	"encoding/base64"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/codec"
	"github.com/krest-dev/krest/pool"
	"github.com/krest-dev/krest/proxy/config"
	"github.com/krest-dev/krest/proxy/produce"
)

// handSeeds are envelopes the hand decode takes and some it must leave to
// parse.
var handSeeds = []string{
	`{"records":[{"value":"dmFs"}]}`,
	`{"records":[{"key":"a2V5","value":"dmFs","partition":2,"timestamp":1700000000000}]}`,
	` { "records" : [ {} , { "value" : null } ] } `,
	`{"records":[{"value":"x","headers":[{"name":"h","value":"aGk="},{"name":null,"value":null},{}]}]}`,
	`{"records":[{"value":"x","headers":[]}, {"headers":null}]}`,
	`{"records":[{"timestamp":"2023-11-14T22:13:20Z","partition":-0}]}`,
	`{"records":[{"value":"é"}]}`,
	// left to parse
	`{"records":[]}`, `{"records":null}`, `{"records":[null]}`, `{"records":[{"value":"\/w=="}]}`,
	`{"records":[{"value":{"a":1}}]}`, `{"records":[{"value":1.5}]}`, `{"records":[{"value":"x","value":"y"}]}`,
	`{"records":[{"bogus":1}]}`, `{"value_schema_id":1,"records":[{"value":"x"}]}`, `{"records":[{"value":"x"}],"key_schema":null}`,
	`{"records":[{"value":"x"}]}x`, `{"records":[{"value":"x"},]}`, `{"records":[{"partition":01}]}`, `{"records":[{"value":"` + "\xff" + `"}]}`,
	`{"records":[{"headers":[{"name":"a\u0062","value":null}]}]}`, `{"Records":[{}]}`, `null`, ``,
}

// FuzzParseHand holds the hand decode to sonic's: whatever it takes, parse
// takes too and decodes to the same envelope, byte for byte; whatever it
// leaves, it leaves no trace of.
func FuzzParseHand(f *testing.F) {
	for _, s := range handSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		hand := getProduceJob()
		defer putProduceJob(hand)
		var charge recordCharge
		if !hand.parseHand(body, 1000, &charge, false) {
			if len(hand.req.Records) != 0 || charge.records != 0 {
				t.Fatalf("%q: left with %d records decoded and %d charged", body, len(hand.req.Records), charge.records)
			}
			return
		}
		if charge.records < len(hand.req.Records) {
			t.Fatalf("%q: %d records, %d charged", body, len(hand.req.Records), charge.records)
		}
		strict := getProduceJob()
		defer putProduceJob(strict)
		if err := strict.parse(append([]byte(nil), body...)); err != nil {
			t.Fatalf("%q: taken by hand, refused by parse: %v", body, err)
		}
		if !reflect.DeepEqual(hand.req, strict.req) {
			t.Fatalf("%q: by hand %s, by parse %s", body, showRequest(&hand.req), showRequest(&strict.req))
		}
	})
}

// FuzzDecodeUnchecked holds the binary format's unchecked hand decode to
// parse: a body it takes and build then accepts, parse and build accept
// too, into the same records. (A body build refuses is decoded again by
// parse in API.decodeProduce.)
func FuzzDecodeUnchecked(f *testing.F) {
	for _, s := range handSeeds {
		f.Add([]byte(s))
	}
	for _, s := range []string{`{"records":[{"value":"YWJj\"}]}`, `{"records":[{"key":"YQ==","value":"YW` + "\x01" + `Jj"}]}`, `{"records":[{"value":"YWJj` + "\n" + `"}]}`} {
		f.Add([]byte(s))
	}
	start := time.Now()
	f.Fuzz(func(t *testing.T, body []byte) {
		hand := getProduceJob()
		defer putProduceJob(hand)
		var charge recordCharge
		if !hand.parseHand(body, 1000, &charge, true) || hand.build(codec.Binary, "t", produce.AutoPartition) != nil {
			return
		}
		strict := getProduceJob()
		defer putProduceJob(strict)
		if err := strict.decode(append([]byte(nil), body...), codec.Binary, "t", produce.AutoPartition); err != nil {
			t.Fatalf("%q: taken unchecked and built, refused by parse and build: %v", body, err)
		}
		for i := range hand.batch.Records { // the time of Seal, which differs
			if h, s := &hand.batch.Records[i], &strict.batch.Records[i]; h.Timestamp.After(start) && s.Timestamp.After(start) {
				h.Timestamp = s.Timestamp
			}
		}
		if !reflect.DeepEqual(hand.batch.Records, strict.batch.Records) {
			t.Fatalf("%q: unchecked %+v, by parse %+v", body, hand.batch.Records, strict.batch.Records)
		}
	})
}

// showRequest prints an envelope with its raw values as text (and nil
// apart from empty).
func showRequest(r *produceRequest) string {
	var b strings.Builder
	raw := func(name string, v []byte) {
		if v != nil {
			fmt.Fprintf(&b, " %s=%q", name, v)
		}
	}
	for i, rec := range r.Records {
		fmt.Fprintf(&b, "[%d", i)
		raw("key", rec.Key)
		raw("value", rec.Value)
		raw("partition", rec.Partition)
		raw("timestamp", rec.Timestamp)
		if rec.Headers != nil {
			fmt.Fprintf(&b, " headers(%d)", len(rec.Headers))
			for _, h := range rec.Headers {
				fmt.Fprintf(&b, " %q", h.Name)
				raw("value", h.Value)
			}
		}
		b.WriteString("]")
	}
	fmt.Fprintf(&b, " schemas %v %v %v %v", r.KeySchema != nil, r.KeySchemaID != nil, r.ValueSchema != nil, r.ValueSchemaID != nil)
	return b.String()
}

// TestParseHandTakes pins which envelopes take the hand path, so that a
// change cannot quietly send the common ones back to sonic.
func TestParseHandTakes(t *testing.T) {
	for i, s := range handSeeds {
		want := i < 7
		j := getProduceJob()
		var charge recordCharge
		taken := j.parseHand([]byte(s), 1000, &charge, false)
		putProduceJob(j)
		if taken != want {
			t.Errorf("%q: taken %v, want %v", s, taken, want)
		}
	}
}

// TestParseHandBounds checks the hand decode's two bounds: past
// request.records.max it leaves the body to boundRecords (and its 413),
// and it charges the memory budget ahead of the records it decodes; when
// the budget cannot cover the next step it leaves the body too (for the
// exact charge of parse's way, which says 429), and whenever it leaves a
// body it gives the budget all back.
func TestParseHandBounds(t *testing.T) {
	body := func(n int) []byte {
		return []byte(`{"records":[` + strings.TrimSuffix(strings.Repeat(`{"value":"YQ=="},`, n), ",") + `]}`)
	}
	for _, tc := range []struct {
		name    string
		records int
		limit   int
		budget  int64 // records' worth
		taken   bool
	}{
		{"one", 1, 10, 100, true},
		{"at the limit", 10, 10, 100, true},
		{"past the limit", 11, 10, 100, false},
		{"budget enough", 100, 1000, 128, true},
		{"budget short", 100, 1000, 64, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := pool.NewBudget(tc.budget * decodeRecordCost)
			j := getProduceJob()
			defer putProduceJob(j)
			charge := recordCharge{mem: mem}
			if taken := j.parseHand(body(tc.records), tc.limit, &charge, false); taken != tc.taken {
				t.Fatalf("taken %v", taken)
			}
			if tc.taken && len(j.req.Records) != tc.records {
				t.Fatalf("%d records", len(j.req.Records))
			}
			if held := mem.Used(); tc.taken != (held > 0) || held < int64(len(j.req.Records))*decodeRecordCost {
				t.Fatalf("%d bytes held for %d records", held, len(j.req.Records))
			}
			charge.release()
			if held := mem.Used(); held != 0 {
				t.Fatalf("%d bytes held after release", held)
			}
		})
	}
}

// BenchmarkParse compares the hand decode of row 1's envelope (500
// records of 1 KiB), its values unchecked (binary) and checked, with
// sonic's.
func BenchmarkParse(b *testing.B) {
	value := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("v", 1024)))
	body := []byte(`{"records":[` + strings.TrimSuffix(strings.Repeat(`{"value":"`+value+`"},`, 500), ",") + `]}`)
	for _, unchecked := range []bool{true, false} {
		b.Run(map[bool]string{true: "hand-unchecked", false: "hand-checked"}[unchecked], func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				j := getProduceJob()
				var charge recordCharge
				if !j.parseHand(body, 1000, &charge, unchecked) {
					b.Fatal("not taken")
				}
				putProduceJob(j)
			}
		})
	}
	b.Run("sonic", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			j := getProduceJob()
			if err := j.parse(body); err != nil {
				b.Fatal(err)
			}
			putProduceJob(j)
		}
	})
}

// TestDecodeProduceAgain checks API.decodeProduce's second decode: a
// binary body the hand decode takes unchecked but build refuses is decoded
// again by parse, so its error is exactly the one parse and build give it;
// and what both take ends in the same records.
func TestDecodeProduceAgain(t *testing.T) {
	a := &API{Config: &config.Config{MaxRequestRecords: 1000}, Memory: pool.NewBudget(1 << 30)}
	for _, body := range []string{
		"{\"records\":[{\"value\":\"YW\x01Jj\"}]}",       // a control character: malformed JSON
		"{\"records\":[{\"value\":\"YWJj\xff\"}]}",       // not UTF-8
		`{"records":[{"value":"YWJj\\"}]}`,               // an escaped quote: the string does not end
		`{"records":[{"value":"YWJj\\"},{"value":"x"}]}`, // and the next one starts inside it
		`{"records":[{"value":"!!!!"}]}`,                 // not base64
		`{"records":[{"value":"YQ==","partition":-5}]}`,  // no such partition
		`{"records":[{"key":"YQ==","value":"YW\/J\u006A"}]}`,
		`{"records":[{"value":"YWJj"},{"value":"YWJj"}]}`,
	} {
		strict := getProduceJob()
		wantErr := strict.decode([]byte(body), codec.Binary, "t", produce.AutoPartition)
		j := getProduceJob()
		charge := recordCharge{mem: a.Memory}
		var ctx fasthttp.RequestCtx
		err := a.decodeProduce(&ctx, j, []byte(body), codec.Binary, "t", produce.AutoPartition, &charge)
		switch {
		case (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error():
			t.Errorf("%q: %v, want %v", body, err, wantErr)
		case err == nil && len(j.batch.Records) != len(strict.batch.Records):
			t.Errorf("%q: %d records, want %d", body, len(j.batch.Records), len(strict.batch.Records))
		case err == nil && charge.records < len(j.batch.Records):
			t.Errorf("%q: %d records charged for %d", body, charge.records, len(j.batch.Records))
		}
		for i := range j.batch.Records {
			if err == nil && string(j.batch.Records[i].Value) != string(strict.batch.Records[i].Value) {
				t.Errorf("%q: record %d %q, want %q", body, i, j.batch.Records[i].Value, strict.batch.Records[i].Value)
			}
		}
		charge.release()
		putProduceJob(j)
		putProduceJob(strict)
	}
	if used := a.Memory.Used(); used != 0 {
		t.Errorf("%d bytes of the budget still held", used)
	}
}
