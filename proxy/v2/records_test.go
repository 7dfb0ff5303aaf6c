package v2

import (
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/krest-dev/krest/codec"
	"github.com/krest-dev/krest/proxy/rest"
)

// TestAppendRecordsRejectsInvalidJSON: a json-format instance meeting bytes
// that are not JSON answers 40801 naming the record, as Confluent's proxy.
func TestAppendRecordsRejectsInvalidJSON(t *testing.T) {
	t.Parallel()
	recs := []*kgo.Record{{Topic: "t", Partition: 2, Offset: 7, Value: []byte("not json")}}
	s := &API{}
	_, err := s.appendRecords(nil, recs, codec.JSON, recordStyle{topic: true})
	e, ok := err.(*rest.Error)
	if !ok || e.Status != 408 || e.Code != 40801 || !strings.Contains(e.Message, "topic t partition 2 offset 7") {
		t.Fatalf("appendRecords: %v", err)
	}
	// Structurally fine but a bad escape: must not reach a response verbatim.
	badEscape := []*kgo.Record{{Topic: "t", Value: []byte(`"\x"`)}}
	if _, err := s.appendRecords(nil, badEscape, codec.JSON, recordStyle{}); err == nil {
		t.Error("a value with a bad string escape was rendered")
	}
	out, err := s.appendRecords(nil, recs, codec.Binary, recordStyle{})
	if err != nil || string(out) != `[{"key":null,"value":"bm90IGpzb24=","partition":2,"offset":7}]` {
		t.Fatalf("binary: %s %v", out, err)
	}
}

// TestAppendRecordsTopics: each record names its own topic, quoted once per
// run of equal topics and copied after that.
func TestAppendRecordsTopics(t *testing.T) {
	t.Parallel()
	recs := []*kgo.Record{
		{Topic: "a", Offset: 1}, {Topic: "a", Offset: 2}, {Topic: "b.c", Offset: 3}, {Topic: "a", Offset: 4},
	}
	out, err := (&API{}).appendRecords(make([]byte, 0, 8), recs, codec.Binary, recordStyle{topic: true})
	want := `[{"topic":"a","key":null,"value":null,"partition":0,"offset":1},` +
		`{"topic":"a","key":null,"value":null,"partition":0,"offset":2},` +
		`{"topic":"b.c","key":null,"value":null,"partition":0,"offset":3},` +
		`{"topic":"a","key":null,"value":null,"partition":0,"offset":4}]`
	if err != nil || string(out) != want {
		t.Fatalf("appendRecords = %s, %v\nwant %s", out, err, want)
	}
}
