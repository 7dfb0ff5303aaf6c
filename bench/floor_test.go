package main

import (
	"bytes"
	"testing"
)

func TestRecordSetCut(t *testing.T) {
	body := []byte("aaaabbbbccccdd")
	var rs recordSet
	for _, n := range []int{3, 2, 3} { // grows, shrinks, grows again within capacity
		rs.cut(body, n, 4)
		if len(rs.recs) != n || len(rs.ptrs) != n {
			t.Fatalf("cut %d: %d records, %d pointers", n, len(rs.recs), len(rs.ptrs))
		}
		for i, p := range rs.ptrs {
			if p != &rs.recs[i] || !bytes.Equal(p.Value, body[i*4:(i+1)*4]) {
				t.Fatalf("cut %d: record %d is %q", n, i, p.Value)
			}
			if cap(p.Value) != 4 { // an append by kgo or a hook cannot reach the next record
				t.Fatalf("cut %d: record %d has capacity %d", n, i, cap(p.Value))
			}
		}
	}
}
