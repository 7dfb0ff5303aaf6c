package v3

import (
	"errors"

	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/proxy/admin"
	"github.com/krest-dev/krest/proxy/rest"
)

// configData is Confluent's TopicConfigData, BrokerConfigData and
// ClusterConfigData: exactly one of TopicName, BrokerID and ConfigType is
// set.
type configData struct {
	Kind        string          `json:"kind"`
	Metadata    Metadata        `json:"metadata"`
	ClusterID   string          `json:"cluster_id"`
	TopicName   *string         `json:"topic_name,omitempty"`
	BrokerID    *int32          `json:"broker_id,omitempty"`
	ConfigType  string          `json:"config_type,omitempty"`
	Name        string          `json:"name"`
	Value       *string         `json:"value"`
	IsDefault   bool            `json:"is_default"`
	IsReadOnly  bool            `json:"is_read_only"`
	IsSensitive bool            `json:"is_sensitive"`
	Source      string          `json:"source"`
	Synonyms    []configSynonym `json:"synonyms"`
}

// configSynonym is Confluent's ConfigSynonymData.
type configSynonym struct {
	Name   string  `json:"name"`
	Value  *string `json:"value"`
	Source string  `json:"source"`
}

// configSource is Confluent's name of where a config comes from: the Java
// admin client's ConfigEntry.ConfigSource, or UNKNOWN where Confluent's
// ConfigSource lacks it (client metrics).
func configSource(s kmsg.ConfigSource) string {
	switch s {
	case kmsg.ConfigSourceDynamicTopicConfig:
		return "DYNAMIC_TOPIC_CONFIG"
	case kmsg.ConfigSourceDynamicBrokerConfig:
		return "DYNAMIC_BROKER_CONFIG"
	case kmsg.ConfigSourceDynamicDefaultBrokerConfig:
		return "DYNAMIC_DEFAULT_BROKER_CONFIG"
	case kmsg.ConfigSourceStaticBrokerConfig:
		return "STATIC_BROKER_CONFIG"
	case kmsg.ConfigSourceDefaultConfig:
		return "DEFAULT_CONFIG"
	case kmsg.ConfigSourceDynamicBrokerLoggerConfig:
		return "DYNAMIC_BROKER_LOGGER_CONFIG"
	case kmsg.ConfigSourceGroupConfig:
		return "DYNAMIC_GROUP_CONFIG"
	}
	return "UNKNOWN"
}

func newConfigData(kind string, md Metadata, cluster string, c admin.Config) configData {
	d := configData{
		Kind: kind, Metadata: md, ClusterID: cluster, Name: c.Name, Value: c.Value,
		IsDefault: c.Default, IsReadOnly: c.ReadOnly, IsSensitive: c.Sensitive, Source: configSource(c.Source),
		Synonyms: make([]configSynonym, 0, len(c.Synonyms)),
	}
	for _, s := range c.Synonyms {
		d.Synonyms = append(d.Synonyms, configSynonym{Name: s.Name, Value: s.Value, Source: configSource(s.Source)})
	}
	return d
}

func (u urls) topicConfig(cluster, topic string, c admin.Config) configData {
	d := newConfigData("KafkaTopicConfig", u.meta([]string{"topics", topic, "configs", c.Name}, "topic", topic, "config", c.Name), cluster, c)
	d.TopicName = &topic
	return d
}

func (u urls) brokerConfig(cluster string, broker int32, c admin.Config) configData {
	id := admin.FormatID(broker)
	d := newConfigData("KafkaBrokerConfig", u.meta([]string{"brokers", id, "configs", c.Name}, "broker", id, "config", c.Name), cluster, c)
	d.BrokerID = &broker
	return d
}

func (u urls) clusterConfig(cluster string, c admin.Config) configData {
	d := newConfigData("KafkaClusterConfig", u.meta([]string{"broker-configs", c.Name}, "broker-config", c.Name), cluster, c)
	d.ConfigType = "BROKER"
	return d
}

// errNullPayload is Confluent's answer to an alter without data.
var errNullPayload = errPayload("Null input provided. Data is required.")

// configErr gives a config the resource lacks Confluent's 404, which names
// the cluster.
func configErr(err error, cluster string) error {
	var nf *admin.ConfigNotFoundError
	if errors.As(err, &nf) {
		return rest.Errorf(404, rest.CodeNotFound, "Config %s cannot be found for %s %s in cluster %s.",
			nf.Name, nf.Resource.Type, nf.Resource.Name, cluster)
	}
	return err
}

