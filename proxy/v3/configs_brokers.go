package v3

import (
	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/proxy/admin"
	"github.com/krest-dev/krest/proxy/rest"
)

// brokerConfigCall starts a call about {broker}'s configs.
func (a *API) brokerConfigCall(ctx *fasthttp.RequestCtx) (*call, admin.ConfigResource, error) {
	cl, info, err := a.describe(ctx)
	if err != nil {
		return nil, admin.ConfigResource{}, err
	}
	b, err := brokerParam(ctx, info)
	if err != nil {
		cl.end()
		return nil, admin.ConfigResource{}, err
	}
	return cl, admin.BrokerConfigs(b.ID), nil
}

// ListBrokerConfigs is GET …/brokers/{broker}/configs, sorted by name.
func (a *API) ListBrokerConfigs(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	cl, res, err := a.brokerConfigCall(ctx)
	if err != nil {
		return err
	}
	defer cl.end()
	cfgs, err := cl.kc.Admin.Configs(cl.c, res)
	if err != nil {
		return err
	}
	id, _ := parseID(res.Name)
	cluster := clusterOf(ctx)
	data := make([]configData, 0, len(cfgs))
	for _, c := range cfgs {
		data = append(data, cl.u.brokerConfig(cluster, id, c))
	}
	return writeJSON(ctx, 200, newList("KafkaBrokerConfigList", cl.u.self("brokers", res.Name, "configs"), data))
}

// ListAllBrokersConfigs is GET …/brokers/-/configs: the configs of every
// broker, by broker and then by name.
func (a *API) ListAllBrokersConfigs(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	cl, info, err := a.describe(ctx)
	if err != nil {
		return err
	}
	defer cl.end()
	rs := make([]admin.ConfigResource, len(info.Brokers))
	for i, b := range info.Brokers {
		rs[i] = admin.BrokerConfigs(b.ID)
	}
	all, err := cl.kc.Admin.DescribeConfigs(cl.c, rs...)
	if err != nil {
		return err
	}
	var data []configData
	for i, cfgs := range all {
		for _, c := range cfgs {
			data = append(data, cl.u.brokerConfig(info.ID, info.Brokers[i].ID, c))
		}
	}
	return writeJSON(ctx, 200, newList("KafkaBrokerConfigList", cl.u.self("brokers", "-", "configs"), data))
}

// GetBrokerConfig is GET …/brokers/{broker}/configs/{config}.
func (a *API) GetBrokerConfig(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	name, err := configParam(ctx)
	if err != nil {
		return err
	}
	cl, res, err := a.brokerConfigCall(ctx)
	if err != nil {
		return err
	}
	defer cl.end()
	c, err := cl.kc.Admin.Config(cl.c, res, name)
	if err != nil {
		return configErr(err, clusterOf(ctx))
	}
	id, _ := parseID(res.Name)
	return writeJSON(ctx, 200, cl.u.brokerConfig(clusterOf(ctx), id, c))
}

// UpdateBrokerConfig is PUT …/brokers/{broker}/configs/{config} with
// {"value":"v"}: 204.
func (a *API) UpdateBrokerConfig(ctx *fasthttp.RequestCtx, r rest.Request) error {
	return a.alterOne(ctx, r, a.brokerConfigCall, true, false)
}

// ResetBrokerConfig is DELETE …/brokers/{broker}/configs/{config}: 204.
func (a *API) ResetBrokerConfig(ctx *fasthttp.RequestCtx, r rest.Request) error {
	return a.alterOne(ctx, r, a.brokerConfigCall, true, true)
}

// AlterBrokerConfigs is POST …/brokers/{broker}/configs:alter with an
// AlterConfigBatch: 204. krest honours validate_only here too.
func (a *API) AlterBrokerConfigs(ctx *fasthttp.RequestCtx, r rest.Request) error {
	return a.alterBatch(ctx, r, a.brokerConfigCall, true)
}

// ---- cluster (dynamic default broker) configs ----

// clusterConfigCall starts a call about the cluster-wide broker configs.
func (a *API) clusterConfigCall(ctx *fasthttp.RequestCtx) (*call, admin.ConfigResource, error) {
	cl, err := a.begin(ctx, true)
	if err != nil {
		return nil, admin.ConfigResource{}, err
	}
	return cl, admin.ClusterBrokerConfigs, nil
}

