// Package clients picks the Kafka clients a request runs with: krest's own,
// or, when krest acts in Kafka as each caller (authentication.propagate),
// the caller's own, from a pool keyed by the caller's credentials. Every API
// version asks it, so that v2 and v3 apply the same identity.
package clients

import (
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/krest-dev/krest/proxy/admin"
	"github.com/krest-dev/krest/proxy/consumer"
	"github.com/krest-dev/krest/proxy/identity"
	"github.com/krest-dev/krest/proxy/produce"
)

// Set is one identity's Kafka clients.
type Set struct {
	Producer *produce.Producer
	Admin    *admin.Client
	Fetcher  *consumer.Fetcher
	// ConsumerOpts are the options of the identity's consumer instances
	// (with its credentials); nil for krest's own.
	ConsumerOpts []kgo.Opt
	// Close closes a caller's clients (nil for krest's own).
	Close func()
}

// Picker hands out the Set of a request's caller.
type Picker struct {
	// Own are krest's own clients.
	Own *Set
	// Callers, when set, gives each caller its own Set.
	Callers *identity.Pool[*Set]
}

// For returns the clients of a caller with credentials c (ok: the caller
// has some, as rest.Credentials reports them), and the function to call
// when the request is done with them. Without credentials, or without
// Callers, they are krest's own.
func (p *Picker) For(c identity.Credentials, ok bool) (*Set, func(), error) {
	if p.Callers != nil && ok {
		return p.Callers.Acquire(c)
	}
	return p.Own, noRelease, nil
}

func noRelease() {}

// PurgeTopic makes every client of s forget topic: its id, partitions and
// buffered records.
func (s *Set) PurgeTopic(topic string) {
	s.Producer.PurgeTopic(topic)
	s.Admin.PurgeTopic(topic)
	s.Fetcher.PurgeTopic(topic)
}

// PurgeTopic makes krest's own clients and every caller's forget topic,
// once it is deleted through any of them.
func (p *Picker) PurgeTopic(topic string) {
	p.Own.PurgeTopic(topic)
	if p.Callers != nil {
		p.Callers.Each(func(s *Set) { s.PurgeTopic(topic) })
	}
}
