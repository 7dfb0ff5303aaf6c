package config

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"

	"github.com/krest-dev/krest/proxy/jaas"
	"github.com/krest-dev/krest/proxy/keystore"
)

// Security protocols of Kafka's security.protocol.
const (
	protoPlaintext     = "PLAINTEXT"
	protoSSL           = "SSL"
	protoSASLPlaintext = "SASL_PLAINTEXT"
	protoSASLSSL       = "SASL_SSL"
)

// roleView is what one kind of Kafka client sees of the pass-through keys:
// its own prefix's keys over the shared client.* keys, as Confluent's
// proxy merges them.
type roleView struct {
	prefix string
	own    map[string]string
	client map[string]string
}

func (c *Config) view(r role) roleView {
	switch r {
	case roleProducer:
		return roleView{"producer.", c.Producer, c.Client}
	case roleConsumer:
		return roleView{"consumer.", c.Consumer, c.Client}
	}
	return roleView{"admin.", c.Admin, c.Client}
}

// get returns a key's value and the name it was set under.
func (v roleView) get(key string) (value, name string, ok bool) {
	if s, ok := v.own[key]; ok {
		return strings.TrimSpace(s), v.prefix + key, true
	}
	if s, ok := v.client[key]; ok {
		return strings.TrimSpace(s), "client." + key, true
	}
	return "", "client." + key, false // the name to set it under
}

// securityKeys lists the keys set under the view's prefixes that start
// with one of prefixes, sorted, with the names they were set under.
func (v roleView) securityKeys(prefixes ...string) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range []map[string]string{v.own, v.client} {
		for k := range m {
			for _, p := range prefixes {
				if strings.HasPrefix(k, p) && !seen[k] {
					seen[k] = true
					out = append(out, k)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// security builds the TLS and SASL options of one kind of Kafka client
// from security.protocol, ssl.* and sasl.* (under client.* or the role's
// own prefix). Settings the chosen protocol does not use are warnings: a
// security setting is never ignored silently.
func (c *Config) security(r role, now time.Time) ([]kgo.Opt, []string, error) {
	v := c.view(r)
	proto, protoName, ok := v.get("security.protocol")
	if !ok || proto == "" {
		proto, protoName = protoPlaintext, "client.security.protocol"
	}
	proto = strings.ToUpper(proto)
	useTLS := proto == protoSSL || proto == protoSASLSSL
	useSASL := proto == protoSASLPlaintext || proto == protoSASLSSL
	if !useTLS && !useSASL && proto != protoPlaintext {
		return nil, nil, fmt.Errorf("%s: %q is not PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL", protoName, proto)
	}
	var opts []kgo.Opt
	var warnings []string
	for _, k := range v.securityKeys("ssl.", "sasl.") {
		_, name, _ := v.get(k)
		switch {
		case strings.HasPrefix(k, "ssl.") && !useTLS, strings.HasPrefix(k, "sasl.") && !useSASL:
			warnings = append(warnings, fmt.Sprintf("%s is ignored: %s is %s", name, protoName, proto))
		case !slices.Contains(keystore.Keys, k) && !slices.Contains(jaas.Keys, k):
			warnings = append(warnings, fmt.Sprintf("%s has no effect in krest", name))
		}
	}
	if useTLS {
		cfg, w, err := keystore.Client(v.get, now)
		if err != nil {
			return nil, nil, err
		}
		opts = append(opts, kgo.DialTLSConfig(cfg))
		warnings = append(warnings, w...)
	}
	if useSASL {
		mech, w, err := jaas.Mechanism(v.get)
		if err != nil {
			return nil, nil, err
		}
		opts = append(opts, kgo.SASL(mech))
		warnings = append(warnings, w...)
	}
	return opts, warnings, nil
}

func (c *Config) usesSASL(r role) bool {
	proto, _, _ := c.view(r).get("security.protocol")
	proto = strings.ToUpper(proto)
	return proto == protoSASLPlaintext || proto == protoSASLSSL
}

// ProducerOptsAs, ConsumerOptsAs and AdminOptsAs are the options of the
// kinds of client with the SASL mechanism m instead of krest's own: the
// clients of a caller that krest acts for in Kafka.
func (c *Config) ProducerOptsAs(m sasl.Mechanism) []kgo.Opt {
	return c.optsAs(c.ProducerOpts(), roleProducer, m)
}

// ConsumerOptsAs: see ProducerOptsAs.
func (c *Config) ConsumerOptsAs(m sasl.Mechanism) []kgo.Opt {
	return c.optsAs(c.ConsumerOpts(), roleConsumer, m)
}

// AdminOptsAs: see ProducerOptsAs.
func (c *Config) AdminOptsAs(m sasl.Mechanism) []kgo.Opt {
	return c.optsAs(c.AdminOpts(), roleAdmin, m)
}

func (c *Config) optsAs(opts []kgo.Opt, r role, m sasl.Mechanism) []kgo.Opt {
	if c.kafkaSASL[r] {
		opts = opts[:len(opts)-1] // krest's own mechanism (kgo.SASL appends)
	}
	return append(opts, kgo.SASL(m))
}

// buildSecurity resolves the security of the three kinds of Kafka client
// once, at Parse: key stores are read and OAuth token sources made once,
// and shared by every client of a kind (every consumer instance shares
// one).
func (c *Config) buildSecurity(now time.Time) error {
	c.kafkaSecurity, c.kafkaSASL = map[role][]kgo.Opt{}, map[role]bool{}
	for _, r := range []role{roleProducer, roleConsumer, roleAdmin} {
		opts, warnings, err := c.security(r, now)
		if err != nil {
			return err
		}
		c.kafkaSecurity[r] = opts
		c.kafkaSASL[r] = c.usesSASL(r)
		for _, w := range warnings {
			if !slices.Contains(c.Warnings, w) {
				c.Warnings = append(c.Warnings, w)
			}
		}
		if len(opts) > 0 && c.DevMode() {
			return fmt.Errorf("client.security.protocol (or a role's) needs bootstrap.servers: the embedded development broker speaks PLAINTEXT only")
		}
	}
	return nil
}

// checkUnprefixedSecurity refuses the security keys Confluent's proxy does
// not read without a prefix, naming the key that was meant.
func checkUnprefixedSecurity(k string) error {
	switch {
	case k == "security.protocol", strings.HasPrefix(k, "sasl."):
		return fmt.Errorf("%s is not read by krest (nor by Confluent's proxy): the Kafka clients' setting is client.%s", k, k)
	}
	return nil
}
