package config

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// javaOpt maps one Java client property onto a franz-go option.
type javaOpt func(v string) ([]kgo.Opt, error)

// commonOpts are Java client properties shared by producers, consumers and
// admin clients (client.* and each role's own prefix).
var commonOpts = map[string]javaOpt{
	"client.id":                          func(v string) ([]kgo.Opt, error) { return one(kgo.ClientID(v)) },
	"metadata.max.age.ms":                msOpt(kgo.MetadataMaxAge),
	"connections.max.idle.ms":            msOpt(kgo.ConnIdleTimeout),
	"socket.connection.setup.timeout.ms": msOpt(kgo.DialTimeout),
	"retry.backoff.ms": msOpt(func(d time.Duration) kgo.Opt {
		return kgo.RetryBackoffFn(func(int) time.Duration { return d })
	}),
}

// producerOpts are Java producer properties (producer.* and client.*).
var producerOpts = map[string]javaOpt{
	"acks": func(v string) ([]kgo.Opt, error) {
		switch v {
		case "all", "-1":
			return one(kgo.RequiredAcks(kgo.AllISRAcks()))
		case "1":
			return []kgo.Opt{kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite()}, nil
		case "0":
			return []kgo.Opt{kgo.RequiredAcks(kgo.NoAck()), kgo.DisableIdempotentWrite()}, nil
		}
		return nil, fmt.Errorf("must be all, -1, 1 or 0, got %q", v)
	},
	"enable.idempotence": func(v string) ([]kgo.Opt, error) {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("must be true or false, got %q", v)
		}
		if !b {
			return one(kgo.DisableIdempotentWrite())
		}
		return nil, nil
	},
	"linger.ms":                             msOpt(kgo.ProducerLinger),
	"delivery.timeout.ms":                   msOpt(kgo.RecordDeliveryTimeout),
	"request.timeout.ms":                    msOpt(kgo.ProduceRequestTimeout),
	"max.request.size":                      intOpt(func(n int) kgo.Opt { return kgo.ProducerBatchMaxBytes(int32(min(n, 1<<30))) }),
	"retries":                               intOpt(kgo.RecordRetries),
	"max.in.flight.requests.per.connection": intOpt(kgo.MaxProduceRequestsInflightPerBroker),
	"compression.type": func(v string) ([]kgo.Opt, error) {
		var c kgo.CompressionCodec
		switch strings.ToLower(v) {
		case "none":
			c = kgo.NoCompression()
		case "gzip":
			c = kgo.GzipCompression()
		case "snappy":
			c = kgo.SnappyCompression()
		case "lz4":
			c = kgo.Lz4Compression()
		case "zstd":
			c = kgo.ZstdCompression()
		default:
			return nil, fmt.Errorf("must be none, gzip, snappy, lz4 or zstd, got %q", v)
		}
		return one(kgo.ProducerBatchCompression(c))
	},
}

// consumerOpts are Java consumer properties (consumer.* and client.*).
var consumerOpts = map[string]javaOpt{
	"fetch.max.wait.ms":             msOpt(kgo.FetchMaxWait),
	"fetch.min.bytes":               intOpt(func(n int) kgo.ConsumerOpt { return kgo.FetchMinBytes(int32(min(n, 1<<30))) }),
	"session.timeout.ms":            msOpt(kgo.SessionTimeout),
	"heartbeat.interval.ms":         msOpt(kgo.HeartbeatInterval),
	"max.poll.interval.ms":          msOpt(kgo.RebalanceTimeout),
	"client.rack":                   func(v string) ([]kgo.Opt, error) { return one(kgo.Rack(v)) },
	"partition.assignment.strategy": assignmentStrategy,
	"isolation.level": func(v string) ([]kgo.Opt, error) {
		switch v {
		case "read_uncommitted":
			return one(kgo.FetchIsolationLevel(kgo.ReadUncommitted()))
		case "read_committed":
			return one(kgo.FetchIsolationLevel(kgo.ReadCommitted()))
		}
		return nil, fmt.Errorf("must be read_uncommitted or read_committed, got %q", v)
	},
}

// assignors maps the Java consumer's assignor class names (and their
// short protocol names) onto franz-go's balancers.
var assignors = map[string]func() kgo.GroupBalancer{
	"org.apache.kafka.clients.consumer.RangeAssignor":             kgo.RangeBalancer,
	"org.apache.kafka.clients.consumer.RoundRobinAssignor":        kgo.RoundRobinBalancer,
	"org.apache.kafka.clients.consumer.StickyAssignor":            kgo.StickyBalancer,
	"org.apache.kafka.clients.consumer.CooperativeStickyAssignor": kgo.CooperativeStickyBalancer,
	"range":              kgo.RangeBalancer,
	"roundrobin":         kgo.RoundRobinBalancer,
	"sticky":             kgo.StickyBalancer,
	"cooperative-sticky": kgo.CooperativeStickyBalancer,
}

