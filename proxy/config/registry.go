package config

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/krest-dev/krest/proxy/jaas"
	"github.com/krest-dev/krest/proxy/keystore"
)

// serdeKeys are the Schema Registry serializer settings krest reads, under
// any of the prefixes of serdePrefixes.
var serdeKeys = map[string]bool{
	"ssl.ca.location":                false, // only as schema.registry.ssl.*
	"ssl.certificate.location":       false,
	"ssl.key.location":               false,
	"key.subject.name.strategy":      true,
	"value.subject.name.strategy":    true,
	"basic.auth.credentials.source":  true,
	"basic.auth.user.info":           true,
	"bearer.auth.credentials.source": true,
	"bearer.auth.token":              true,
	"request.timeout.ms":             false, // only as schema.registry.request.timeout.ms
}

var serdePrefixes = []string{"schema.registry.", "producer.", "client.", ""}

// schemaRegistryKey reports keys that configure the registry client.
func schemaRegistryKey(k string) bool {
	if rest, ok := strings.CutPrefix(k, "schema.registry."); ok {
		_, known := serdeKeys[rest]
		return known || strings.HasPrefix(rest, "ssl.")
	}
	return serdeKeys[k] || serdeKeys[strings.TrimPrefix(strings.TrimPrefix(k, "producer."), "client.")]
}