// ListClusterConfigs is GET …/broker-configs: the cluster-wide dynamic
// broker configs that are set, sorted by name.
func (a *API) ListClusterConfigs(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	cl, res, err := a.clusterConfigCall(ctx)
	if err != nil {
		return err
	}
	defer cl.end()
	cfgs, err := cl.kc.Admin.Configs(cl.c, res)
	if err != nil {
		return err
	}
	cluster := clusterOf(ctx)
	data := make([]configData, 0, len(cfgs))
	for _, c := range cfgs {
		data = append(data, cl.u.clusterConfig(cluster, c))
	}
	return writeJSON(ctx, 200, newList("KafkaClusterConfigList", cl.u.self("broker-configs"), data))
}

// GetClusterConfig is GET …/broker-configs/{config}.
func (a *API) GetClusterConfig(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	name, err := configParam(ctx)
	if err != nil {
		return err
	}
	cl, res, err := a.clusterConfigCall(ctx)
	if err != nil {
		return err
	}
	defer cl.end()
	c, err := cl.kc.Admin.Config(cl.c, res, name)
	if err != nil {
		return configErr(err, clusterOf(ctx))
	}
	return writeJSON(ctx, 200, cl.u.clusterConfig(clusterOf(ctx), c))
}

// UpdateClusterConfig is PUT …/broker-configs/{config} with {"value":"v"}:
// 204. As the list holds only what is set, any name may be set (Kafka
// judges it).
func (a *API) UpdateClusterConfig(ctx *fasthttp.RequestCtx, r rest.Request) error {
	return a.alterOne(ctx, r, a.clusterConfigCall, false, false)
}

// DeleteClusterConfig is DELETE …/broker-configs/{config}: the
// cluster-wide value is removed; 204.
func (a *API) DeleteClusterConfig(ctx *fasthttp.RequestCtx, r rest.Request) error {
	return a.alterOne(ctx, r, a.clusterConfigCall, true, true)
}

// AlterClusterConfigs is POST …/broker-configs:alter with an
// AlterConfigBatch, unchecked as UpdateClusterConfig is: 204. krest
// honours validate_only here too.
func (a *API) AlterClusterConfigs(ctx *fasthttp.RequestCtx, r rest.Request) error {
	return a.alterBatch(ctx, r, a.clusterConfigCall, false)
}

// ---- shared alters ----

// configCall starts a call about one config resource.
type configCall func(*fasthttp.RequestCtx) (*call, admin.ConfigResource, error)

// alterOne sets {config} to the body's value or, with reset, resets it;
// with check, a config the resource lacks is 404.
func (a *API) alterOne(ctx *fasthttp.RequestCtx, r rest.Request, start configCall, check, reset bool) error {
	name, err := configParam(ctx)
	if err != nil {
		return err
	}
	ch := admin.ConfigChange{Name: name, Delete: reset}
	if !reset {
		if ch.Value, err = decodeValue(r.Body); err != nil {
			return err
		}
	}
	cl, res, err := start(ctx)
	if err != nil {
		return err
	}
	defer cl.end()
	err = cl.kc.Admin.AlterConfig(cl.c, check, false, admin.ResourceChanges{Resource: res, Changes: []admin.ConfigChange{ch}})
	if err != nil {
		return configErr(err, clusterOf(ctx))
	}
	return noContent(ctx)
}

// alterBatch applies an AlterConfigBatch to one resource.
func (a *API) alterBatch(ctx *fasthttp.RequestCtx, r rest.Request, start configCall, check bool) error {
	chs, validateOnly, err := decodeBatch(r.Body)
	if err != nil {
		return err
	}
	cl, res, err := start(ctx)
	if err != nil {
		return err
	}
	defer cl.end()
	err = cl.kc.Admin.AlterConfig(cl.c, check, validateOnly, admin.ResourceChanges{Resource: res, Changes: chs})
	if err != nil {
		return configErr(err, clusterOf(ctx))
	}
	return noContent(ctx)
}