// defaultAssignors sets the Java consumer's default
// partition.assignment.strategy, range then cooperative-sticky: the group
// balances eagerly with range, as Confluent's proxy does, until every member
// lists cooperative-sticky first. (franz-go's own default is
// cooperative-sticky alone.) Members that join together balance in one
// round; a member joining later waits, as with Java consumers, until the
// others learn of the rebalance at their next heartbeat.
func defaultAssignors() kgo.Opt {
	return kgo.Balancers(kgo.RangeBalancer(), kgo.CooperativeStickyBalancer())
}

// assignmentStrategy parses partition.assignment.strategy, a comma list in
// order of preference.
func assignmentStrategy(v string) ([]kgo.Opt, error) {
	var bs []kgo.GroupBalancer
	for _, name := range strings.Split(v, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		b, ok := assignors[name]
		if !ok {
			return nil, fmt.Errorf("must list RangeAssignor, RoundRobinAssignor, StickyAssignor or CooperativeStickyAssignor (org.apache.kafka.clients.consumer.*), got %q", name)
		}
		bs = append(bs, b())
	}
	if len(bs) == 0 {
		return nil, fmt.Errorf("must name at least one assignor")
	}
	return one(kgo.Balancers(bs...))
}

// consumerIgnored are Java consumer properties with no effect in krest.
var consumerIgnored = map[string]string{
	"max.poll.records":          "reads are bounded by max_bytes and consumer.buffer.max.bytes",
	"fetch.max.bytes":           "set by consumer.buffer.max.bytes",
	"max.partition.fetch.bytes": "set by consumer.buffer.max.bytes",
	"enable.auto.commit":        "set per instance with auto.commit.enable",
	"auto.offset.reset":         "set per instance with auto.offset.reset",
	"key.deserializer":          "krest deserializes records itself",
	"value.deserializer":        "krest deserializes records itself",
	"group.id":                  "the group is the {group} of the request path",
}

// producerIgnored are Java producer properties with no franz-go equivalent.
var producerIgnored = map[string]string{
	"batch.size":        "franz-go fills batches up to max.request.size",
	"key.serializer":    "krest serializes records itself",
	"value.serializer":  "krest serializes records itself",
	"partitioner.class": "krest uses the Java-compatible murmur2 key partitioner",
	"send.buffer.bytes": "not configurable in franz-go",
}

// metadataMinAge is how soon franz-go may ask for metadata again. Its
// default, 5 s, is also how long a produce to a just-created topic waits
// when the first answer has no leader yet; the Java client retries after
// 100 ms (retry.backoff.ms), and so does krest: the first produce to an
// auto-created topic is answered in about 120 ms (270 ms at 250 ms).
const metadataMinAge = 100 * time.Millisecond

// metadataRetryTimeout bounds how long the admin client retries a
// metadata request that failed (no broker reachable, a refused dial):
// metadata, v2's and v3's reads of it, fails within it while Kafka is
// down, instead of at the request's Kafka timeout (15 s). A broker that
// answers slowly is not cut short: the bound applies between retries.
const metadataRetryTimeout = 2 * time.Second

// adminRetryTimeout is franz-go's retry timeout of the admin client: its
// default (30 s) but for metadata.
func adminRetryTimeout(key int16) time.Duration {
	if key == (&kmsg.MetadataRequest{}).Key() {
		return metadataRetryTimeout
	}
	return 30 * time.Second
}

// ProducerOpts returns the franz-go options of the shared producer: seeds,
// krest's defaults (idempotent, acks=all, linger 5 ms, no compression and
// auto topic creation, as the Java producer has; the delivery time is bounded per
// request, see ProduceDeliveryTimeout), then the client.* and
// producer.* pass-through keys. Parse has already validated them and put
// keys without a franz-go equivalent in Warnings.
func (c *Config) ProducerOpts() []kgo.Opt {
	return c.mustOpts(c.producerOpts)
}

// AdminOpts returns the franz-go options of the metadata/admin client: seeds,
// then client.* and admin.* keys. It never auto-creates topics, so a GET of
// a missing topic stays a 404.
func (c *Config) AdminOpts() []kgo.Opt {
	return c.mustOpts(c.adminOpts)
}

func (c *Config) mustOpts(build func() ([]kgo.Opt, []string, error)) []kgo.Opt {
	opts, _, err := build()
	if err != nil {
		panic("config: options of a Config that Parse did not validate: " + err.Error())
	}
	return opts
}

func (c *Config) producerOpts() ([]kgo.Opt, []string, error) {
	base := []kgo.Opt{
		kgo.SeedBrokers(c.BootstrapServers...),
		kgo.AllowAutoTopicCreation(),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(5 * time.Millisecond),
		kgo.ProducerBatchCompression(kgo.NoCompression()), // franz-go's default is snappy
		kgo.MetadataMinAge(metadataMinAge),
	}
	opts, warnings, err := withJava(base, roleProducer, "client.", c.Client)
	if err != nil {
		return nil, nil, err
	}
	more, w, err := withJava(nil, roleProducer, "producer.", c.Producer)
	return append(append(opts, more...), c.kafkaSecurity[roleProducer]...), append(warnings, w...), err
}

