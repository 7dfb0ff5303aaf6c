package jaas

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/sasl/oauth"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// tokenSource fetches OAuth access tokens with the client-credentials
// grant and keeps the current one until its refresh time: the point of its
// lifetime set by sasl.login.refresh.window.factor (0.8 by default, as in
// Java), but at least sasl.login.refresh.buffer.seconds (300) before it
// expires and at least sasl.login.refresh.min.period.seconds (60) after it
// was fetched. franz-go asks for a token on every new connection and on
// every re-authentication, which brokers demand before the token expires.
type tokenSource struct {
	cfg    clientcredentials.Config
	client *http.Client
	secret string // scrubbed from errors
	factor float64
	minPer time.Duration
	buffer time.Duration
	now    func() time.Time

	mu        sync.Mutex
	token     string
	expiry    time.Time
	refreshAt time.Time
}

func newTokenSource(get Lookup, m Module, jaasName, endpoint, endpointName string) (*tokenSource, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("%s: not an http(s) URL", endpointName)
	}
	id, idName := option(get, "sasl.oauthbearer.client.credentials.client.id", m, "clientId")
	secret, _ := option(get, "sasl.oauthbearer.client.credentials.client.secret", m, "clientSecret")
	scope, _ := option(get, "sasl.oauthbearer.scope", m, "scope")
	if id == "" || secret == "" {
		return nil, fmt.Errorf("%s: the client-credentials flow of %s needs clientId=\"…\" and clientSecret=\"…\" options", nameOr(idName, jaasName), endpointName)
	}
	connect, err := durationSetting(get, "sasl.login.connect.timeout.ms", time.Millisecond, 10*time.Second)
	if err != nil {
		return nil, err
	}
	read, err := durationSetting(get, "sasl.login.read.timeout.ms", time.Millisecond, 10*time.Second)
	if err != nil {
		return nil, err
	}
	s := &tokenSource{
		cfg: clientcredentials.Config{
			ClientID: id, ClientSecret: secret, TokenURL: endpoint,
			Scopes: strings.Fields(strings.ReplaceAll(scope, ",", " ")), AuthStyle: oauth2.AuthStyleInHeader,
		},
		client: &http.Client{Timeout: connect + read},
		secret: secret, factor: 0.8, now: time.Now,
	}
	if v, name, ok := get("sasl.login.refresh.window.factor"); ok && v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0.5 || f > 1 {
			return nil, fmt.Errorf("%s: %q is not between 0.5 and 1.0", name, v)
		}
		s.factor = f
	}
	if s.minPer, err = durationSetting(get, "sasl.login.refresh.min.period.seconds", time.Second, 60*time.Second); err != nil {
		return nil, err
	}
	if s.buffer, err = durationSetting(get, "sasl.login.refresh.buffer.seconds", time.Second, 300*time.Second); err != nil {
		return nil, err
	}
	return s, nil
}

// auth is the franz-go callback: the current token, fetched if due.
func (s *tokenSource) auth(ext map[string]string) func(context.Context) (oauth.Auth, error) {
	return func(ctx context.Context) (oauth.Auth, error) {
		tok, err := s.Token(ctx)
		if err != nil {
			return oauth.Auth{}, err
		}
		return oauth.Auth{Token: tok, Extensions: ext}, nil
	}
}

// Token returns the current access token, fetching a new one when the
// refresh time has passed. If a refresh fails while the old token is still
// valid, the old token is used and the next call tries again.
func (s *tokenSource) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if s.token != "" && now.Before(s.refreshAt) {
		return s.token, nil
	}
	tok, err := s.cfg.Token(context.WithValue(ctx, oauth2.HTTPClient, s.client))
	if err != nil {
		if s.token != "" && now.Before(s.expiry) {
			return s.token, nil
		}
		return "", s.scrub(err)
	}
	expiry := tok.Expiry
	if expiry.IsZero() {
		expiry = jwtExpiry(tok.AccessToken)
	}
	if expiry.IsZero() {
		expiry = now.Add(time.Hour)
	}
	s.token, s.expiry = tok.AccessToken, expiry
	s.refreshAt = refreshTime(now, expiry, s.factor, s.minPer, s.buffer)
	return s.token, nil
}

