// Package keystore loads TLS material from Java's ssl.* settings, the keys
// Kafka clients and Confluent's proxy are configured with: trust stores and
// key stores in JKS, PKCS12 and PEM form, from files or as inline PEM, and
// builds the crypto/tls configuration of a client from them.
//
// JKS is read with github.com/pavlo-v-chernykh/keystore-go, PKCS12 with
// software.sslmate.com/src/go-pkcs12 and encrypted PKCS#8 PEM keys with
// github.com/youmark/pkcs8. A store's content decides how it is read (JKS
// magic, DER, or PEM armour), as the JDK's own loaders do; the declared
// ssl.*.type must still be one of JKS, PKCS12 or PEM.
//
// Every error names the setting at fault and never carries a password or
// key material.
package keystore

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
)

// Lookup returns the value of one Java ssl.* key (for example
// "ssl.truststore.location") and the name it was configured under (for
// example "client.ssl.truststore.location"), which messages name. ok is
// false when the key is not set.
type Lookup func(key string) (value, name string, ok bool)

// MapLookup is a Lookup over props, whose keys carry prefix
// ("schema.registry." for "schema.registry.ssl.truststore.location").
func MapLookup(props map[string]string, prefix string) Lookup {
	return func(key string) (string, string, bool) {
		v, ok := props[prefix+key]
		return strings.TrimSpace(v), prefix + key, ok
	}
}

// Keys are the ssl.* keys this package reads.
var Keys = []string{
	"ssl.truststore.location", "ssl.truststore.password", "ssl.truststore.type", "ssl.truststore.certificates",
	"ssl.keystore.location", "ssl.keystore.password", "ssl.keystore.type", "ssl.key.password",
	"ssl.keystore.certificate.chain", "ssl.keystore.key",
	"ssl.endpoint.identification.algorithm", "ssl.enabled.protocols", "ssl.protocol", "ssl.cipher.suites",
}

// ExpiryWarning is how close to its end a certificate must be for a warning.
const ExpiryWarning = 30 * 24 * time.Hour

// Client returns the configuration of a TLS client built from the ssl.*
// keys that get yields, checked at now: the trust store (the system roots
// when none is set), the key store (the client certificate for mutual TLS,
// none when unset), ssl.enabled.protocols (TLSv1.2 and TLSv1.3 by default),
// ssl.cipher.suites, and ssl.endpoint.identification.algorithm: "https", the
// default, verifies the server's host name; empty, as in Java, verifies its
// certificate chain but not the name. The server name itself is filled in by
// the dialer. Warnings report certificates that expire within ExpiryWarning.
func Client(get Lookup, now time.Time) (*tls.Config, []string, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	roots, warnings, err := Trust(get, now)
	if err != nil {
		return nil, nil, err
	}
	cfg.RootCAs = roots
	pair, w, err := KeyPair(get, now)
	if err != nil {
		return nil, nil, err
	}
	warnings = append(warnings, w...)
	if pair != nil {
		cfg.Certificates = []tls.Certificate{*pair}
	}
	if err := Protocols(get, cfg); err != nil {
		return nil, nil, err
	}
	if err := CipherSuites(get, cfg); err != nil {
		return nil, nil, err
	}
	alg, name, set := get("ssl.endpoint.identification.algorithm")
	switch {
	case !set || strings.EqualFold(alg, "https"): // Java's default
	case alg == "":
		cfg.InsecureSkipVerify = true // the chain is still verified, by VerifyConnection
		cfg.VerifyConnection = verifyChainOnly(roots)
	default:
		return nil, nil, fmt.Errorf("%s: %q is not https or empty", name, alg)
	}
	return cfg, warnings, nil
}

// verifyChainOnly verifies the server's chain against roots (the system
// roots when nil) without checking its host name.
func verifyChainOnly(roots *x509.CertPool) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("tls: the server sent no certificate")
		}
		inter := x509.NewCertPool()
		for _, c := range cs.PeerCertificates[1:] {
			inter.AddCert(c)
		}
		_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{
			Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		})
		return err
	}
}

// protocolVersions maps Java's protocol names to crypto/tls versions.
var protocolVersions = map[string]uint16{
	"TLSv1": tls.VersionTLS10, "TLSv1.1": tls.VersionTLS11, "TLSv1.2": tls.VersionTLS12, "TLSv1.3": tls.VersionTLS13,
}

// Protocols sets cfg's version range from ssl.enabled.protocols (a comma
// list of TLSv1.2, TLSv1.3 and the legacy TLSv1, TLSv1.1); unset leaves
// TLS 1.2 and later.
func Protocols(get Lookup, cfg *tls.Config) error {
	v, name, ok := get("ssl.enabled.protocols")
	if !ok || v == "" {
		return nil
	}
	var lo, hi uint16
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		ver, ok := protocolVersions[p]
		if !ok {
			return fmt.Errorf("%s: %q is not one of TLSv1.2, TLSv1.3, TLSv1.1, TLSv1", name, p)
		}
		if lo == 0 || ver < lo {
			lo = ver
		}
		hi = max(hi, ver)
	}
	cfg.MinVersion, cfg.MaxVersion = lo, hi
	return nil
}