// configParam is the {config} path parameter, a config's name.
func configParam(ctx *fasthttp.RequestCtx) (string, error) { return rest.PathParam(ctx, "config") }

// updateConfigRequest is Confluent's Update{Topic,Broker,Cluster}ConfigRequest.
type updateConfigRequest struct {
	Value *jstring `json:"value"`
}

// alterEntry is one change of an AlterConfigBatchRequestData.
type alterEntry struct {
	Name      *jstring `json:"name"`
	Value     *jstring `json:"value"`
	Operation *string  `json:"operation"` // SET (the default) or DELETE
}

// alterConfigBatch is Confluent's AlterConfigBatchRequestData.
type alterConfigBatch struct {
	Data         []alterEntry `json:"data"`
	ValidateOnly jbool        `json:"validate_only"`
}

// changes turns entries into config changes as Jackson would read them.
func changes(entries []alterEntry) ([]admin.ConfigChange, error) {
	out := make([]admin.ConfigChange, 0, len(entries))
	for _, e := range entries {
		if e.Name == nil {
			return nil, rest.Errorf(400, rest.CodeBadRequest, "Cannot construct instance of `AlterEntry`, problem: Null name")
		}
		ch := admin.ConfigChange{Name: string(*e.Name), Value: e.Value.ptr()}
		if e.Operation != nil {
			switch *e.Operation {
			case "SET":
			case "DELETE":
				ch.Delete = true
			default:
				return nil, rest.Errorf(400, rest.CodeBadRequest,
					"Cannot deserialize value of type `AlterOperation` from String %q: not one of the values accepted for Enum class: [SET, DELETE]", *e.Operation)
			}
		}
		out = append(out, ch)
	}
	return out, nil
}

// decodeBatch reads an AlterConfigBatchRequestData.
func decodeBatch(body []byte) ([]admin.ConfigChange, bool, error) {
	var req alterConfigBatch
	if err := decode(body, &req, errNullPayload); err != nil {
		return nil, false, err
	}
	if req.Data == nil {
		return nil, false, errNullPayload
	}
	chs, err := changes(req.Data)
	return chs, bool(req.ValidateOnly), err
}

// decodeValue reads an Update…ConfigRequest.
func decodeValue(body []byte) (*string, error) {
	var req updateConfigRequest
	if err := decode(body, &req, errNullPayload); err != nil {
		return nil, err
	}
	return req.Value.ptr(), nil
}

// ---- topic configs ----

// topicConfigCall starts a call about {topic}'s configs.
func (a *API) topicConfigCall(ctx *fasthttp.RequestCtx) (*call, admin.ConfigResource, error) {
	topic, err := rest.TopicParam(ctx)
	if err != nil {
		return nil, admin.ConfigResource{}, err
	}
	cl, err := a.begin(ctx, true)
	if err != nil {
		return nil, admin.ConfigResource{}, err
	}
	return cl, admin.TopicConfigs(topic), nil
}

// ListTopicConfigs is GET …/topics/{topic}/configs, sorted by name.
func (a *API) ListTopicConfigs(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	cl, res, err := a.topicConfigCall(ctx)
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
		data = append(data, cl.u.topicConfig(cluster, res.Name, c))
	}
	return writeJSON(ctx, 200, newList("KafkaTopicConfigList", cl.u.self("topics", res.Name, "configs"), data))
}

// ListAllTopicsConfigs is GET …/topics/-/configs: the configs of every
// topic but Kafka's internal ones, by topic and then by name.
func (a *API) ListAllTopicsConfigs(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	cl, err := a.begin(ctx, true)
	if err != nil {
		return err
	}
	defer cl.end()
	topics, all, err := cl.kc.Admin.TopicsConfigs(cl.c)
	if err != nil {
		return err
	}
	cluster := clusterOf(ctx)
	var data []configData
	for i, cfgs := range all {
		for _, c := range cfgs {
			data = append(data, cl.u.topicConfig(cluster, topics[i], c))
		}
	}
	return writeJSON(ctx, 200, newList("KafkaTopicConfigList", cl.u.self("topics", "-", "configs"), data))
}