// serde returns a serializer setting, looked up under each prefix in turn.
func serde(props map[string]string, key string) string {
	for _, p := range serdePrefixes {
		if v, ok := props[p+key]; ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func (c *Config) parseSchemaRegistry(props map[string]string, get func(string) string) error {
	r := &c.SchemaRegistry
	r.Timeout = 10 * time.Second
	if v := props["schema.registry.request.timeout.ms"]; v != "" {
		ms, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || ms <= 0 {
			return fmt.Errorf("schema.registry.request.timeout.ms: %q is not a positive number of milliseconds", v)
		}
		r.Timeout = time.Duration(ms) * time.Millisecond
	}
	// Credentials in the URL are used with basic.auth.credentials.source=URL
	// only, and never kept in the URL, which logs and errors show.
	var urlUser *url.Userinfo
	if u := c.SchemaRegistryURL; u != "" {
		parsed, err := url.Parse(u)
		if err != nil || parsed.Host == "" || (parsed.Scheme != "http" && parsed.Scheme != "https") {
			if strings.Contains(u, "@") {
				u = "…@" + u[strings.LastIndexByte(u, '@')+1:]
			}
			return fmt.Errorf("schema.registry.url: %q is not an http(s) URL", u)
		}
		urlUser, parsed.User = parsed.User, nil
		c.SchemaRegistryURL = parsed.String()
	}
	switch src := strings.ToUpper(serde(props, "basic.auth.credentials.source")); src {
	case "", "USER_INFO":
		if info := serde(props, "basic.auth.user.info"); info != "" {
			user, pass, ok := strings.Cut(info, ":")
			if !ok {
				return fmt.Errorf("schema.registry.basic.auth.user.info: want user:password")
			}
			r.BasicAuthUser, r.BasicAuthPassword = user, pass
		}
	case "SASL_INHERIT":
		user, pass, err := inheritedCredentials(props)
		if err != nil {
			return err
		}
		r.BasicAuthUser, r.BasicAuthPassword = user, pass
	case "URL":
		if urlUser == nil {
			return fmt.Errorf("basic.auth.credentials.source=URL needs user:password@ in schema.registry.url")
		}
		r.BasicAuthUser = urlUser.Username()
		r.BasicAuthPassword, _ = urlUser.Password()
	default:
		return fmt.Errorf("basic.auth.credentials.source=%s is not supported: use USER_INFO, URL or SASL_INHERIT", src)
	}
	r.BearerToken = serde(props, "bearer.auth.token")
	warnings, err := r.parseTLS(props, time.Now())
	if err != nil {
		return err
	}
	c.Warnings = append(c.Warnings, warnings...)
	if r.KeyStrategy, err = subjectStrategy(serde(props, "key.subject.name.strategy")); err != nil {
		return fmt.Errorf("key.subject.name.strategy: %w", err)
	}
	if r.ValueStrategy, err = subjectStrategy(serde(props, "value.subject.name.strategy")); err != nil {
		return fmt.Errorf("value.subject.name.strategy: %w", err)
	}
	return nil
}

// subjectStrategy maps Confluent's strategy class names (or short names) to
// "topic", "record" or "topic_record".
func subjectStrategy(v string) (string, error) {
	short := v[strings.LastIndexByte(v, '.')+1:]
	switch strings.ToLower(strings.ReplaceAll(short, "_", "")) {
	case "", "topicnamestrategy", "topicname", "topic":
		return "topic", nil
	case "recordnamestrategy", "recordname", "record":
		return "record", nil
	case "topicrecordnamestrategy", "topicrecordname", "topicrecord":
		return "topic_record", nil
	}
	return "", fmt.Errorf("%q is not TopicNameStrategy, RecordNameStrategy or TopicRecordNameStrategy", v)
}

// parseTLS reads the registry's TLS settings: Java's
// schema.registry.ssl.truststore.* / keystore.* / key.password /
// endpoint.identification.algorithm (the keys Confluent's proxy passes to
// its registry client unstripped), or the PEM file keys
// schema.registry.ssl.ca.location, .certificate.location and .key.location.
func (r *SchemaRegistry) parseTLS(props map[string]string, now time.Time) ([]string, error) {
	ca := strings.TrimSpace(props["schema.registry.ssl.ca.location"])
	cert := strings.TrimSpace(props["schema.registry.ssl.certificate.location"])
	key := strings.TrimSpace(props["schema.registry.ssl.key.location"])
	java := false
	for _, k := range keystore.Keys {
		if _, ok := props["schema.registry."+k]; ok {
			java = true
		}
	}
	if !java && ca == "" && cert == "" && key == "" {
		return nil, nil
	}
	cfg, warnings, err := keystore.Client(keystore.MapLookup(props, "schema.registry."), now)
	if err != nil {
		return nil, err
	}
	if ca != "" {
		if cfg.RootCAs != nil {
			return nil, fmt.Errorf("schema.registry.ssl.ca.location and schema.registry.ssl.truststore.* are alternatives: set one")
		}
		pem, err := os.ReadFile(ca)
		if err != nil {
			return nil, fmt.Errorf("schema.registry.ssl.ca.location: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("schema.registry.ssl.ca.location: %s holds no PEM certificate", ca)
		}
	}
	if (cert == "") != (key == "") {
		return nil, fmt.Errorf("schema.registry.ssl.certificate.location and schema.registry.ssl.key.location go together")
	}
	if cert != "" {
		if len(cfg.Certificates) > 0 {
			return nil, fmt.Errorf("schema.registry.ssl.certificate.location and schema.registry.ssl.keystore.* are alternatives: set one")
		}
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return nil, fmt.Errorf("schema.registry.ssl client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	r.TLS = cfg
	return warnings, nil
}

// inheritedCredentials reads the username and password of the Kafka
// clients' login module (client.sasl.jaas.config, else producer.'s) for
// basic.auth.credentials.source=SASL_INHERIT.
func inheritedCredentials(props map[string]string) (user, pass string, err error) {
	for _, k := range []string{"client.sasl.jaas.config", "producer.sasl.jaas.config"} {
		v, ok := props[k]
		if !ok {
			continue
		}
		m, err := jaas.Parse(strings.TrimSpace(v))
		if err != nil {
			return "", "", fmt.Errorf("%s: %w", k, err)
		}
		user, pass = m.Options["username"], m.Options["password"]
		if user == "" || pass == "" {
			return "", "", fmt.Errorf("basic.auth.credentials.source=SASL_INHERIT: the login module of %s has no username and password", k)
		}
		return user, pass, nil
	}
	return "", "", fmt.Errorf("basic.auth.credentials.source=SASL_INHERIT needs client.sasl.jaas.config")
}
