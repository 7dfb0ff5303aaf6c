package v3

import "github.com/krest-dev/krest/proxy/rest"

// configRoutes are the topic, broker and cluster config endpoints. The
// router prefers the literal "-" to {topic} and {broker}, and matches
// "configs:alter" as a segment of its own.
func (a *API) configRoutes(c string) []rest.Route {
	const (
		tc = "/topics/{topic}/configs"
		bc = "/brokers/{broker}/configs"
	)
	return []rest.Route{
		get(c+"/topics/-/configs", "api.v3.topic-configs.list", a.ListAllTopicsConfigs),
		withBody("POST", c+"/topics/-/configs:alter", "api.v3.topic-configs.alter-multi", a.AlterTopicsConfigs),
		get(c+tc, "api.v3.topic-configs.list", a.ListTopicConfigs),
		withBody("POST", c+tc+":alter", "api.v3.topic-configs.alter", a.AlterTopicConfigs),
		get(c+tc+"/{config}", "api.v3.topic-configs.get", a.GetTopicConfig),
		withBody("PUT", c+tc+"/{config}", "api.v3.topic-configs.update", a.UpdateTopicConfig),
		plain("DELETE", c+tc+"/{config}", "api.v3.topic-configs.delete", a.ResetTopicConfig),

		get(c+"/brokers/-/configs", "api.v3.brokers-configs.list", a.ListAllBrokersConfigs),
		get(c+bc, "api.v3.broker-configs.list", a.ListBrokerConfigs),
		withBody("POST", c+bc+":alter", "api.v3.broker-configs.alter", a.AlterBrokerConfigs),
		get(c+bc+"/{config}", "api.v3.broker-configs.get", a.GetBrokerConfig),
		withBody("PUT", c+bc+"/{config}", "api.v3.broker-configs.update", a.UpdateBrokerConfig),
		plain("DELETE", c+bc+"/{config}", "api.v3.broker-configs.delete", a.ResetBrokerConfig),

		get(c+"/broker-configs", "api.v3.cluster-configs.list", a.ListClusterConfigs),
		withBody("POST", c+"/broker-configs:alter", "api.v3.cluster-configs.alter", a.AlterClusterConfigs),
		get(c+"/broker-configs/{config}", "api.v3.cluster-configs.get", a.GetClusterConfig),
		withBody("PUT", c+"/broker-configs/{config}", "api.v3.cluster-configs.update", a.UpdateClusterConfig),
		plain("DELETE", c+"/broker-configs/{config}", "api.v3.cluster-configs.delete", a.DeleteClusterConfig),
	}
}
