package admin

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ConfigResource is what a set of configs belongs to: a topic, a broker,
// or the cluster-wide dynamic broker defaults (ClusterBrokerConfigs).
type ConfigResource struct {
	Type kmsg.ConfigResourceType
	Name string
}

// TopicConfigs is the config resource of a topic.
func TopicConfigs(topic string) ConfigResource {
	return ConfigResource{Type: kmsg.ConfigResourceTypeTopic, Name: topic}
}

// BrokerConfigs is the config resource of one broker.
func BrokerConfigs(id int32) ConfigResource {
	return ConfigResource{Type: kmsg.ConfigResourceTypeBroker, Name: FormatID(id)}
}

// ClusterBrokerConfigs is the cluster-wide dynamic broker config (KIP-226):
// the broker resource with the empty name.
var ClusterBrokerConfigs = ConfigResource{Type: kmsg.ConfigResourceTypeBroker}

// Config is one config of a resource, as DescribeConfigs reports it.
type Config struct {
	Name string
	// Value is nil for a sensitive config, and for one without a value.
	Value     *string
	Default   bool // its value is Kafka's built-in default
	ReadOnly  bool
	Sensitive bool
	Source    kmsg.ConfigSource
	// Synonyms are where the value could come from, in order of
	// precedence; the first is usually the config itself.
	Synonyms []ConfigSynonym
}

// ConfigSynonym is one place a config's value may come from.
type ConfigSynonym struct {
	Name   string
	Value  *string
	Source kmsg.ConfigSource
}

// ConfigChange is one change of a resource's configs: set Name to Value,
// or, with Delete, reset it to its default.
type ConfigChange struct {
	Name   string
	Value  *string
	Delete bool
}

// ConfigNotFoundError is a change (or a question) naming a config the
// resource does not have.
type ConfigNotFoundError struct {
	Name     string
	Resource ConfigResource
}

func (e *ConfigNotFoundError) Error() string {
	return "config " + e.Name + " not found for " + e.Resource.Type.String() + " " + e.Resource.Name
}

