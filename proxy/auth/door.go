package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"time"
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
	// Failures bounds failed authentications per client address and per
	// user name (see Throttle); past it callers get 429.
	Failures Throttle
}

// Error is a refused caller: Status 401 (with Challenge, the
// WWW-Authenticate value), 403, or 429 (with RetryAfter) for a client or
// user past its failed authentications.
type Error struct {
	Status     int
	Challenge  string
	Msg        string
	RetryAfter time.Duration
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
	fails  *throttle
	known  passCache // Basic credentials that checked

	challenge string
	anyRole   bool
}

// NewDoor builds a Door, reading its files now: a bad configuration fails
// here, at start-up.
func NewDoor(cfg Config, log *slog.Logger) (*Door, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d := &Door{cfg: cfg, log: log, anyRole: len(cfg.Roles) == 0 || slices.Contains(cfg.Roles, "*"), fails: newThrottle(cfg.Failures)}
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
// remote is the client's address: failures are counted by it (and by user
// name) and it names the client in the log of failures, written with ctx
// (the request's: a traced request's log lines name its trace).
func (d *Door) Check(ctx context.Context, path string, authorization []byte, cert *x509.Certificate, remote net.IP) (Principal, error) {
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
		p, err = d.basic(authorization, remote)
	} else {
		p, err = d.bearerCheck(authorization, remote)
	}
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return Principal{}, e // past the failure limit
		}
		if d.cfg.OnFailure != nil {
			d.cfg.OnFailure()
		}
		if ok, suppressed := d.fails.shouldLog(addressKey(remote), time.Now()); ok {
			d.log.InfoContext(ctx, "authentication failed", "remote", remoteString(remote), "path", path, "reason", err.Error(), "failures_not_logged", suppressed)
		}
		return Principal{}, &Error{Status: 401, Challenge: d.challenge, Msg: "Unauthorized: " + err.Error()}
	}
	if !d.anyRole && !slices.ContainsFunc(p.Roles, func(r string) bool { return slices.Contains(d.cfg.Roles, r) }) {
		if ok, suppressed := d.fails.shouldLog(addressKey(remote), time.Now()); ok {
			d.log.InfoContext(ctx, "authorization failed", "remote", remoteString(remote), "path", path, "principal", p.Name, "failures_not_logged", suppressed)
		}
		return Principal{}, &Error{Status: 403, Msg: "Forbidden: none of the roles allowed in (authentication.roles)"}
	}
	return p, nil
}

func remoteString(ip net.IP) string {
	if ip == nil {
		return ""
	}
	return ip.String()
}

// limited is the answer to an attempt past the failure limit.
func limited(retry time.Duration) *Error {
	return &Error{Status: 429, RetryAfter: retry,
		Msg: "Too Many Requests: too many failed authentications from this client or for this user; retry later"}
}

// charge counts an authentication attempt against the client's and, if
// named, the user's failure limits before any credential is checked; the
// keys are to be refunded if the credentials check.
func (d *Door) charge(remote net.IP, user string) ([]string, *Error) {
	if !d.fails.on() {
		return nil, nil
	}
	keys := []string{addressKey(remote)}
	if user != "" {
		keys = append(keys, "user:"+user)
	}
	if ok, retry := d.fails.charge(time.Now(), keys...); !ok {
		return nil, limited(retry)
	}
	return keys, nil
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

func (d *Door) basic(authorization []byte, remote net.IP) (Principal, error) {
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
	u, known, gen := d.users.lookup(name)
	if known {
		if p, ok := d.known.get(raw, gen); ok {
			return p, nil // checked a moment ago: no hash, no charge
		}
	}
	keys, limitErr := d.charge(remote, name)
	if limitErr != nil {
		return Principal{}, limitErr
	}
	if !u.cred.check(password) || !known {
		return Principal{}, errBadCredentials
	}
	d.fails.refund(keys...)
	p := Principal{Name: name, Roles: u.roles, Secret: password}
	d.known.put(raw, gen, p)
	return p, nil
}

func (d *Door) bearerCheck(authorization []byte, remote net.IP) (Principal, error) {
	scheme, token, _ := strings.Cut(string(authorization), " ")
	if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return Principal{}, errors.New("a Bearer token is required")
	}
	keys, limitErr := d.charge(remote, "")
	if limitErr != nil {
		return Principal{}, limitErr
	}
	p, err := d.bearer.check(strings.TrimSpace(token))
	p.Secret = strings.TrimSpace(token)
	if err == nil {
		d.fails.refund(keys...)
	}
	return p, err
}

// passCacheTTL is how long Basic credentials that checked are taken
// without checking their hash again (a bcrypt or argon2id check costs
// tens of milliseconds of CPU; a client sends the same header on every
// request). A change of the password file ends it at once.
const passCacheTTL = time.Minute

// maxPassCache bounds the credentials remembered; past it the cache
// starts again empty.
const maxPassCache = 10_000

// passCache remembers Basic credentials that checked, by the SHA-256 of
// "user:password" under a per-process random key, never the password.
type passCache struct {
	once sync.Once
	key  []byte
	mu   sync.Mutex
	m    map[[32]byte]passEntry
}

type passEntry struct {
	p       Principal
	gen     uint64
	expires time.Time
}

func (c *passCache) sum(userPass []byte) [32]byte {
	c.once.Do(func() {
		c.key = make([]byte, 32)
		_, _ = rand.Read(c.key)
		c.m = map[[32]byte]passEntry{}
	})
	m := hmac.New(sha256.New, c.key)
	m.Write(userPass)
	var out [32]byte
	m.Sum(out[:0])
	return out
}

func (c *passCache) get(userPass []byte, gen uint64) (Principal, bool) {
	k := c.sum(userPass)
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || e.gen != gen || time.Now().After(e.expires) {
		return Principal{}, false
	}
	return e.p, true
}

func (c *passCache) put(userPass []byte, gen uint64, p Principal) {
	k := c.sum(userPass)
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxPassCache {
		clear(c.m)
	}
	c.m[k] = passEntry{p: p, gen: gen, expires: time.Now().Add(passCacheTTL)}
}
