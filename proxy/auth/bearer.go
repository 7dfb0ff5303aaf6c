package auth

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

// BearerConfig configures JWT validation.
type BearerConfig struct {
	JWKSURL        string // keys from a JWKS endpoint, refreshed in the background
	PublicKeyFile  string // or one PEM public key (RSA or EC)
	Issuer         string // required "iss" when set
	Audience       string // required in "aud" when set
	PrincipalClaim string // the claim naming the principal ("sub" when empty)
	RolesClaim     string // a claim listing roles (array, or space-separated)
	Leeway         time.Duration
}

// signingMethods are the algorithms accepted: asymmetric only, so "none"
// and HMAC (a public key used as a secret) are refused.
var signingMethods = []string{"RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "EdDSA"}

// bearer validates JWTs.
type bearer struct {
	cfg     BearerConfig
	keyfunc jwt.Keyfunc
	parser  *jwt.Parser
	cancel  context.CancelFunc
}

func newBearer(cfg BearerConfig) (*bearer, error) {
	b := &bearer{cfg: cfg}
	if b.cfg.PrincipalClaim == "" {
		b.cfg.PrincipalClaim = "sub"
	}
	switch {
	case cfg.JWKSURL != "":
		ctx, cancel := context.WithCancel(context.Background())
		kf, err := keyfunc.NewDefaultCtx(ctx, []string{cfg.JWKSURL})
		if err != nil {
			cancel()
			return nil, fmt.Errorf("authentication.bearer.jwks.url: %v", err)
		}
		b.keyfunc, b.cancel = kf.Keyfunc, cancel
	case cfg.PublicKeyFile != "":
		key, err := readPublicKey(cfg.PublicKeyFile)
		if err != nil {
			return nil, err
		}
		b.keyfunc = func(*jwt.Token) (any, error) { return key, nil }
	default:
		return nil, errors.New("bearer tokens need authentication.bearer.jwks.url or authentication.bearer.public.key.location")
	}
	opts := []jwt.ParserOption{jwt.WithValidMethods(signingMethods), jwt.WithExpirationRequired(), jwt.WithLeeway(cfg.Leeway)}
	if cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.Issuer))
	}
	if cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(cfg.Audience))
	}
	b.parser = jwt.NewParser(opts...)
	return b, nil
}

func readPublicKey(path string) (crypto.PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("authentication.bearer.public.key.location: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("authentication.bearer.public.key.location: %s holds no PEM block", path)
	}
	if block.Type == "CERTIFICATE" {
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("authentication.bearer.public.key.location: %v", err)
		}
		return cert.PublicKey, nil
	}
	key, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("authentication.bearer.public.key.location: %s is not a PEM public key: %v", path, err)
	}
	return key, nil
}

// check validates a token and returns its principal.
func (b *bearer) check(token string) (Principal, error) {
	claims := jwt.MapClaims{}
	if _, err := b.parser.ParseWithClaims(token, claims, b.keyfunc); err != nil {
		return Principal{}, fmt.Errorf("invalid bearer token: %s", tokenError(err))
	}
	name, _ := claims[b.cfg.PrincipalClaim].(string)
	if name == "" {
		return Principal{}, fmt.Errorf("invalid bearer token: no %q claim", b.cfg.PrincipalClaim)
	}
	p := Principal{Name: name}
	if b.cfg.RolesClaim != "" {
		switch v := claims[b.cfg.RolesClaim].(type) {
		case string:
			p.Roles = strings.Fields(v)
		case []any:
			for _, r := range v {
				if s, ok := r.(string); ok {
					p.Roles = append(p.Roles, s)
				}
			}
		}
	}
	return p, nil
}

// tokenError names why a token was refused, without echoing it.
func tokenError(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return "expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "not valid yet"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return "wrong issuer"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return "wrong audience"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return "bad signature"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "a required claim is missing"
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "malformed"
	}
	return "refused"
}

func (b *bearer) close() {
	if b.cancel != nil {
		b.cancel()
	}
}
