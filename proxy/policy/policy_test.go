package policy

import "testing"

func TestEndpoints(t *testing.T) {
	p := New(Config{
		Block:    []string{"api.v2.consumers.*", "api.v2.produce-to-topic.avro"},
		Disabled: []string{"api.v3."},
		Costs:    map[string]int{"api.v2.produce-to-topic.*": 5, "api.v2.produce-to-topic.binary": 2, "api.v2.root.get": 0}, DefaultCost: 1,
	})
	produce := p.Endpoint("api.v2.produce-to-topic", ".")
	for f, want := range map[int]bool{1: false, 2: false, 3: true, 4: false} {
		if produce.Blocked(f) != want {
			t.Errorf("produce format %s blocked = %v", Formats[f], !want)
		}
	}
	if produce.Cost(1) != 2 || produce.Cost(2) != 5 {
		t.Errorf("costs %d %d", produce.Cost(1), produce.Cost(2))
	}
	if !p.Endpoint("api.v2.consumers.consume", "-").Blocked(1) || !p.Endpoint("api.v3.topics.list", "").Blocked(0) {
		t.Error("patterns or disabled APIs do not block")
	}
	if p.Endpoint("api.v2.root.get", "").Cost(0) != 0 || p.Endpoint("api.v2.topics.list", "").Cost(0) != 1 {
		t.Error("exempt or default cost")
	}
	allow := New(Config{Allow: []string{"api.v2.topics.*", "api.v2.consumers.consume-json"}})
	if allow.Endpoint("api.v2.topics.list", "").Blocked(0) || allow.Endpoint("api.v2.brokers.list", "").Blocked(0) == false {
		t.Error("allowlist")
	}
	consume := allow.Endpoint("api.v2.consumers.consume", "-")
	if consume.Blocked(2) || !consume.Blocked(1) {
		t.Error("allowlist by consume format")
	}
}

// TestRateLimit: N permits per second, then k refusals (counted, not
// timed: a burst of N+k far inside one refill period).
func TestRateLimit(t *testing.T) {
	p := New(Config{RateLimit: true, Global: 100, PerClient: 3})
	refused := 0
	for range 5 {
		if !p.Allow("alice", 1) {
			refused++
		}
	}
	if refused != 2 {
		t.Errorf("alice: %d refusals, want 2", refused)
	}
	if !p.Allow("bob", 1) {
		t.Error("bob is limited by alice's use")
	}
	g := New(Config{RateLimit: true, Global: 4, PerClient: 100})
	refused = 0
	for i := range 6 {
		if !g.Allow(string(rune('a'+i)), 1) {
			refused++
		}
	}
	if refused != 2 {
		t.Errorf("global: %d refusals, want 2", refused)
	}
	if !New(Config{RateLimit: true, Global: 1}).Allow("x", 0) {
		t.Error("a zero cost is limited")
	}
}
