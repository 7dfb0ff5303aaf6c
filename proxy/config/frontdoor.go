package config

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/krest-dev/krest/proxy/keystore"
)

// FrontDoor configures krest's own door: the TLS of https listeners and
// the authentication of HTTP callers, with rest-utils' key names (ssl.*,
// authentication.*) and krest's for bearer tokens.
type FrontDoor struct {
	// SSL is the lookup of the unprefixed ssl.* keys (key store, trust
	// store, protocols, suites) for https listeners; nil without them.
	SSL keystore.Lookup
	// ClientAuth is ssl.client.authentication: "NONE" (the default),
	// "REQUESTED" or "REQUIRED" (the legacy ssl.client.auth=true).
	ClientAuth string
	// PrincipalRules is ssl.principal.mapping.rules, in Kafka's syntax
	// (RULE:pattern/replacement/[LU], DEFAULT), parsed by package auth.
	PrincipalRules string

	// Method is authentication.method: "NONE", "BASIC" or "BEARER".
	Method string
	// Realm is authentication.realm (default "KafkaRest"): the JAAS
	// section of the users, and the realm of WWW-Authenticate.
	Realm string
	// Roles is authentication.roles (default "*", any role).
	Roles []string
	// SkipPaths is authentication.skip.paths: paths open without
	// credentials (a trailing "*" matches a prefix).
	SkipPaths []string
	// JAASFile is java.security.auth.login.config, or the -D of it in
	// KAFKAREST_OPTS (cmd/krest reads that).
	JAASFile string
	// Bearer configures authentication.method=BEARER.
	Bearer Bearer
	// FailuresPerSecond and FailuresBurst bound failed authentications
	// per client address and per user name
	// (authentication.failure.limit.per.sec, default 1;
	// authentication.failure.limit.burst, default 10; 0 turns it off):
	// past them, 429 with Retry-After, before any password hash is
	// computed.
	FailuresPerSecond float64
	FailuresBurst     int

	// Propagate is authentication.propagate: krest acts in Kafka as each
	// caller, with the caller's own credentials (the Basic password over
	// client.sasl.mechanism PLAIN or SCRAM, the bearer token over
	// OAUTHBEARER), so that Kafka's ACLs decide.
	Propagate bool
	// PropagateMechanism is the SASL mechanism of the callers' clients
	// (client.sasl.mechanism).
	PropagateMechanism string
	// PropagateClients bounds the callers with clients at once
	// (authentication.propagate.clients.max, default 100); the least
	// recently used goes first.
	PropagateClients int
	// PropagateIdle closes a caller's clients unused for this long
	// (authentication.propagate.clients.idle.ms, default 5 min).
	PropagateIdle time.Duration
	// PropagateCredentials maps client-certificate principals to Kafka
	// SASL credentials (authentication.propagate.credentials.location).
	PropagateCredentials string
}

// Bearer configures JWT validation (krest's keys).
type Bearer struct {
	JWKSURL        string        // authentication.bearer.jwks.url
	PublicKeyFile  string        // authentication.bearer.public.key.location (PEM)
	Issuer         string        // authentication.bearer.issuer
	Audience       string        // authentication.bearer.audience
	PrincipalClaim string        // authentication.bearer.principal.claim, default "sub"
	RolesClaim     string        // authentication.bearer.roles.claim: roles for authentication.roles
	Leeway         time.Duration // authentication.bearer.leeway.ms, default 30 s
}

// frontDoorKeys are the keys parseFrontDoor reads.
var frontDoorKeys = map[string]bool{
	"ssl.client.authentication": true, "ssl.client.auth": true, "ssl.principal.mapping.rules": true,
	"authentication.method": true, "authentication.realm": true, "authentication.roles": true,
	"authentication.skip.paths": true, "java.security.auth.login.config": true,
	"authentication.bearer.jwks.url": true, "authentication.bearer.public.key.location": true,
	"authentication.bearer.issuer": true, "authentication.bearer.audience": true,
	"authentication.bearer.principal.claim": true, "authentication.bearer.roles.claim": true,
	"authentication.bearer.leeway.ms":      true,
	"authentication.failure.limit.per.sec": true, "authentication.failure.limit.burst": true,
	"authentication.propagate": true, "authentication.propagate.clients.max": true,
	"authentication.propagate.clients.idle.ms": true, "authentication.propagate.credentials.location": true,
}

func isFrontDoorKey(k string) bool {
	return frontDoorKeys[k] || (strings.HasPrefix(k, "ssl.") && slices.Contains(keystore.Keys, k))
}

