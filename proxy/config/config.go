// Package config holds krest's configuration: one Config struct, read from
// Java-style properties with Confluent REST Proxy key names, validated once,
// and turned into franz-go options in one place (ProducerOpts, AdminOpts).
//
// Keys are merged by the caller (cmd/krest) from, in rising precedence, the
// -config file, KREST_* environment variables and command-line flags, then
// handed to Parse.
package config

import (
	"crypto/tls"
	"fmt"
	"maps"
	"net"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Config is krest's validated configuration. The zero value is not valid;
// build one with Parse.
type Config struct {
	// Listeners are the HTTP addresses to serve on ("listeners", else
	// "port"); default http://0.0.0.0:8082.
	Listeners []Listener
	// AdvertisedListeners are the URLs clients should use to reach this
	// instance ("advertised.listeners"); they build consumer base_uri links.
	AdvertisedListeners []*url.URL
	// HostName is the deprecated "host.name" used for absolute URLs.
	HostName string
	// V3Produce configures v3 produce.
	V3Produce V3Produce
	// CRNAuthority is "confluent.resource.name.authority", the authority
	// of v3 resource names (crn://authority/kafka=...); empty by default.
	CRNAuthority string
	// ID is this instance's "id", used in generated consumer names.
	ID string
	// BootstrapServers are the Kafka seed brokers. Empty means dev mode:
	// cmd/krest starts an embedded broker.
	BootstrapServers []string
	// SchemaRegistryURL is "schema.registry.url". Empty means no registry,
	// except in dev mode, where cmd/krest starts an embedded one.
	SchemaRegistryURL string
	// SchemaRegistry holds the registry client settings.
	SchemaRegistry SchemaRegistry

	// MaxRequestBytes caps an HTTP request body, after gzip decoding
	// ("request.body.max.bytes", default 16 MiB); larger bodies get 413.
	MaxRequestBytes int
	// RequestMemoryBytes bounds the request bodies held at once, read or
	// being decoded, across all connections ("request.memory.max.bytes",
	// default 256 MiB): each body is charged before it is read, a produce
	// body's records before they are decoded, and what does not fit gets
	// 429 with Retry-After.
	RequestMemoryBytes int64
	// MaxRequestRecords caps the records of one produce request
	// ("request.records.max", default 100000; Confluent has no cap): more
	// are 413 before anything is decoded.
	MaxRequestRecords int
	// IdleTimeout closes idle keep-alive connections ("idle.timeout.ms",
	// default 30 s, as rest-utils).
	IdleTimeout time.Duration
	// HeaderTimeout bounds the wait for a request's first byte on a new
	// connection and for its headers ("request.header.timeout.ms", default
	// 10 s); slower clients get 408 and are disconnected.
	HeaderTimeout time.Duration
	// BodyTimeout bounds reading a request's body once its headers are in
	// ("request.body.timeout.ms", default 60 s).
	BodyTimeout time.Duration
	// MaxConnections caps open client connections ("connections.max",
	// default 10000); more are answered 503 and closed.
	MaxConnections int
	// MaxConnectionsPerIP caps the connections of one client address
	// ("connections.max.per.ip", default 0: no cap, since behind a load
	// balancer every connection comes from the balancer).
	MaxConnectionsPerIP int
	// ShutdownGrace bounds how long shutdown waits for in-flight requests
	// ("shutdown.graceful.ms", default 30 s). The producer is flushed after.
	ShutdownGrace time.Duration

	// ProduceBufferBytes bounds the bytes of records accepted but not yet
	// acknowledged by Kafka, across all requests ("producer.buffer.memory",
	// default 256 MiB). A request that does not fit waits up to
	// ProduceMaxBlock, then gets 429.
	ProduceBufferBytes int64
	// ProduceMaxBlock is "producer.max.block.ms" (default 5 s).
	ProduceMaxBlock time.Duration
	// ProduceDeliveryTimeout bounds how long a produce request waits for
	// Kafka to take its records ("producer.delivery.timeout.ms", default
	// 30 s; franz-go alone would retry forever, the Java client waits
	// 120 s). Records not acknowledged by then fail with 50003.
	ProduceDeliveryTimeout time.Duration

	// Consumers configures v1/v2 consumer instances.
	Consumers Consumers

	// FrontDoor configures https listeners and caller authentication.
	FrontDoor FrontDoor

	// MetricsTopicLabels bounds the topics with their own metrics label
	// ("metrics.topic.labels.max", default 100); the rest count as
	// "other".
	MetricsTopicLabels int
	// AccessLog writes one log line per request ("log.access", default
	// true).
	AccessLog bool
	// MetricsListener, when set ("metrics.listener", host:port), serves
	// GET /metrics instead of the main listeners; DebugListener
	// ("debug.listener") serves Go's pprof, never on the public listener.
	MetricsListener, DebugListener string

	// CORS is rest-utils' access.control.allow.origin, .allow.methods,
	// .allow.headers and .expose.headers; an empty AllowOrigin sends no
	// CORS headers.
	CORS CORS

	// Endpoints switches endpoints off; RateLimit limits request rates.
	Endpoints Endpoints
	RateLimit RateLimit
	// Tracing is OpenTelemetry tracing (otel.*), off unless an OTLP
	// endpoint is set.
	Tracing Tracing

	// Compression gzips responses of 1 KiB and more for clients that
	// accept it ("compression.enable", default true, as Confluent's).
	Compression bool

	// Client, Producer, Consumer and Admin hold the pass-through keys of the
	// client.*, producer.*, consumer.* and admin.* prefixes, prefix stripped.
	Client, Producer, Consumer, Admin map[string]string

	// Warnings lists keys that were accepted but have no effect, and
	// certificates close to their end.
	Warnings []string

	// kafkaSecurity holds the TLS and SASL options of each kind of Kafka
	// client, resolved once by Parse (see security.go).
	kafkaSecurity map[role][]kgo.Opt
	// kafkaSASL reports the roles whose last security option (and last
	// option) is their SASL mechanism, which ...As replaces.
	kafkaSASL map[role]bool
}

// SchemaRegistry configures the Schema Registry client and serializers.
type SchemaRegistry struct {
	// BasicAuthUser and BasicAuthPassword come from
	// "schema.registry.basic.auth.user.info" (user:password) with
	// basic.auth.credentials.source=USER_INFO (the default when set).
	BasicAuthUser, BasicAuthPassword string
	// BearerToken is "schema.registry.bearer.auth.token".
	BearerToken string
	// Timeout bounds each registry request ("schema.registry.request.timeout.ms",
	// default 10 s), so an unreachable registry fails requests instead of
	// hanging them.
	Timeout time.Duration
	// TLS configures https registries: "schema.registry.ssl.ca.location" (PEM
	// CA bundle to trust), and "schema.registry.ssl.certificate.location" +
	// "schema.registry.ssl.key.location" (PEM client certificate and key).
	// Nil uses the system roots.
	TLS *tls.Config
	// KeyStrategy and ValueStrategy name the subject of key and value
	// schemas: "topic" (TopicNameStrategy, the default), "record" or
	// "topic_record". Set with key.subject.name.strategy /
	// value.subject.name.strategy (Java class names or short names) under
	// the schema.registry., producer. or client. prefix, or bare.
	KeyStrategy, ValueStrategy string
}

// Listener is one HTTP listener.
type Listener struct {
	Scheme string // "http" or "https"
	Addr   string // host:port to listen on
}

// Defaults returns the values of every krest key that has one, a fresh
// map the caller may change; README's configuration table lists the same.
func Defaults() map[string]string { return maps.Clone(defaults) }

// defaults is what Defaults copies; nothing writes it.
var defaults = map[string]string{
	"listeners":                                "http://0.0.0.0:8082",
	"authentication.method":                    "NONE",
	"authentication.realm":                     "KafkaRest",
	"authentication.roles":                     "*",
	"authentication.bearer.principal.claim":    "sub",
	"authentication.bearer.leeway.ms":          "30000",
	"authentication.failure.limit.per.sec":     "1",
	"authentication.failure.limit.burst":       "10",
	"authentication.propagate.clients.max":     "100",
	"authentication.propagate.clients.idle.ms": "300000",
	"port":                                  "8082",
	"request.body.max.bytes":                "16777216",
	"request.memory.max.bytes":              "268435456",
	"request.records.max":                   "100000",
	"metrics.topic.labels.max":              "100",
	"log.access":                            "true",
	"compression.enable":                    "true",
	"api.v2.enable":                         "true",
	"api.v3.enable":                         "true",
	"rate.limit.enable":                     "false",
	"rate.limit.permits.per.sec":            "50",
	"rate.limit.per.client.permits.per.sec": "50",
	"rate.limit.default.cost":               "1",
	"rate.limit.timeout.ms":                 "0",
	"idle.timeout.ms":                       "30000",
	"request.header.timeout.ms":             "10000",
	"request.body.timeout.ms":               "60000",
	"connections.max":                       "10000",
	"connections.max.per.ip":                "0",
	"shutdown.graceful.ms":                  "30000",
	"producer.buffer.memory":                "268435456",
	"producer.max.block.ms":                 "5000",
	"producer.delivery.timeout.ms":          "30000",

	"consumer.request.timeout.ms":  "1000",
	"consumer.request.max.bytes":   "67108864",
	"consumer.stream.heartbeat.ms": "15000",
	"consumer.forwarding":          "forward",
	"consumer.directory.topic":     "_krest_consumer_instances",
	"consumer.instance.timeout.ms": "300000",
	"consumer.instances.max":       "10000",
	"consumer.buffer.max.bytes":    "8388608",
	"consumer.buffer.max.records":  "10000",
	"consumer.memory.max.bytes":    "1073741824",
	"fetch.min.bytes":              "-1",
}

// known lists the non-prefixed keys krest understands (beyond defaults).
var known = map[string]bool{
	"bootstrap.servers": true, "schema.registry.url": true, "id": true,
	"host.name": true, "advertised.listeners": true, "confluent.resource.name.authority": true, "consumer.forwarding.url": true,
	"consumer.forwarding.secret": true, "consumer.forwarding.secret.location": true, "consumer.forwarding.peers": true,
	"metrics.listener": true, "debug.listener": true, "log.level": true, "log.format": true,
	"access.control.allow.origin": true, "access.control.allow.methods": true,
	"access.control.allow.headers": true, "access.control.expose.headers": true,
}

// CORS configures cross-origin responses (rest-utils' keys).
type CORS struct {
	AllowOrigin, AllowMethods, AllowHeaders, ExposeHeaders string
}

// ignoredConfluent are Confluent keys that are accepted without effect.
var ignoredConfluent = map[string]string{
	"producer.threads":             "deprecated in Confluent's proxy too",
	"consumer.threads":             "krest has no read thread pool: reads wait on their own goroutine",
	"consumer.iterator.backoff.ms": "krest wakes reads when data arrives instead of polling",
	"consumer.iterator.timeout.ms": "unused in Confluent's proxy too",
	"debug":                        "krest never puts stack traces in responses",
}

// Parse validates props and returns the Config. Unknown keys and keys
// without an equivalent are reported in Config.Warnings; malformed values are
// errors naming the key.
func Parse(props map[string]string) (*Config, error) {
	get := func(k string) string {
		if v, ok := props[k]; ok {
			return strings.TrimSpace(v)
		}
		if v, ok := v3Defaults[k]; ok {
			return v
		}
		return defaults[k]
	}
	c := &Config{
		Client: map[string]string{}, Producer: map[string]string{},
		Consumer: map[string]string{}, Admin: map[string]string{},
	}
	var err error

	listeners := get("listeners")
	if _, set := props["listeners"]; !set {
		if _, portSet := props["port"]; portSet {
			listeners = "http://0.0.0.0:" + get("port")
		}
	}
	if c.Listeners, err = parseListeners(listeners); err != nil {
		return nil, err
	}
	for _, s := range splitList(get("advertised.listeners")) {
		u, err := url.Parse(s)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, fmt.Errorf("advertised.listeners: %q is not an http(s)://host:port URL", s)
		}
		c.AdvertisedListeners = append(c.AdvertisedListeners, u)
	}
	c.HostName = get("host.name")
	c.CRNAuthority = get("confluent.resource.name.authority")
	c.ID = get("id")
	c.BootstrapServers = splitList(get("bootstrap.servers"))
	for i, s := range c.BootstrapServers {
		if _, hostPort, ok := strings.Cut(s, "://"); ok {
			s = hostPort // SASL_SSL://host:9092, as Java clients accept
		}
		if _, _, err := net.SplitHostPort(s); err != nil {
			return nil, fmt.Errorf("bootstrap.servers: %q is not host:port", s)
		}
		c.BootstrapServers[i] = s
	}
	c.SchemaRegistryURL = strings.TrimRight(get("schema.registry.url"), "/")
	if err := c.parseSchemaRegistry(props, get); err != nil {
		return nil, err
	}

	n, err := positiveInt(get, "request.body.max.bytes")
	if err != nil {
		return nil, err
	}
	c.MaxRequestBytes = int(n)
	if c.RequestMemoryBytes, err = positiveInt(get, "request.memory.max.bytes"); err != nil {
		return nil, err
	}
	if n, err = positiveInt(get, "request.records.max"); err != nil {
		return nil, err
	}
	c.MaxRequestRecords = int(n)
	if c.IdleTimeout, err = millis(get, "idle.timeout.ms"); err != nil {
		return nil, err
	}
	if c.ShutdownGrace, err = millis(get, "shutdown.graceful.ms"); err != nil {
		return nil, err
	}
	if c.HeaderTimeout, err = positiveMillis(get, "request.header.timeout.ms"); err != nil {
		return nil, err
	}
	if c.BodyTimeout, err = positiveMillis(get, "request.body.timeout.ms"); err != nil {
		return nil, err
	}
	if n, err = positiveInt(get, "connections.max"); err != nil {
		return nil, err
	}
	c.MaxConnections = int(n)
	if n, err = strconv.ParseInt(get("connections.max.per.ip"), 10, 32); err != nil || n < 0 {
		return nil, fmt.Errorf("connections.max.per.ip: %q is not a non-negative integer", get("connections.max.per.ip"))
	}
	c.MaxConnectionsPerIP = int(n)
	if c.ProduceBufferBytes, err = positiveInt(get, "producer.buffer.memory"); err != nil {
		return nil, err
	}
	if c.ProduceMaxBlock, err = millis(get, "producer.max.block.ms"); err != nil {
		return nil, err
	}
	if c.ProduceDeliveryTimeout, err = millis(get, "producer.delivery.timeout.ms"); err != nil || c.ProduceDeliveryTimeout == 0 {
		return nil, fmt.Errorf("producer.delivery.timeout.ms: %q is not a positive number of milliseconds", get("producer.delivery.timeout.ms"))
	}

	if err := c.parseConsumers(get); err != nil {
		return nil, err
	}
	if err := c.parseFrontDoor(props, get); err != nil {
		return nil, err
	}
	if n, err = positiveInt(get, "metrics.topic.labels.max"); err != nil {
		return nil, err
	}
	c.MetricsTopicLabels = int(n)
	c.MetricsListener, c.DebugListener = get("metrics.listener"), get("debug.listener")
	c.CORS = CORS{
		AllowOrigin: get("access.control.allow.origin"), AllowMethods: get("access.control.allow.methods"),
		AllowHeaders: get("access.control.allow.headers"), ExposeHeaders: get("access.control.expose.headers"),
	}
	if err := c.parseV3(get); err != nil {
		return nil, err
	}
	if err := c.parseOps(get); err != nil {
		return nil, err
	}
	for key, dst := range map[string]*bool{"log.access": &c.AccessLog, "compression.enable": &c.Compression} {
		if *dst, err = strconv.ParseBool(get(key)); err != nil {
			return nil, fmt.Errorf("%s: %q is not true or false", key, get(key))
		}
	}

	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := props[k]
		switch {
		case known[k], defaults[k] != "", v3Defaults[k] != "", schemaRegistryKey(k), isFrontDoorKey(k), opsKeys[k]:
		case opsIgnored[k] != "":
			c.warnf("%s is ignored: %s", k, opsIgnored[k])
		case checkUnprefixedSecurity(k) != nil:
			return nil, checkUnprefixedSecurity(k)
		case ignoredConfluent[k] != "":
			c.warnf("%s is ignored: %s", k, ignoredConfluent[k])
		case strings.HasPrefix(k, "client."):
			c.Client[strings.TrimPrefix(k, "client.")] = v
		case strings.HasPrefix(k, "producer."):
			c.Producer[strings.TrimPrefix(k, "producer.")] = v
		case strings.HasPrefix(k, "consumer."):
			c.Consumer[strings.TrimPrefix(k, "consumer.")] = v
		case strings.HasPrefix(k, "admin."):
			c.Admin[strings.TrimPrefix(k, "admin.")] = v
		default:
			c.warnf("%s is not a krest setting and is ignored", k)
		}
	}
	if err := c.parsePropagation(get); err != nil {
		return nil, err
	}
	if err := c.buildSecurity(time.Now()); err != nil {
		return nil, err
	}
	// Validate the Kafka pass-through once, here, so that a bad value stops
	// start-up instead of surfacing on first use.
	for _, build := range []func() ([]kgo.Opt, []string, error){c.producerOpts, c.consumerOpts, c.adminOpts} {
		_, warnings, err := build()
		if err != nil {
			return nil, err
		}
		for _, w := range warnings {
			if !slices.Contains(c.Warnings, w) {
				c.Warnings = append(c.Warnings, w)
			}
		}
	}
	return c, nil
}

