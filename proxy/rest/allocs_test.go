//go:build !race

package rest

import "testing"

// TestNegotiationAllocs: what the chain does for every request (the
// Content-Type of a produce, Accept of a plain and of a records reply)
// allocates nothing.
func TestNegotiationAllocs(t *testing.T) {
	ct := []byte("application/vnd.kafka.binary.v2+json")
	accept := []byte("application/vnd.kafka.JSON.v2+json, application/json;q=0.5")
	if a := testing.AllocsPerRun(100, func() {
		ProduceFormat(ct)
		Negotiate(accept, AnswerPlain, 2)
		Negotiate(accept, AnswerRecords, 2)
		Negotiate(accept, AnswerMessages, 2)
	}); a != 0 {
		t.Errorf("negotiation: %.1f allocations per request, want 0", a)
	}
}
