package jaas

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/oauth"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// Lookup returns the value of one Java sasl.* key (for example
// "sasl.jaas.config") and the name it was configured under (for example
// "client.sasl.jaas.config"), which messages name. ok is false when unset.
type Lookup func(key string) (value, name string, ok bool)

// Keys are the sasl.* keys this package reads.
var Keys = []string{
	"sasl.mechanism", "sasl.jaas.config", "sasl.login.callback.handler.class", "sasl.client.callback.handler.class",
	"sasl.oauthbearer.token.endpoint.url", "sasl.oauthbearer.scope",
	"sasl.oauthbearer.client.credentials.client.id", "sasl.oauthbearer.client.credentials.client.secret",
	"sasl.login.connect.timeout.ms", "sasl.login.read.timeout.ms",
	"sasl.login.refresh.window.factor", "sasl.login.refresh.min.period.seconds", "sasl.login.refresh.buffer.seconds",
	// read by brokers to validate tokens; a client setting them changes nothing
	"sasl.oauthbearer.scope.claim.name", "sasl.oauthbearer.sub.claim.name", "sasl.login.refresh.window.jitter",
}

// Login-module classes of Kafka's clients.
const (
	plainModule = "org.apache.kafka.common.security.plain.PlainLoginModule"
	scramModule = "org.apache.kafka.common.security.scram.ScramLoginModule"
	oauthModule = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule"
	// oauthHandler is the login callback handler of the client-credentials
	// flow; older clients (and Confluent's docs) name the internals class.
	oauthHandler      = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler"
	oauthHandlerOlder = "org.apache.kafka.common.security.oauthbearer.secured.OAuthBearerLoginCallbackHandler"
)

// knownModules are the login modules that may be named in errors.
var knownModules = map[string]bool{plainModule: true, scramModule: true, oauthModule: true, iamModule: true,
	"com.sun.security.auth.module.Krb5LoginModule": true}

// Mechanism builds the SASL mechanism the settings describe. Warnings
// report settings that have no effect.
func Mechanism(get Lookup) (sasl.Mechanism, []string, error) {
	mech, mechName, ok := get("sasl.mechanism")
	if !ok || mech == "" {
		return nil, nil, fmt.Errorf("%s is not set: krest supports PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER and AWS_MSK_IAM (Java's default, GSSAPI, is not supported)", nameOr(mechName, "sasl.mechanism"))
	}
	mech = strings.ToUpper(mech)
	jaasText, jaasName, ok := get("sasl.jaas.config")
	if !ok || jaasText == "" {
		return nil, nil, fmt.Errorf("%s is not set: SASL mechanism %s needs the credentials of a login module", nameOr(jaasName, "sasl.jaas.config"), mech)
	}
	m, err := Parse(jaasText)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", jaasName, err)
	}
	want := map[string]string{
		"PLAIN": plainModule, "SCRAM-SHA-256": scramModule, "SCRAM-SHA-512": scramModule, "OAUTHBEARER": oauthModule,
		"AWS_MSK_IAM": iamModule,
	}[mech]
	switch {
	case mech == "GSSAPI":
		return nil, nil, fmt.Errorf("%s: GSSAPI (Kerberos) is not supported; use PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER or AWS_MSK_IAM", mechName)
	case want == "":
		return nil, nil, fmt.Errorf("%s: %q is not PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER or AWS_MSK_IAM", mechName, mech)
	case m.Class != want:
		given := "another login module" // the text may be anything, a password included: not quoted
		if knownModules[m.Class] {
			given = m.Class
		}
		return nil, nil, fmt.Errorf("%s: SASL mechanism %s needs %s, not %s", jaasName, mech, want, given)
	}
	switch mech {
	case "PLAIN":
		user, pass, err := userPass(m, jaasName)
		if err != nil {
			return nil, nil, err
		}
		return plain.Auth{User: user, Pass: pass}.AsMechanism(), nil, nil
	case "SCRAM-SHA-256", "SCRAM-SHA-512":
		user, pass, err := userPass(m, jaasName)
		if err != nil {
			return nil, nil, err
		}
		a := scram.Auth{User: user, Pass: pass, IsToken: strings.EqualFold(m.Options["tokenauth"], "true")}
		if mech == "SCRAM-SHA-256" {
			return a.AsSha256Mechanism(), nil, nil
		}
		return a.AsSha512Mechanism(), nil, nil
	case "AWS_MSK_IAM":
		mech, err := awsMechanism(get, m, jaasName)
		return mech, nil, err
	}
	return oauthMechanism(get, m, jaasName)
}

