package v2

import (
	"sync/atomic"

	"github.com/krest-dev/krest/pool"
	"github.com/krest-dev/krest/proxy/clients"
	"github.com/krest-dev/krest/proxy/config"
	"github.com/krest-dev/krest/proxy/consumer"
	"github.com/krest-dev/krest/proxy/directory"
	"github.com/krest-dev/krest/proxy/metrics"
	"github.com/krest-dev/krest/proxy/schema"
)

// API holds what the v1/v2 handlers work with; its methods are the
// handlers. Config, Consumers and Clients must be set.
type API struct {
	Config    *config.Config
	Consumers *consumer.Manager
	Schemas   *schema.Resolver // nil without schema.registry.url
	// Clients picks each request's Kafka clients: krest's own, or the
	// caller's own (authentication.propagate).
	Clients *clients.Picker
	// Metrics counts records produced and consumed (nil: not counted).
	Metrics *metrics.Metrics
	// Directory, when set, records which krest owns each consumer
	// instance, for the peers that forward to it.
	Directory *directory.Directory
	// Memory is the request memory budget the chain charges bodies to; a
	// produce also charges its records before decoding them (nil: none).
	Memory *pool.Budget

	streams atomic.Int64 // streamed reads open
}

// OpenStreams returns the streamed reads open now.
func (a *API) OpenStreams() int64 { return a.streams.Load() }