func (c *Config) warnf(format string, args ...any) {
	c.Warnings = append(c.Warnings, fmt.Sprintf(format, args...))
}

// DevMode reports whether no Kafka cluster is configured, so that an embedded
// broker must be started.
func (c *Config) DevMode() bool { return len(c.BootstrapServers) == 0 }

func (c *Config) parseConsumers(get func(string) string) error {
	cc := &c.Consumers
	var err error
	if cc.RequestTimeout, err = millis(get, "consumer.request.timeout.ms"); err != nil {
		return err
	}
	if cc.RequestMaxBytes, err = positiveInt(get, "consumer.request.max.bytes"); err != nil {
		return err
	}
	switch cc.Forwarding = strings.ToLower(get("consumer.forwarding")); cc.Forwarding {
	case "forward", "redirect", "off":
	default:
		return fmt.Errorf("consumer.forwarding: %q is not forward, redirect or off", get("consumer.forwarding"))
	}
	cc.DirectoryTopic = get("consumer.directory.topic")
	if cc.ForwardingURL = strings.TrimRight(get("consumer.forwarding.url"), "/"); cc.ForwardingURL != "" {
		if u, err := url.Parse(cc.ForwardingURL); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return fmt.Errorf("consumer.forwarding.url: %q is not an http(s)://host:port URL", cc.ForwardingURL)
		}
	}
	if err := cc.parseForwardingTrust(get); err != nil {
		return err
	}
	if cc.StreamHeartbeat, err = positiveMillis(get, "consumer.stream.heartbeat.ms"); err != nil {
		return err
	}
	if cc.InstanceTimeout, err = millis(get, "consumer.instance.timeout.ms"); err != nil {
		return err
	}
	n, err := positiveInt(get, "consumer.instances.max")
	if err != nil {
		return err
	}
	cc.MaxInstances = int(n)
	if cc.BufferBytes, err = positiveInt(get, "consumer.buffer.max.bytes"); err != nil {
		return err
	}
	if n, err = positiveInt(get, "consumer.buffer.max.records"); err != nil {
		return err
	}
	cc.BufferRecords = int(n)
	if cc.MemoryBytes, err = positiveInt(get, "consumer.memory.max.bytes"); err != nil {
		return err
	}
	if cc.FetchMinBytes, err = strconv.ParseInt(get("fetch.min.bytes"), 10, 64); err != nil || cc.FetchMinBytes < -1 || cc.FetchMinBytes > 10000000 {
		return fmt.Errorf("fetch.min.bytes: %q is not in -1..10000000", get("fetch.min.bytes"))
	}
	return nil
}