// ConsumerOpts returns the franz-go options shared by every consumer
// instance: seeds, the Java consumer's default assignors, then client.* and consumer.* pass-through keys (the
// proxy-level consumer.* keys of Consumers excluded).
func (c *Config) ConsumerOpts() []kgo.Opt {
	return c.mustOpts(c.consumerOpts)
}

func (c *Config) consumerOpts() ([]kgo.Opt, []string, error) {
	base := []kgo.Opt{kgo.SeedBrokers(c.BootstrapServers...), kgo.MetadataMinAge(metadataMinAge), defaultAssignors()}
	opts, warnings, err := withJava(base, roleConsumer, "client.", c.Client)
	if err != nil {
		return nil, nil, err
	}
	more, w, err := withJava(nil, roleConsumer, "consumer.", c.Consumer)
	return append(append(opts, more...), c.kafkaSecurity[roleConsumer]...), append(warnings, w...), err
}

func (c *Config) adminOpts() ([]kgo.Opt, []string, error) {
	opts, warnings, err := withJava([]kgo.Opt{kgo.SeedBrokers(c.BootstrapServers...), kgo.MetadataMinAge(metadataMinAge),
		kgo.RetryTimeoutFn(adminRetryTimeout)}, roleAdmin, "client.", c.Client)
	if err != nil {
		return nil, nil, err
	}
	more, w, err := withJava(nil, roleAdmin, "admin.", c.Admin)
	return append(append(opts, more...), c.kafkaSecurity[roleAdmin]...), append(warnings, w...), err
}

// role is the kind of client a pass-through map configures.
type role int

const (
	roleProducer role = iota
	roleConsumer
	roleAdmin
)

// withJava appends the options of one pass-through map to opts.
func withJava(opts []kgo.Opt, r role, prefix string, props map[string]string) ([]kgo.Opt, []string, error) {
	more, warnings, err := mapJava(prefix, props, r, prefix == "client.")
	if err != nil {
		return nil, nil, err
	}
	return append(opts, more...), warnings, nil
}

// mapJava translates props for a client of role r. Keys of the shared
// client.* prefix that belong to another role are skipped silently: they are
// reported when that role's client is built.
func mapJava(prefix string, props map[string]string, r role, shared bool) (opts []kgo.Opt, warnings []string, err error) {
	roleOpts, roleIgnored := map[string]javaOpt{}, map[string]string{}
	switch r {
	case roleProducer:
		roleOpts, roleIgnored = producerOpts, producerIgnored
	case roleConsumer:
		roleOpts, roleIgnored = consumerOpts, consumerIgnored
	}
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := strings.TrimSpace(props[k])
		if isProxyConsumerKey(prefix+k) || serdeKeys[k] {
			continue // read by Parse: krest's own consumer settings, serializer settings
		}
		if k == "security.protocol" || strings.HasPrefix(k, "ssl.") || strings.HasPrefix(k, "sasl.") {
			continue // read by Config.security
		}
		fn, ok := commonOpts[k]
		if !ok {
			fn, ok = roleOpts[k]
		}
		if !ok && shared && knownToAnyRole(k) {
			continue
		}
		if !ok {
			if why, ignored := roleIgnored[k]; ignored {
				warnings = append(warnings, fmt.Sprintf("%s%s is ignored: %s", prefix, k, why))
			} else {
				warnings = append(warnings, fmt.Sprintf("%s%s has no franz-go equivalent and is ignored", prefix, k))
			}
			continue
		}
		o, err := fn(v)
		if err != nil {
			return nil, nil, fmt.Errorf("%s%s: %w", prefix, k, err)
		}
		opts = append(opts, o...)
	}
	return opts, warnings, nil
}

// isProxyConsumerKey reports keys that configure krest's consumer
// instances rather than the Kafka consumer.
func isProxyConsumerKey(k string) bool {
	_, ok := defaults[k]
	return ok
}

func knownToAnyRole(k string) bool {
	_, p := producerOpts[k]
	_, pi := producerIgnored[k]
	_, c := consumerOpts[k]
	_, ci := consumerIgnored[k]
	return p || pi || c || ci
}

func one(o kgo.Opt) ([]kgo.Opt, error) { return []kgo.Opt{o}, nil }

func msOpt[O kgo.Opt](f func(time.Duration) O) javaOpt {
	return func(v string) ([]kgo.Opt, error) {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%q is not a non-negative number of milliseconds", v)
		}
		return one(f(time.Duration(n) * time.Millisecond))
	}
}

func intOpt[O kgo.Opt](f func(int) O) javaOpt {
	return func(v string) ([]kgo.Opt, error) {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%q is not a non-negative integer", v)
		}
		return one(f(n))
	}
}
