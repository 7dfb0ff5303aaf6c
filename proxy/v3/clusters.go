package v3

import (
	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/proxy/admin"
	"github.com/krest-dev/krest/proxy/rest"
)

// clusterData is Confluent's ClusterData.
type clusterData struct {
	Kind                   string   `json:"kind"`
	Metadata               Metadata `json:"metadata"`
	ClusterID              string   `json:"cluster_id"`
	Controller             *Related `json:"controller"`
	ACLs                   Related  `json:"acls"`
	Brokers                Related  `json:"brokers"`
	BrokerConfigs          Related  `json:"broker_configs"`
	ConsumerGroups         Related  `json:"consumer_groups"`
	Topics                 Related  `json:"topics"`
	PartitionReassignments Related  `json:"partition_reassignments"`
}

// brokerData is Confluent's BrokerData.
type brokerData struct {
	Kind              string   `json:"kind"`
	Metadata          Metadata `json:"metadata"`
	ClusterID         string   `json:"cluster_id"`
	BrokerID          int32    `json:"broker_id"`
	Host              *string  `json:"host"`
	Port              *int32   `json:"port"`
	Rack              *string  `json:"rack"`
	Configs           Related  `json:"configs"`
	PartitionReplicas Related  `json:"partition_replicas"`
}

// describe asks the cluster about itself and checks its id against the
// request's.
func (a *API) describe(ctx *fasthttp.RequestCtx) (*call, admin.Cluster, error) {
	cl, err := a.begin(ctx, false)
	if err != nil {
		return nil, admin.Cluster{}, err
	}
	info, err := cl.kc.Admin.Cluster(cl.c)
	if err != nil {
		cl.end()
		return nil, admin.Cluster{}, err
	}
	if id, _ := rest.PathParam(ctx, "cluster"); id != "" && id != info.ID {
		cl.end()
		return nil, admin.Cluster{}, errClusterNotFound(id)
	}
	return cl, info, nil
}

func (u urls) cluster(info admin.Cluster) clusterData {
	d := clusterData{
		Kind: "KafkaCluster", Metadata: u.meta(nil), ClusterID: info.ID,
		ACLs: u.rel("acls"), Brokers: u.rel("brokers"), BrokerConfigs: u.rel("broker-configs"),
		ConsumerGroups: u.rel("consumer-groups"), Topics: u.rel("topics"),
		PartitionReassignments: u.rel("topics", "-", "partitions", "-", "reassignment"),
	}
	if info.Controller >= 0 {
		r := u.rel("brokers", admin.FormatID(info.Controller))
		d.Controller = &r
	}
	return d
}

func (u urls) broker(cluster string, b admin.Broker) brokerData {
	id := admin.FormatID(b.ID)
	d := brokerData{
		Kind: "KafkaBroker", Metadata: u.meta([]string{"brokers", id}, "broker", id),
		ClusterID: cluster, BrokerID: b.ID, Rack: b.Rack,
		Configs: u.rel("brokers", id, "configs"), PartitionReplicas: u.rel("brokers", id, "partition-replicas"),
	}
	if b.Host != "" {
		host, port := b.Host, b.Port
		d.Host, d.Port = &host, &port
	}
	return d
}

// ListClusters is GET /v3/clusters: the one cluster krest fronts.
func (a *API) ListClusters(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	cl, info, err := a.describe(ctx)
	if err != nil {
		return err
	}
	defer cl.end()
	cl.u = a.urls(ctx, info.ID)
	self := rest.BaseURL(ctx, a.Config) + "/v3/clusters"
	return writeJSON(ctx, 200, newList("KafkaClusterList", self, []clusterData{cl.u.cluster(info)}))
}

// GetCluster is GET /v3/clusters/{cluster}.
func (a *API) GetCluster(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	cl, info, err := a.describe(ctx)
	if err != nil {
		return err
	}
	defer cl.end()
	return writeJSON(ctx, 200, cl.u.cluster(info))
}

// ListBrokers is GET /v3/clusters/{cluster}/brokers.
func (a *API) ListBrokers(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	cl, info, err := a.describe(ctx)
	if err != nil {
		return err
	}
	defer cl.end()
	data := make([]brokerData, 0, len(info.Brokers))
	for _, b := range info.Brokers {
		data = append(data, cl.u.broker(info.ID, b))
	}
	return writeJSON(ctx, 200, newList("KafkaBrokerList", cl.u.self("brokers"), data))
}

// GetBroker is GET /v3/clusters/{cluster}/brokers/{broker}.
func (a *API) GetBroker(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	cl, info, err := a.describe(ctx)
	if err != nil {
		return err
	}
	defer cl.end()
	b, err := brokerParam(ctx, info)
	if err != nil {
		return err
	}
	return writeJSON(ctx, 200, cl.u.broker(info.ID, b))
}

// brokerParam is the {broker} path parameter, a broker of the cluster.
func brokerParam(ctx *fasthttp.RequestCtx, info admin.Cluster) (admin.Broker, error) {
	id, err := idParam(ctx, "broker")
	if err != nil {
		return admin.Broker{}, err
	}
	for _, b := range info.Brokers {
		if b.ID == id {
			return b, nil
		}
	}
	return admin.Broker{}, rest.Errorf(404, rest.CodeNotFound, "Broker %d cannot be found.", id)
}