// DescribeConfigs returns the configs of each resource, with synonyms, in
// the order asked, each sorted by name. A topic the cluster lacks is
// ErrTopicNotFound.
func (c *Client) DescribeConfigs(ctx context.Context, rs ...ConfigResource) ([][]Config, error) {
	out, errs, err := c.describeConfigs(ctx, rs)
	if err != nil {
		return nil, err
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// TopicsConfigs returns the configs of every topic but Kafka's internal
// ones, by topic name and then config name; a topic deleted meanwhile is
// left out.
func (c *Client) TopicsConfigs(ctx context.Context) ([]string, [][]Config, error) {
	names, err := c.TopicNames(ctx)
	if err != nil {
		return nil, nil, err
	}
	rs := make([]ConfigResource, len(names))
	for i, n := range names {
		rs[i] = TopicConfigs(n)
	}
	all, errs, err := c.describeConfigs(ctx, rs)
	if err != nil {
		return nil, nil, err
	}
	topics, out := names[:0], all[:0]
	for i, err := range errs {
		switch {
		case errors.Is(err, ErrTopicNotFound):
			continue
		case err != nil:
			return nil, nil, err
		}
		topics, out = append(topics, names[i]), append(out, all[i])
	}
	return topics, out, nil
}

// describeConfigs asks for the configs of rs: one answer or error per
// resource, or the failure to ask.
func (c *Client) describeConfigs(ctx context.Context, rs []ConfigResource) ([][]Config, []error, error) {
	out, errs := make([][]Config, len(rs)), make([]error, len(rs))
	if len(rs) == 0 {
		return out, errs, nil
	}
	req := kmsg.NewPtrDescribeConfigsRequest()
	req.IncludeSynonyms = true
	for _, r := range rs {
		rr := kmsg.NewDescribeConfigsRequestResource()
		rr.ResourceType, rr.ResourceName = r.Type, r.Name
		req.Resources = append(req.Resources, rr)
	}
	resp, err := req.RequestWith(ctx, c.cl)
	if err != nil {
		return nil, nil, err
	}
	for i, r := range rs {
		j := slices.IndexFunc(resp.Resources, func(x kmsg.DescribeConfigsResponseResource) bool {
			return x.ResourceType == r.Type && x.ResourceName == r.Name
		})
		if j < 0 {
			errs[i] = errors.New("kafka answered DescribeConfigs without " + r.Type.String() + " " + r.Name)
			continue
		}
		rr := resp.Resources[j]
		if errs[i] = resourceError(rr.ErrorCode, rr.ErrorMessage); errs[i] != nil {
			continue
		}
		cfgs := make([]Config, 0, len(rr.Configs))
		for _, e := range rr.Configs {
			cfg := Config{
				Name: e.Name, Value: e.Value, ReadOnly: e.ReadOnly, Sensitive: e.IsSensitive, Source: e.Source,
				Default:  e.IsDefault || e.Source == kmsg.ConfigSourceDefaultConfig,
				Synonyms: make([]ConfigSynonym, 0, len(e.ConfigSynonyms)),
			}
			for _, s := range e.ConfigSynonyms {
				cfg.Synonyms = append(cfg.Synonyms, ConfigSynonym{Name: s.Name, Value: s.Value, Source: s.Source})
			}
			cfgs = append(cfgs, cfg)
		}
		slices.SortFunc(cfgs, func(a, b Config) int { return strings.Compare(a.Name, b.Name) })
		out[i] = cfgs
	}
	return out, errs, nil
}

// Configs returns the configs of one resource, sorted by name.
func (c *Client) Configs(ctx context.Context, r ConfigResource) ([]Config, error) {
	all, err := c.DescribeConfigs(ctx, r)
	if err != nil {
		return nil, err
	}
	return all[0], nil
}

// Config returns one config of a resource; one it lacks is a
// *ConfigNotFoundError.
func (c *Client) Config(ctx context.Context, r ConfigResource, name string) (Config, error) {
	cfgs, err := c.Configs(ctx, r)
	if err != nil {
		return Config{}, err
	}
	for _, cfg := range cfgs {
		if cfg.Name == name {
			return cfg, nil
		}
	}
	return Config{}, &ConfigNotFoundError{Name: name, Resource: r}
}

// ResourceChanges are the changes to one resource's configs.
type ResourceChanges struct {
	Resource ConfigResource
	Changes  []ConfigChange
}

// AlterConfigs applies each resource's changes with IncrementalAlterConfigs
// (each resource's changes atomically); with validateOnly the controller
// only checks them. With check, every change must name a config its
// resource has (else a *ConfigNotFoundError, and nothing changes); the
// cluster-wide broker defaults list only what is set, so they are altered
// unchecked. The answer has one error (or nil) per resource, in order; a
// failure to ask at all (or of the check) is the second result.
func (c *Client) AlterConfigs(ctx context.Context, check, validateOnly bool, rcs ...ResourceChanges) ([]error, error) {
	if len(rcs) == 0 {
		return nil, nil
	}
	if check {
		rs := make([]ConfigResource, len(rcs))
		for i, rc := range rcs {
			rs[i] = rc.Resource
		}
		all, err := c.DescribeConfigs(ctx, rs...)
		if err != nil {
			return nil, err
		}
		for i, rc := range rcs {
			for _, ch := range rc.Changes {
				if !slices.ContainsFunc(all[i], func(cfg Config) bool { return cfg.Name == ch.Name }) {
					return nil, &ConfigNotFoundError{Name: ch.Name, Resource: rc.Resource}
				}
			}
		}
	}
	req := kmsg.NewPtrIncrementalAlterConfigsRequest()
	req.ValidateOnly = validateOnly
	for _, rc := range rcs {
		rr := kmsg.NewIncrementalAlterConfigsRequestResource()
		rr.ResourceType, rr.ResourceName = rc.Resource.Type, rc.Resource.Name
		for _, ch := range rc.Changes {
			cfg := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
			cfg.Name, cfg.Value = ch.Name, ch.Value
			if ch.Delete {
				cfg.Op, cfg.Value = kmsg.IncrementalAlterConfigOpDelete, nil
			}
			rr.Configs = append(rr.Configs, cfg)
		}
		req.Resources = append(req.Resources, rr)
	}
	resp, err := req.RequestWith(ctx, c.cl)
	if err != nil {
		return nil, err
	}
	errs := make([]error, len(rcs))
	for i, rc := range rcs {
		j := slices.IndexFunc(resp.Resources, func(x kmsg.IncrementalAlterConfigsResponseResource) bool {
			return x.ResourceType == rc.Resource.Type && x.ResourceName == rc.Resource.Name
		})
		if j < 0 {
			errs[i] = errors.New("kafka answered IncrementalAlterConfigs without " + rc.Resource.Type.String() + " " + rc.Resource.Name)
			continue
		}
		errs[i] = resourceError(resp.Resources[j].ErrorCode, resp.Resources[j].ErrorMessage)
	}
	return errs, nil
}

// AlterConfig applies one resource's changes; see AlterConfigs.
func (c *Client) AlterConfig(ctx context.Context, check, validateOnly bool, rc ResourceChanges) error {
	errs, err := c.AlterConfigs(ctx, check, validateOnly, rc)
	if err != nil {
		return err
	}
	return errs[0]
}

// resourceError is the error of one resource of a config request.
func resourceError(code int16, msg *string) error {
	err := kerr.ErrorForCode(code)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, kerr.UnknownTopicOrPartition):
		return ErrTopicNotFound
	case msg != nil:
		return withMessage(err, *msg)
	}
	return err
}
