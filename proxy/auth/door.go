package auth

import (
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
)

// Config configures a Door.
type Config struct {
	// Method is "NONE", "BASIC" or "BEARER".
	Method string
	// Realm is the JAAS section of the users (Basic) and the realm of
	// WWW-Authenticate.
	Realm string
	// Roles are the roles allowed in; "*" (or none listed) allows any.
	Roles []string
	// SkipPaths are open without credentials; a trailing "*" matches a
	// prefix.
	SkipPaths []string
	// JAASFile names the users' password file (Basic).
	JAASFile string
	// Bearer configures BEARER.
	Bearer BearerConfig
	// PrincipalRules maps client certificates to principals.
	PrincipalRules string
	// OnFailure, when set, is called for every refused caller (metrics).
	OnFailure func()
	// KafkaCredentialsFile maps certificate principals to the Kafka SASL
	// credentials krest uses for them when it acts in Kafka as each
	// caller: "principal: user:password" per line.
	KafkaCredentialsFile string
}

// Error is a refused caller: Status 401 (with Challenge, the
// WWW-Authenticate value) or 403.
type Error struct {
	Status    int
	Challenge string
	Msg       string
}

func (e *Error) Error() string { return e.Msg }

// Door checks callers.
type Door struct {
	cfg    Config
	users  *passwordFile
	bearer *bearer
	certs  *PrincipalMapper
	kafka  map[string][2]string // certificate principal → Kafka user and password
	log    *slog.Logger

	challenge string
	anyRole   bool
}

// NewDoor builds a Door, reading its files now: a bad configuration fails
// here, at start-up.
func NewDoor(cfg Config, log *slog.Logger) (*Door, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d := &Door{cfg: cfg, log: log, anyRole: len(cfg.Roles) == 0 || slices.Contains(cfg.Roles, "*")}
	var err error
	if d.certs, err = NewPrincipalMapper(cfg.PrincipalRules); err != nil {
		return nil, err
	}
	if cfg.KafkaCredentialsFile != "" {
		if d.kafka, err = readKafkaCredentials(cfg.KafkaCredentialsFile); err != nil {
			return nil, err
		}
	}
	switch strings.ToUpper(cfg.Method) {
	case "", "NONE":
	case "BASIC":
		path, err := usersFile(cfg.JAASFile, cfg.Realm)
		if err != nil {
			return nil, err
		}
		if d.users, err = loadPasswordFile(path); err != nil {
			return nil, err
		}
		d.users.onError = func(err error) { log.Warn("password file not reloaded", "error", err) }
		d.challenge = fmt.Sprintf("Basic realm=%q", cfg.Realm)
	case "BEARER":
		if d.bearer, err = newBearer(cfg.Bearer); err != nil {
			return nil, err
		}
		d.challenge = fmt.Sprintf("Bearer realm=%q", cfg.Realm)
	default:
		return nil, fmt.Errorf("authentication.method: %q is not NONE, BASIC or BEARER", cfg.Method)
	}
	return d, nil
}

// Close stops the JWKS refresh, if any.
func (d *Door) Close() {
	if d.bearer != nil {
		d.bearer.close()
	}
}

// Open reports whether the door asks nothing of callers.
func (d *Door) Open() bool { return d.users == nil && d.bearer == nil }

var errCertUnmapped = &Error{Status: 401, Msg: "Unauthorized: the client certificate maps to no principal (ssl.principal.mapping.rules)"}

// Check authenticates a request to path with its Authorization header
// and the client's certificate (nil if none): a Principal, or an *Error.
// remote names the client in the log of failures.
func (d *Door) Check(path string, authorization []byte, cert *x509.Certificate, remote string) (Principal, error) {
	p := Anonymous
	if cert != nil {
		name, ok := d.certs.Map(cert)
		if !ok {
			return p, errCertUnmapped
		}
		p.Name = name
		if c, ok := d.kafka[name]; ok {
			p.KafkaUser, p.Secret = c[0], c[1]
		}
	}
	if d.Open() || d.skipped(path) {
		return p, nil
	}
	var err error
	if d.users != nil {
		p, err = d.basic(authorization)
	} else {
		p, err = d.bearerCheck(authorization)
	}
	if err != nil {
		if d.cfg.OnFailure != nil {
			d.cfg.OnFailure()
		}
		d.log.Info("authentication failed", "remote", remote, "path", path, "reason", err.Error())
		return Principal{}, &Error{Status: 401, Challenge: d.challenge, Msg: "Unauthorized: " + err.Error()}
	}
	if !d.anyRole && !slices.ContainsFunc(p.Roles, func(r string) bool { return slices.Contains(d.cfg.Roles, r) }) {
		d.log.Info("authorization failed", "remote", remote, "path", path, "principal", p.Name)
		return Principal{}, &Error{Status: 403, Msg: "Forbidden: none of the roles allowed in (authentication.roles)"}
	}
	return p, nil
}

func (d *Door) skipped(path string) bool {
	for _, s := range d.cfg.SkipPaths {
		if prefix, ok := strings.CutSuffix(s, "*"); ok && strings.HasPrefix(path, prefix) || s == path {
			return true
		}
	}
	return false
}

// errBasicRequired is a request without Basic credentials (an error
// value: its message starts with the scheme's name).
var errBasicRequired = basicRequired{}

type basicRequired struct{}

func (basicRequired) Error() string { return "Basic credentials required" }

// errBadCredentials is every Basic failure: no answer tells an unknown
// user from a wrong password.
var errBadCredentials = errors.New("bad user name or password")

func (d *Door) basic(authorization []byte) (Principal, error) {
	scheme, rest, _ := strings.Cut(string(authorization), " ")
	if !strings.EqualFold(scheme, "Basic") {
		return Principal{}, errBasicRequired
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rest))
	if err != nil {
		return Principal{}, errBadBasic
	}
	name, password, ok := strings.Cut(string(raw), ":")
	if !ok {
		return Principal{}, errBadBasic
	}
	u, known := d.users.lookup(name)
	if !known {
		decoy.check(password)
		return Principal{}, errBadCredentials
	}
	if !u.cred.check(password) {
		return Principal{}, errBadCredentials
	}
	return Principal{Name: name, Roles: u.roles, Secret: password}, nil
}

func (d *Door) bearerCheck(authorization []byte) (Principal, error) {
	scheme, token, _ := strings.Cut(string(authorization), " ")
	if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return Principal{}, errors.New("a Bearer token is required")
	}
	p, err := d.bearer.check(strings.TrimSpace(token))
	p.Secret = strings.TrimSpace(token)
	return p, err
}
