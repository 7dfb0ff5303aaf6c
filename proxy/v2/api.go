package v2

import (
	"sync/atomic"

	"github.com/krest-dev/krest/pool"
	"github.com/krest-dev/krest/proxy/admin"
	"github.com/krest-dev/krest/proxy/clients"
	"github.com/krest-dev/krest/proxy/config"
	"github.com/krest-dev/krest/proxy/consumer"
	"github.com/krest-dev/krest/proxy/directory"
	"github.com/krest-dev/krest/proxy/metrics"
	"github.com/krest-dev/krest/proxy/produce"
	"github.com/krest-dev/krest/proxy/schema"
)

// API holds what the v1/v2 handlers work with; its methods are the
// handlers. Every field but Schemas must be set.
type API struct {
	Config    *config.Config
	Producer  *produce.Producer
	Admin     *admin.Client
	Consumers *consumer.Manager
	Fetcher   *consumer.Fetcher
	Schemas   *schema.Resolver // nil without schema.registry.url
	// Clients picks each request's Kafka clients: Producer, Admin and
	// Fetcher, or the caller's own (authentication.propagate).
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