func (c *Config) parseFrontDoor(props map[string]string, get func(string) string) error {
	f := &c.FrontDoor
	https := slices.ContainsFunc(c.Listeners, func(l Listener) bool { return l.Scheme == "https" })
	var sslKeys []string
	for k := range props {
		if strings.HasPrefix(k, "ssl.") && !frontDoorKeys[k] {
			if !slices.Contains(keystore.Keys, k) {
				c.warnf("%s has no effect in krest", k)
				continue
			}
			sslKeys = append(sslKeys, k)
		}
	}
	if https {
		ssl := maps.Clone(props)
		f.SSL = keystore.MapLookup(ssl, "")
		if _, err := keystore.Server(f.SSL, time.Now()); err != nil {
			return err
		}
	} else if len(sslKeys) > 0 {
		slices.Sort(sslKeys)
		c.warnf("%s: ignored, no listener is https", strings.Join(sslKeys, ", "))
	}
	f.ClientAuth = strings.ToUpper(get("ssl.client.authentication"))
	switch f.ClientAuth {
	case "", "NONE":
		f.ClientAuth = "NONE"
		if strings.EqualFold(get("ssl.client.auth"), "true") {
			f.ClientAuth = "REQUIRED"
		}
	case "REQUESTED", "REQUIRED":
	default:
		return fmt.Errorf("ssl.client.authentication: %q is not NONE, REQUESTED or REQUIRED", get("ssl.client.authentication"))
	}
	if f.ClientAuth != "NONE" && !https {
		return fmt.Errorf("ssl.client.authentication=%s needs an https listener", f.ClientAuth)
	}
	f.PrincipalRules = get("ssl.principal.mapping.rules")
	f.Method = strings.ToUpper(get("authentication.method"))
	if f.Method == "" {
		f.Method = "NONE"
	}
	if f.Method != "NONE" && f.Method != "BASIC" && f.Method != "BEARER" {
		return fmt.Errorf("authentication.method: %q is not NONE, BASIC or BEARER", get("authentication.method"))
	}
	f.Realm = get("authentication.realm")
	f.Roles = splitList(get("authentication.roles"))
	f.SkipPaths = splitList(get("authentication.skip.paths"))
	f.JAASFile = get("java.security.auth.login.config")
	if f.Method == "BASIC" && f.JAASFile == "" {
		return fmt.Errorf("authentication.method=BASIC needs java.security.auth.login.config (the JAAS file naming the users' file), or -Djava.security.auth.login.config=… in KAFKAREST_OPTS")
	}
	b := &f.Bearer
	b.JWKSURL, b.PublicKeyFile = get("authentication.bearer.jwks.url"), get("authentication.bearer.public.key.location")
	b.Issuer, b.Audience = get("authentication.bearer.issuer"), get("authentication.bearer.audience")
	b.PrincipalClaim, b.RolesClaim = get("authentication.bearer.principal.claim"), get("authentication.bearer.roles.claim")
	var err error
	if b.Leeway, err = millis(get, "authentication.bearer.leeway.ms"); err != nil {
		return err
	}
	if f.FailuresPerSecond, err = strconv.ParseFloat(get("authentication.failure.limit.per.sec"), 64); err != nil || f.FailuresPerSecond < 0 || math.IsInf(f.FailuresPerSecond, 0) || math.IsNaN(f.FailuresPerSecond) {
		return fmt.Errorf("authentication.failure.limit.per.sec: %q is not a non-negative number", get("authentication.failure.limit.per.sec"))
	}
	if n, err := strconv.Atoi(get("authentication.failure.limit.burst")); err != nil || n < 0 {
		return fmt.Errorf("authentication.failure.limit.burst: %q is not a non-negative integer", get("authentication.failure.limit.burst"))
	} else {
		f.FailuresBurst = n
	}
	if f.Method == "BEARER" && (b.JWKSURL == "") == (b.PublicKeyFile == "") {
		return fmt.Errorf("authentication.method=BEARER needs one of authentication.bearer.jwks.url and authentication.bearer.public.key.location")
	}
	return nil
}

// parsePropagation reads authentication.propagate, once the client.*
// keys are known.
func (c *Config) parsePropagation(get func(string) string) error {
	f := &c.FrontDoor
	switch strings.ToLower(get("authentication.propagate")) {
	case "", "false":
		return nil
	case "true":
	default:
		return fmt.Errorf("authentication.propagate: %q is not true or false", get("authentication.propagate"))
	}
	f.Propagate = true
	n, err := positiveInt(get, "authentication.propagate.clients.max")
	if err != nil {
		return err
	}
	f.PropagateClients = int(n)
	if f.PropagateIdle, err = positiveMillis(get, "authentication.propagate.clients.idle.ms"); err != nil {
		return err
	}
	f.PropagateCredentials = get("authentication.propagate.credentials.location")
	proto := strings.ToUpper(strings.TrimSpace(c.Client["security.protocol"]))
	mech := strings.ToUpper(strings.TrimSpace(c.Client["sasl.mechanism"]))
	f.PropagateMechanism = mech
	method := f.Method
	if method == "NONE" && f.PropagateCredentials != "" {
		method = "BASIC" // certificate principals with mapped passwords
	}
	want := map[string][]string{"BASIC": {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}, "BEARER": {"OAUTHBEARER"}}[method]
	switch {
	case want == nil:
		return fmt.Errorf("authentication.propagate=true needs authentication.method BASIC or BEARER (krest passes on the caller's password or token), or client certificates with authentication.propagate.credentials.location")
	case proto != "SASL_SSL" && proto != "SASL_PLAINTEXT":
		return fmt.Errorf("authentication.propagate=true needs client.security.protocol SASL_SSL or SASL_PLAINTEXT")
	case !slices.Contains(want, mech):
		return fmt.Errorf("authentication.propagate=true with authentication.method=%s needs client.sasl.mechanism %s", f.Method, strings.Join(want, " or "))
	}
	return nil
}