// GetTopicConfig is GET …/topics/{topic}/configs/{config}.
func (a *API) GetTopicConfig(ctx *fasthttp.RequestCtx, _ rest.Request) error {
	name, err := configParam(ctx)
	if err != nil {
		return err
	}
	cl, res, err := a.topicConfigCall(ctx)
	if err != nil {
		return err
	}
	defer cl.end()
	c, err := cl.kc.Admin.Config(cl.c, res, name)
	if err != nil {
		return configErr(err, clusterOf(ctx))
	}
	return writeJSON(ctx, 200, cl.u.topicConfig(clusterOf(ctx), res.Name, c))
}

// UpdateTopicConfig is PUT …/topics/{topic}/configs/{config} with
// {"value":"v"}: 204.
func (a *API) UpdateTopicConfig(ctx *fasthttp.RequestCtx, r rest.Request) error {
	return a.alterOne(ctx, r, a.topicConfigCall, true, false)
}

// ResetTopicConfig is DELETE …/topics/{topic}/configs/{config}: the
// config goes back to its default; 204.
func (a *API) ResetTopicConfig(ctx *fasthttp.RequestCtx, r rest.Request) error {
	return a.alterOne(ctx, r, a.topicConfigCall, true, true)
}

// AlterTopicConfigs is POST …/topics/{topic}/configs:alter with an
// AlterConfigBatch: the changes are made together; 204.
func (a *API) AlterTopicConfigs(ctx *fasthttp.RequestCtx, r rest.Request) error {
	return a.alterBatch(ctx, r, a.topicConfigCall, true)
}

// topicsAlter is Confluent's AlterMultipleTopicsConfigsBatchRequestData.
type topicsAlter struct {
	Data []struct {
		TopicName *jstring     `json:"topic_name"`
		Configs   []alterEntry `json:"configs"`
	} `json:"data"`
	ValidateOnly jbool `json:"validate_only"`
}

// topicFailure is one topic of a 207 answer to …/topics/-/configs:alter.
type topicFailure struct {
	TopicName string `json:"topic_name"`
	ErrorCode int    `json:"error_code"`
	Message   string `json:"message"`
}

// AlterTopicsConfigs is POST …/topics/-/configs:alter: each topic's
// changes are made together. A topic or config the cluster lacks fails the
// whole request (404) before anything changes; when Kafka refuses the
// changes of some topics, the answer is 207 with {"failures":[…]} (the
// other topics changed), else 204. A topic named twice gets its last
// changes, as Confluent's proxy does.
func (a *API) AlterTopicsConfigs(ctx *fasthttp.RequestCtx, r rest.Request) error {
	var req topicsAlter
	if err := decode(r.Body, &req, errNullPayload); err != nil {
		return err
	}
	if req.Data == nil {
		return errNullPayload
	}
	var rcs []admin.ResourceChanges
	index := map[string]int{}
	for _, e := range req.Data {
		if e.TopicName == nil {
			return rest.Errorf(400, rest.CodeBadRequest, "Cannot construct instance of `TopicAlterEntry`, problem: Null topicName")
		}
		if e.Configs == nil {
			return rest.Errorf(400, rest.CodeBadRequest, "Cannot construct instance of `TopicAlterEntry`, problem: Null configs")
		}
		topic := string(*e.TopicName)
		if err := admin.CheckTopicName(topic); err != nil {
			return err
		}
		chs, err := changes(e.Configs)
		if err != nil {
			return err
		}
		rc := admin.ResourceChanges{Resource: admin.TopicConfigs(topic), Changes: chs}
		if i, ok := index[topic]; ok {
			rcs[i] = rc
			continue
		}
		index[topic] = len(rcs)
		rcs = append(rcs, rc)
	}
	cl, err := a.begin(ctx, true)
	if err != nil {
		return err
	}
	defer cl.end()
	errs, err := cl.kc.Admin.AlterConfigs(cl.c, true, bool(req.ValidateOnly), rcs...)
	if err != nil {
		return configErr(err, clusterOf(ctx))
	}
	var failures []topicFailure
	for i, err := range errs {
		if err != nil {
			e := rest.Map(err)
			failures = append(failures, topicFailure{TopicName: rcs[i].Resource.Name, ErrorCode: e.Code, Message: e.Message})
		}
	}
	if len(failures) == 0 {
		return noContent(ctx)
	}
	return writeJSON(ctx, fasthttp.StatusMultiStatus, struct {
		Failures []topicFailure `json:"failures"`
	}{failures})
}

// ---- broker configs ----
