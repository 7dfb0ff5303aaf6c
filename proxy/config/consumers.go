package config

import (
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"
)

// Consumers are the settings of consumer instances (the consumer.* keys of
// Confluent's proxy that the proxy itself uses, and krest's own bounds).
type Consumers struct {
	// RequestTimeout is the longest a records read waits for data
	// ("consumer.request.timeout.ms", default 1 s); an instance may lower it.
	RequestTimeout time.Duration
	// RequestMaxBytes caps the max_bytes of a read
	// ("consumer.request.max.bytes", default 64 MiB).
	RequestMaxBytes int64
	// Forwarding is "consumer.forwarding": forward (default) passes a
	// request for an instance another krest owns on to it, redirect
	// answers 307 to the owner, off keeps instances local (no directory).
	Forwarding string
	// DirectoryTopic is "consumer.directory.topic", the compacted topic
	// mapping instances to their krest (default _krest_consumer_instances).
	DirectoryTopic string
	// ForwardingURL is "consumer.forwarding.url", where peers reach this
	// krest (default: its first listener, with the machine's host name for
	// a wildcard address).
	ForwardingURL string
	// ForwardingSecret is the secret every krest of a deployment shares
	// ("consumer.forwarding.secret", or the file named by
	// "consumer.forwarding.secret.location"; at least 32 bytes). It signs
	// forwarded requests and the directory's entries. Without it, no
	// krest forwards, redirects or accepts a forwarded request: instances
	// stay with the krest that created them.
	ForwardingSecret []byte
	// ForwardingPeers, when set ("consumer.forwarding.peers"), are the
	// only URLs krest forwards or redirects to, as http(s)://host:port.
	ForwardingPeers []string
	// StreamHeartbeat is how often an idle streamed read sends a comment
	// line, so that proxies keep it open ("consumer.stream.heartbeat.ms",
	// default 15 s).
	StreamHeartbeat time.Duration
	// InstanceTimeout expires instances nobody touched for this long
	// ("consumer.instance.timeout.ms", default 5 min): they leave their
	// group and free their memory.
	InstanceTimeout time.Duration
	// MaxInstances caps live instances ("consumer.instances.max", default
	// 10000); creating more gets 429.
	MaxInstances int
	// BufferBytes bounds what one subscribed instance buffers from Kafka
	// ("consumer.buffer.max.bytes", default 8 MiB).
	BufferBytes int64
	// BufferRecords bounds how many fetched records one instance keeps
	// between reads ("consumer.buffer.max.records", default 10000); with tiny
	// records the per-record overhead, not the bytes, is what counts.
	BufferRecords int
	// MemoryBytes bounds the buffers of all instances together
	// ("consumer.memory.max.bytes", default 1 GiB); an instance that cannot
	// reserve its BufferBytes gets 429 on subscribe or assign.
	MemoryBytes int64
	// FetchMinBytes is the server default of the instances' fetch.min.bytes
	// ("fetch.min.bytes", default -1: answer as soon as any record is there).
	FetchMinBytes int64
}

// MinForwardingSecret is the shortest consumer.forwarding.secret taken:
// 32 bytes, the size of the HMAC-SHA-256 key it becomes.
const MinForwardingSecret = 32

// parseForwardingTrust reads the peers' shared secret and allow-list. The
// secret's value never appears in an error.
func (cc *Consumers) parseForwardingTrust(get func(string) string) error {
	inline, file := get("consumer.forwarding.secret"), get("consumer.forwarding.secret.location")
	switch {
	case inline != "" && file != "":
		return fmt.Errorf("consumer.forwarding.secret and consumer.forwarding.secret.location: set one, not both")
	case file != "":
		data, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("consumer.forwarding.secret.location: %w", err)
		}
		inline = strings.TrimSpace(string(data))
		if len(inline) < MinForwardingSecret {
			return fmt.Errorf("consumer.forwarding.secret.location: the secret in %s is %d bytes; it must be at least %d (e.g. openssl rand -base64 48)", file, len(inline), MinForwardingSecret)
		}
	case inline != "" && len(inline) < MinForwardingSecret:
		return fmt.Errorf("consumer.forwarding.secret: the secret is %d bytes; it must be at least %d (e.g. openssl rand -base64 48)", len(inline), MinForwardingSecret)
	}
	if inline != "" {
		cc.ForwardingSecret = []byte(inline)
	}
	for _, p := range splitList(get("consumer.forwarding.peers")) {
		p = strings.TrimRight(p, "/")
		if u, err := url.Parse(p); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || (u.Path != "" && u.Path != "/") {
			return fmt.Errorf("consumer.forwarding.peers: %q is not an http(s)://host:port URL", p)
		}
		cc.ForwardingPeers = append(cc.ForwardingPeers, p)
	}
	return nil
}
