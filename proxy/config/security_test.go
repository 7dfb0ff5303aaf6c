package config

import (
	"crypto/tls"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
)

const plainJAAS = `org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="hunter2";`

func withBootstrap(kv ...string) map[string]string {
	m := map[string]string{"bootstrap.servers": "127.0.0.1:9092"}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func TestSecurityErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		props map[string]string
		want  string
	}{
		{"unknown protocol", withBootstrap("client.security.protocol", "TLS"), `client.security.protocol: "TLS" is not PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL`},
		{"role protocol", withBootstrap("admin.security.protocol", "SASL"), `admin.security.protocol: "SASL" is not PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL`},
		{"unprefixed protocol", withBootstrap("security.protocol", "SASL_SSL"), "security.protocol is not read by krest (nor by Confluent's proxy): the Kafka clients' setting is client.security.protocol"},
		{"unprefixed jaas", withBootstrap("sasl.jaas.config", plainJAAS), "sasl.jaas.config is not read by krest (nor by Confluent's proxy): the Kafka clients' setting is client.sasl.jaas.config"},
		{"https listener without a key store", withBootstrap("listeners", "https://127.0.0.1:8443"), "an https listener needs a key store: set ssl.keystore.location (or ssl.keystore.certificate.chain and ssl.keystore.key)"},
		{"client authentication without https", withBootstrap("ssl.client.authentication", "REQUIRED"), "ssl.client.authentication=REQUIRED needs an https listener"},
		{"unknown authentication method", withBootstrap("authentication.method", "DIGEST"), `authentication.method: "DIGEST" is not NONE, BASIC or BEARER`},
		{"basic without users", withBootstrap("authentication.method", "BASIC"), "authentication.method=BASIC needs java.security.auth.login.config (the JAAS file naming the users' file), or -Djava.security.auth.login.config=… in KAFKAREST_OPTS"},
		{"sasl without mechanism", withBootstrap("client.security.protocol", "SASL_SSL", "client.sasl.jaas.config", plainJAAS), "client.sasl.mechanism is not set: krest supports PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER and AWS_MSK_IAM (Java's default, GSSAPI, is not supported)"},
		{"role mechanism against the shared module", withBootstrap("client.security.protocol", "SASL_SSL", "client.sasl.mechanism", "PLAIN", "client.sasl.jaas.config", plainJAAS, "consumer.sasl.mechanism", "SCRAM-SHA-512"),
			"client.sasl.jaas.config: SASL mechanism SCRAM-SHA-512 needs org.apache.kafka.common.security.scram.ScramLoginModule, not org.apache.kafka.common.security.plain.PlainLoginModule"},
		{"unreadable trust store", withBootstrap("client.security.protocol", "SSL", "producer.ssl.truststore.location", "/nonexistent/t.jks"), "producer.ssl.truststore.location: cannot read /nonexistent/t.jks: no such file or directory"},
		{"dev mode", map[string]string{"client.security.protocol": "SASL_PLAINTEXT", "client.sasl.mechanism": "PLAIN", "client.sasl.jaas.config": plainJAAS}, "client.security.protocol (or a role's) needs bootstrap.servers: the embedded development broker speaks PLAINTEXT only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.props)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("Parse error %v\nwant %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("error %q carries the password", err)
			}
		})
	}
}

// TestSecurityPerRole checks Confluent's resolution: client.* for every
// client, a role's own prefix over it.
func TestSecurityPerRole(t *testing.T) {
	t.Parallel()
	c, err := Parse(withBootstrap(
		"client.security.protocol", "SASL_SSL", "client.sasl.mechanism", "PLAIN", "client.sasl.jaas.config", plainJAAS,
		"producer.security.protocol", "SSL", "producer.ssl.endpoint.identification.algorithm", "",
		"admin.sasl.mechanism", "SCRAM-SHA-512",
		"admin.sasl.jaas.config", `org.apache.kafka.common.security.scram.ScramLoginModule required username="ops" password="hunter3";`,
	))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		role       string
		opts       []kgo.Opt
		mechanism  string // "" for none
		skipVerify bool
	}{
		{"producer", c.ProducerOpts(), "", true},
		{"consumer", c.ConsumerOpts(), "PLAIN", false},
		{"admin", c.AdminOpts(), "SCRAM-SHA-512", false},
	}
	for _, tt := range tests {
		cl, err := kgo.NewClient(tt.opts...)
		if err != nil {
			t.Fatal(err)
		}
		cfg, _ := cl.OptValue(kgo.DialTLSConfig).(*tls.Config)
		mechs, _ := cl.OptValue(kgo.SASL).([]sasl.Mechanism)
		cl.Close()
		if cfg == nil {
			t.Errorf("%s: no TLS", tt.role)
		} else if cfg.InsecureSkipVerify != tt.skipVerify {
			t.Errorf("%s: host name verification off = %v, want %v", tt.role, cfg.InsecureSkipVerify, tt.skipVerify)
		}
		got := ""
		if len(mechs) == 1 {
			got = mechs[0].Name()
		}
		if got != tt.mechanism {
			t.Errorf("%s: SASL %q, want %q", tt.role, got, tt.mechanism)
		}
	}
	for _, w := range c.Warnings {
		if strings.Contains(w, "hunter") {
			t.Errorf("warning %q carries a password", w)
		}
	}
	if !strings.Contains(strings.Join(c.Warnings, "\n"), "client.sasl.mechanism is ignored: producer.security.protocol is SSL") {
		t.Errorf("warnings lack the producer's ignored SASL keys: %q", c.Warnings)
	}
}

