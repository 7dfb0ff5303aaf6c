package v3

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/pool"
	"github.com/krest-dev/krest/proxy/clients"
	"github.com/krest-dev/krest/proxy/config"
	"github.com/krest-dev/krest/proxy/consumer"
	"github.com/krest-dev/krest/proxy/metrics"
	"github.com/krest-dev/krest/proxy/policy"
	"github.com/krest-dev/krest/proxy/rest"
	"github.com/krest-dev/krest/proxy/schema"
)

// API holds what the v3 handlers work with; its methods are the handlers.
// Config and Clients must be set.
type API struct {
	Config  *config.Config
	Clients *clients.Picker
	// Consumers are krest's v2 consumer instances, which the consumer
	// group endpoints name.
	Consumers *consumer.Manager
	Schemas   *schema.Resolver // nil without schema.registry.url
	// Metrics counts records produced (nil: not counted).
	Metrics *metrics.Metrics
	// ProduceLimits are api.v3.produce.rate.limit.* (nil: none).
	ProduceLimits *policy.ProduceLimits
	// Memory is the request memory budget produce charges its records to
	// (nil: none).
	Memory *pool.Budget

	clusterID atomic.Pointer[string] // learnt once: a cluster's id never changes

	// Streaming produces in progress, for EndStreams.
	streams sync.WaitGroup
	live    sync.Map // *stream → struct{}
	closing atomic.Bool

	produceStreams, tails atomic.Int64 // open now
}

// OpenStreams returns the streaming produces and the topic tails open now.
func (a *API) OpenStreams() (produce, tails int64) { return a.produceStreams.Load(), a.tails.Load() }

// call is one request's view of Kafka: the caller's clients, a bounded
// context for the Kafka calls and the request's URL builder. end releases
// it.
type call struct {
	kc      *clients.Set
	release func()
	c       context.Context
	cancel  context.CancelFunc
	u       urls
}

func (cl *call) end() {
	cl.cancel()
	cl.release()
}

// begin starts a call for a request under /v3/clusters/{cluster}; with
// check, a {cluster} other than the cluster's id is 404.
func (a *API) begin(ctx *fasthttp.RequestCtx, check bool) (*call, error) {
	cluster, err := rest.PathParam(ctx, "cluster")
	if err != nil {
		return nil, err
	}
	kc, release, err := a.Clients.For(rest.Credentials(ctx))
	if err != nil {
		return nil, err
	}
	c, cancel := rest.KafkaContext()
	cl := &call{kc: kc, release: release, c: c, cancel: cancel}
	if check {
		id, err := a.cluster(cl)
		if err != nil {
			cl.end()
			return nil, err
		}
		if cluster != id {
			cl.end()
			return nil, errClusterNotFound(cluster)
		}
	}
	cl.u = a.urls(ctx, cluster)
	return cl, nil
}

// cluster returns the cluster's id.
func (a *API) cluster(cl *call) (string, error) {
	if id := a.clusterID.Load(); id != nil {
		return *id, nil
	}
	info, err := cl.kc.Admin.Cluster(cl.c)
	if err != nil {
		return "", err
	}
	if info.ID == "" {
		return "", errNoClusterID
	}
	a.clusterID.Store(&info.ID)
	return info.ID, nil
}

// errNoClusterID is a broker too old to say its cluster's id (Metadata
// below v2).
var errNoClusterID = rest.Errorf(502, 502, "Kafka protocol version not supported.")

func errClusterNotFound(id string) error {
	return rest.Errorf(404, rest.CodeNotFound, "Cluster %s cannot be found.", id)
}
