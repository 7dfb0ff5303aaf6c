// Package auth authenticates krest's HTTP callers, as Confluent's
// rest-utils does: HTTP Basic against the JAAS and Jetty password files
// Confluent users already have, bearer JWTs (RS/ES/PS signatures) against a
// JWKS URL or a public key, and client certificates, whose subject becomes
// the principal through Kafka's ssl.principal.mapping.rules. It knows
// nothing of fasthttp: Door.Check takes the path, the Authorization header
// and the client certificate, and returns a Principal or an error value
// (*Error) that the HTTP layer renders.
//
// No answer tells an unknown user from a wrong password, credentials are
// compared in constant time, and no password, token or key reaches an
// error or a log line.
package auth

import (
	"crypto/x509"
	"fmt"
	"regexp"
	"strings"
)

// Principal is an authenticated caller.
type Principal struct {
	// Name is the user (Basic), the configured claim (bearer) or the
	// mapped certificate subject; "" for an anonymous caller.
	Name string
	// Roles are the user's roles (Basic) or the roles claim (bearer).
	Roles []string
	// Secret is what the caller proved itself with, the password (Basic)
	// or the token (bearer), for acting in Kafka as the caller; never
	// printed. For a certificate principal it comes from the credentials
	// file (Config.KafkaCredentialsFile).
	Secret string
	// KafkaUser is the SASL user of a certificate principal in Kafka,
	// from the credentials file; "" means Name.
	KafkaUser string
}

// String never shows the secret.
func (p Principal) String() string { return p.Name }

// Anonymous is the caller of a door that asks nothing.
var Anonymous = Principal{}

// rule is one of ssl.principal.mapping.rules.
type rule struct {
	def         bool // DEFAULT: the subject as it is
	pattern     *regexp.Regexp
	replacement string
	lower       bool
	upper       bool
}

// ruleSyntax is Kafka's SslPrincipalMapper rule syntax.
var ruleSyntax = regexp.MustCompile(`^\s*(?:(DEFAULT)|RULE:((?:\\/|[^/])*)/((?:\\/|[^/])*)/([LU]?))\s*(?:,|$)`)

var javaGroup = regexp.MustCompile(`\$(\d+)`)

// PrincipalMapper maps certificate subjects to principals with Kafka's
// ssl.principal.mapping.rules: a comma list of
// RULE:pattern/replacement/[L|U] (the first rule whose pattern matches the
// whole subject rewrites it, lower- or upper-cased with L or U) and
// DEFAULT (the subject unchanged), DEFAULT alone by default.
type PrincipalMapper struct{ rules []rule }

// NewPrincipalMapper parses rules.
func NewPrincipalMapper(rules string) (*PrincipalMapper, error) {
	m := &PrincipalMapper{}
	rest := strings.TrimSpace(rules)
	if rest == "" {
		return &PrincipalMapper{rules: []rule{{def: true}}}, nil
	}
	for rest != "" {
		g := ruleSyntax.FindStringSubmatch(rest)
		if g == nil {
			return nil, fmt.Errorf("ssl.principal.mapping.rules: %q is not RULE:pattern/replacement/[LU] or DEFAULT", rest)
		}
		rest = strings.TrimSpace(rest[len(g[0]):])
		if g[1] != "" {
			m.rules = append(m.rules, rule{def: true})
			continue
		}
		re, err := regexp.Compile("^(?:" + strings.ReplaceAll(g[2], `\/`, "/") + ")$")
		if err != nil {
			return nil, fmt.Errorf("ssl.principal.mapping.rules: pattern %q: %v", g[2], err)
		}
		// Java's $1 is Go's ${1} (Go would read "$1x" as a group named 1x).
		repl := javaGroup.ReplaceAllString(strings.ReplaceAll(g[3], `\/`, "/"), "$${$1}")
		m.rules = append(m.rules, rule{pattern: re, replacement: repl, lower: g[4] == "L", upper: g[4] == "U"})
	}
	return m, nil
}

// Map returns the principal of a certificate; ok is false when no rule
// matches (Kafka then refuses the connection).
func (m *PrincipalMapper) Map(cert *x509.Certificate) (string, bool) {
	subject := cert.Subject.String()
	for _, r := range m.rules {
		if r.def {
			return subject, true
		}
		if !r.pattern.MatchString(subject) {
			continue
		}
		out := r.pattern.ReplaceAllString(subject, r.replacement)
		switch {
		case r.lower:
			out = strings.ToLower(out)
		case r.upper:
			out = strings.ToUpper(out)
		}
		return out, true
	}
	return "", false
}