// refreshTime is when a token fetched at issued and ending at expiry is
// replaced (Kafka's ExpiringCredentialRefreshingLogin without jitter).
func refreshTime(issued, expiry time.Time, factor float64, minPeriod, buffer time.Duration) time.Time {
	life := expiry.Sub(issued)
	at := issued.Add(time.Duration(float64(life) * factor))
	if expiry.Sub(at) < buffer {
		at = expiry.Add(-buffer)
	}
	if at.Sub(issued) < minPeriod {
		at = issued.Add(minPeriod)
	}
	if at.After(expiry) {
		at = expiry
	}
	return at
}

// scrub describes a token-endpoint failure without anything it may echo.
func (s *tokenSource) scrub(err error) error {
	var re *oauth2.RetrieveError
	msg := err.Error()
	if errors.As(err, &re) {
		msg = fmt.Sprintf("status %d", re.Response.StatusCode)
		if re.ErrorCode != "" {
			msg += ": " + re.ErrorCode
		}
		if re.ErrorDescription != "" {
			msg += " (" + re.ErrorDescription + ")"
		}
	}
	if s.secret != "" {
		msg = strings.ReplaceAll(msg, s.secret, "[redacted]")
	}
	return fmt.Errorf("OAuth token from %s: %s", s.cfg.TokenURL, msg)
}

// jwtExpiry reads the exp claim of a JWT without verifying it (the broker
// does), or returns zero.
func jwtExpiry(tok string) time.Time {
	parts := strings.Split(tok, ".")
	if len(parts) < 2 {
		return time.Time{}
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return time.Time{}
	}
	var claims struct {
		Exp float64 `json:"exp"`
	}
	if json.Unmarshal(payload, &claims) != nil || claims.Exp <= 0 {
		return time.Time{}
	}
	return time.Unix(int64(claims.Exp), 0)
}

// unsecured makes Kafka's unsecured OAUTHBEARER tokens (unsigned JWTs, "alg":
// "none"), as OAuthBearerUnsecuredLoginCallbackHandler does from the
// unsecuredLogin* JAAS options. Brokers accept them only with Kafka's
// default, unsecured validator: for development and tests.
type unsecured struct {
	claims   map[string]any
	lifetime time.Duration
	ext      map[string]string
	now      func() time.Time
}

func newUnsecured(m Module, jaasName string, ext map[string]string) (*unsecured, error) {
	u := &unsecured{claims: map[string]any{}, lifetime: time.Hour, ext: ext, now: time.Now}
	for k, v := range m.Options {
		switch {
		case strings.HasPrefix(k, "unsecuredLoginStringClaim_"):
			u.claims[strings.TrimPrefix(k, "unsecuredLoginStringClaim_")] = v
		case strings.HasPrefix(k, "unsecuredLoginNumberClaim_"):
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return nil, fmt.Errorf("%s: option %s is not a number", jaasName, k)
			}
			u.claims[strings.TrimPrefix(k, "unsecuredLoginNumberClaim_")] = n
		case strings.HasPrefix(k, "unsecuredLoginListClaim_"):
			if v == "" {
				continue
			}
			u.claims[strings.TrimPrefix(k, "unsecuredLoginListClaim_")] = strings.Split(v[1:], v[:1])
		case strings.HasPrefix(k, "unsecuredLoginExtension_"):
			u.ext[strings.TrimPrefix(k, "unsecuredLoginExtension_")] = v
		case k == "unsecuredLoginLifetimeSeconds":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				return nil, fmt.Errorf("%s: option %s is not a positive integer", jaasName, k)
			}
			u.lifetime = time.Duration(n) * time.Second
		}
	}
	if s, _ := u.claims["sub"].(string); s == "" {
		return nil, fmt.Errorf("%s: OAUTHBEARER without sasl.oauthbearer.token.endpoint.url makes unsecured tokens and needs unsecuredLoginStringClaim_sub=\"…\"", jaasName)
	}
	return u, nil
}

func (u *unsecured) auth(context.Context) (oauth.Auth, error) {
	now := u.now()
	claims := map[string]any{"iat": now.Unix(), "exp": now.Add(u.lifetime).Unix()}
	for k, v := range u.claims {
		claims[k] = v
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return oauth.Auth{}, err
	}
	enc := base64.RawURLEncoding
	tok := enc.EncodeToString([]byte(`{"alg":"none"}`)) + "." + enc.EncodeToString(payload) + "."
	return oauth.Auth{Token: tok, Extensions: u.ext}, nil
}