func nameOr(name, key string) string {
	if name == "" {
		return key
	}
	return name
}

func userPass(m Module, jaasName string) (user, pass string, err error) {
	user, hasUser := m.Options["username"]
	pass, hasPass := m.Options["password"]
	if !hasUser || !hasPass || user == "" {
		return "", "", fmt.Errorf("%s: %s needs username=\"…\" and password=\"…\"", jaasName, m.Class[strings.LastIndexByte(m.Class, '.')+1:])
	}
	return user, pass, nil
}

// oauthMechanism builds OAUTHBEARER: the client-credentials flow when a
// token endpoint is set, Kafka's unsecured JWTs otherwise.
func oauthMechanism(get Lookup, m Module, jaasName string) (sasl.Mechanism, []string, error) {
	ext := map[string]string{}
	for k, v := range m.Options {
		if name, ok := strings.CutPrefix(k, "extension_"); ok {
			ext[name] = v
		}
	}
	endpoint, endpointName, _ := get("sasl.oauthbearer.token.endpoint.url")
	if endpoint == "" {
		tok, err := newUnsecured(m, jaasName, ext)
		if err != nil {
			return nil, nil, err
		}
		return oauth.Oauth(tok.auth), []string{fmt.Sprintf("%s uses Kafka's unsecured OAUTHBEARER tokens (no %s): for development only", jaasName, nameOr(endpointName, "sasl.oauthbearer.token.endpoint.url"))}, nil
	}
	if h, hName, ok := get("sasl.login.callback.handler.class"); ok && h != "" && h != oauthHandler && h != oauthHandlerOlder {
		return nil, nil, fmt.Errorf("%s: %q is not %s, the only login handler krest has", hName, h, oauthHandler)
	}
	src, err := newTokenSource(get, m, jaasName, endpoint, endpointName)
	if err != nil {
		return nil, nil, err
	}
	return oauth.Oauth(src.auth(ext)), nil, nil
}

// option returns a setting: the Kafka 4.1 key if set, else the JAAS option.
func option(get Lookup, key string, m Module, opt string) (value, name string) {
	if v, n, ok := get(key); ok && v != "" {
		return v, n
	}
	return m.Options[opt], ""
}

// durationSetting reads a positive integer setting in unit, or def.
func durationSetting(get Lookup, key string, unit, def time.Duration) (time.Duration, error) {
	v, name, ok := get(key)
	if !ok || v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s: %q is not a non-negative integer", name, v)
	}
	return time.Duration(n) * unit, nil
}

// CallerMechanism is the SASL mechanism mech (PLAIN, SCRAM-SHA-256,
// SCRAM-SHA-512 or OAUTHBEARER) with a caller's own credentials: its user
// name and password, or for OAUTHBEARER its token (secret).
func CallerMechanism(mech, user, secret string) (sasl.Mechanism, error) {
	switch strings.ToUpper(mech) {
	case "PLAIN":
		return plain.Auth{User: user, Pass: secret}.AsMechanism(), nil
	case "SCRAM-SHA-256":
		return scram.Auth{User: user, Pass: secret}.AsSha256Mechanism(), nil
	case "SCRAM-SHA-512":
		return scram.Auth{User: user, Pass: secret}.AsSha512Mechanism(), nil
	case "OAUTHBEARER":
		return oauth.Auth{Token: secret}.AsMechanism(), nil
	}
	return nil, fmt.Errorf("SASL mechanism %q cannot carry a caller's credentials", mech)
}