// CipherSuites sets cfg's TLS 1.2 cipher suites from ssl.cipher.suites,
// a comma list of IANA names (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256),
// which is what Java uses too. TLS 1.3 suites are not configurable in Go
// and are accepted without effect.
func CipherSuites(get Lookup, cfg *tls.Config) error {
	v, name, ok := get("ssl.cipher.suites")
	if !ok || v == "" {
		return nil
	}
	known := map[string]uint16{}
	for _, s := range tls.CipherSuites() {
		known[s.Name] = s.ID
	}
	tls13 := map[string]bool{"TLS_AES_128_GCM_SHA256": true, "TLS_AES_256_GCM_SHA384": true, "TLS_CHACHA20_POLY1305_SHA256": true}
	for _, s := range strings.Split(v, ",") {
		s = strings.TrimSpace(s)
		id, ok := known[s]
		switch {
		case ok && !tls13[s]:
			cfg.CipherSuites = append(cfg.CipherSuites, id)
		case tls13[s]:
		default:
			return fmt.Errorf("%s: %q is not a cipher suite Go supports (see crypto/tls.CipherSuites)", name, s)
		}
	}
	return nil
}

// Trust loads the trust store from ssl.truststore.location (with .password
// and .type) or ssl.truststore.certificates (inline PEM). It returns nil,
// meaning the system roots, when neither is set.
func Trust(get Lookup, now time.Time) (*x509.CertPool, []string, error) {
	loc, locName, hasLoc := get("ssl.truststore.location")
	inline, inlineName, hasInline := get("ssl.truststore.certificates")
	hasLoc, hasInline = hasLoc && loc != "", hasInline && inline != ""
	if hasLoc && hasInline {
		return nil, nil, fmt.Errorf("%s and %s are alternatives: set one", locName, inlineName)
	}
	if !hasLoc && !hasInline {
		return nil, nil, nil
	}
	if err := checkType(get, "ssl.truststore.type"); err != nil {
		return nil, nil, err
	}
	var certs []*x509.Certificate
	var err error
	name := inlineName
	if hasInline {
		certs, err = pemCertificates([]byte(inline))
	} else {
		name = locName
		var data []byte
		if data, err = readFile(locName, loc); err != nil {
			return nil, nil, err
		}
		pass, passName, _ := get("ssl.truststore.password")
		certs, err = trustCertificates(data, pass, passName)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(certs) == 0 {
		return nil, nil, fmt.Errorf("%s: holds no trusted certificate", name)
	}
	warnings, err := checkValidity(name, certs, now)
	if err != nil {
		return nil, nil, err
	}
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool, warnings, nil
}

// KeyPair loads the key store from ssl.keystore.location (with .password,
// .type and ssl.key.password) or from ssl.keystore.certificate.chain plus
// ssl.keystore.key (inline PEM). It returns nil when neither is set.
func KeyPair(get Lookup, now time.Time) (*tls.Certificate, []string, error) {
	loc, locName, hasLoc := get("ssl.keystore.location")
	chain, chainName, hasChain := get("ssl.keystore.certificate.chain")
	key, keyName, hasKey := get("ssl.keystore.key")
	hasLoc, hasChain, hasKey = hasLoc && loc != "", hasChain && chain != "", hasKey && key != ""
	switch {
	case hasLoc && (hasChain || hasKey):
		return nil, nil, fmt.Errorf("%s and %s/%s are alternatives: set one", locName, chainName, keyName)
	case hasChain != hasKey:
		return nil, nil, fmt.Errorf("%s and %s go together", chainName, keyName)
	case !hasLoc && !hasChain:
		return nil, nil, nil
	}
	if err := checkType(get, "ssl.keystore.type"); err != nil {
		return nil, nil, err
	}
	keyPass, keyPassName, _ := get("ssl.key.password")
	var pair *tls.Certificate
	var err error
	name := chainName
	if hasChain {
		pair, err = pemKeyPair([]byte(chain+"\n"+key), keyPass, keyPassName)
	} else {
		name = locName
		var data []byte
		if data, err = readFile(locName, loc); err != nil {
			return nil, nil, err
		}
		pass, passName, _ := get("ssl.keystore.password")
		pair, err = storeKeyPair(data, pass, passName, keyPass, keyPassName)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	certs := make([]*x509.Certificate, 0, len(pair.Certificate))
	for _, der := range pair.Certificate {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: a certificate of the chain does not parse: %w", name, err)
		}
		certs = append(certs, c)
	}
	pair.Leaf = certs[0]
	warnings, err := checkValidity(name, certs, now)
	if err != nil {
		return nil, nil, err
	}
	return pair, warnings, nil
}

// checkType accepts the store types Java's Kafka clients know.
func checkType(get Lookup, key string) error {
	v, name, ok := get(key)
	if !ok || v == "" {
		return nil
	}
	if !slices.Contains([]string{"JKS", "PKCS12", "PEM"}, strings.ToUpper(v)) {
		return fmt.Errorf("%s: %q is not JKS, PKCS12 or PEM", name, v)
	}
	return nil
}

func readFile(name, path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("%s: cannot read %s: %w", name, path, err)
	}
	return data, nil
}

// checkValidity refuses certificates outside their validity period at now
// and warns about those that end within ExpiryWarning.
func checkValidity(name string, certs []*x509.Certificate, now time.Time) ([]string, error) {
	var warnings []string
	for _, c := range certs {
		switch {
		case now.Before(c.NotBefore):
			return nil, fmt.Errorf("%s: certificate %q is not valid before %s", name, c.Subject.String(), c.NotBefore.UTC().Format(time.RFC3339))
		case now.After(c.NotAfter):
			return nil, fmt.Errorf("%s: certificate %q expired on %s", name, c.Subject.String(), c.NotAfter.UTC().Format(time.RFC3339))
		case c.NotAfter.Sub(now) < ExpiryWarning:
			warnings = append(warnings, fmt.Sprintf("%s: certificate %q expires on %s", name, c.Subject.String(), c.NotAfter.UTC().Format(time.RFC3339)))
		}
	}
	return warnings, nil
}