func TestSecurityWarnings(t *testing.T) {
	t.Parallel()
	_, err := Parse(withBootstrap(
		"client.ssl.truststore.location", "/nonexistent", "client.sasl.mechanism", "PLAIN",
		"consumer.security.protocol", "SSL", "consumer.ssl.keymanager.algorithm", "SunX509",
		"bootstrap.servers", "SSL://127.0.0.1:9093",
	))
	if err == nil || err.Error() != "client.ssl.truststore.location: cannot read /nonexistent: no such file or directory" {
		t.Fatalf("consumer's SSL reads the shared trust store: %v", err)
	}
	c, err := Parse(withBootstrap(
		"client.ssl.truststore.location", "/nonexistent", "client.sasl.mechanism", "PLAIN",
		"consumer.ssl.keymanager.algorithm", "SunX509",
	))
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(c.Warnings, "\n")
	for _, w := range []string{
		"client.ssl.truststore.location is ignored: client.security.protocol is PLAINTEXT",
		"client.sasl.mechanism is ignored: client.security.protocol is PLAINTEXT",
		"consumer.ssl.keymanager.algorithm is ignored: client.security.protocol is PLAINTEXT",
	} {
		if !strings.Contains(all, w) {
			t.Errorf("warnings lack %q:\n%s", w, all)
		}
	}
}

func TestRegistryCredentials(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name               string
		props              map[string]string
		wantUser, wantPass string
		wantURL            string
		wantErr            string
	}{
		{"SASL_INHERIT", withBootstrap("schema.registry.url", "https://sr:8081", "schema.registry.basic.auth.credentials.source", "SASL_INHERIT",
			"client.security.protocol", "SASL_SSL", "client.sasl.mechanism", "PLAIN", "client.sasl.jaas.config", plainJAAS), "alice", "hunter2", "https://sr:8081", ""},
		{"URL", withBootstrap("schema.registry.url", "https://bob:hunter2@sr:8081", "schema.registry.basic.auth.credentials.source", "URL"), "bob", "hunter2", "https://sr:8081", ""},
		{"URL credentials unused", withBootstrap("schema.registry.url", "https://bob:hunter2@sr:8081"), "", "", "https://sr:8081", ""},
		{"SASL_INHERIT without jaas", withBootstrap("schema.registry.url", "https://sr:8081", "schema.registry.basic.auth.credentials.source", "SASL_INHERIT"), "", "", "", "basic.auth.credentials.source=SASL_INHERIT needs client.sasl.jaas.config"},
		{"bad URL with credentials", withBootstrap("schema.registry.url", "ftp://bob:hunter2@sr:8081"), "", "", "", `schema.registry.url: "…@sr:8081" is not an http(s) URL`},
		{"jks trust store", withBootstrap("schema.registry.url", "https://sr:8081", "schema.registry.ssl.truststore.location", "/nonexistent.jks", "schema.registry.ssl.truststore.password", "hunter2"), "", "", "", "schema.registry.ssl.truststore.location: cannot read /nonexistent.jks: no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(tt.props)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			r := c.SchemaRegistry
			if r.BasicAuthUser != tt.wantUser || r.BasicAuthPassword != tt.wantPass || c.SchemaRegistryURL != tt.wantURL {
				t.Errorf("user %q pass %q url %q", r.BasicAuthUser, r.BasicAuthPassword, c.SchemaRegistryURL)
			}
		})
	}
}

func TestUnprefixedSSLWithoutHTTPS(t *testing.T) {
	t.Parallel()
	c, err := Parse(withBootstrap("ssl.truststore.location", "/x", "ssl.keymanager.algorithm", "SunX509"))
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(c.Warnings, "\n")
	for _, w := range []string{"ssl.truststore.location: ignored, no listener is https", "ssl.keymanager.algorithm has no effect in krest"} {
		if !strings.Contains(all, w) {
			t.Errorf("warnings lack %q:\n%s", w, all)
		}
	}
}
