package keystore

import (
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/krest-dev/krest/proxy/testenv"
)

// certsDir holds the stores of .ci/kafka/gen-certs.sh, made by openssl and
// the JDK's keytool, the tools users make theirs with. Under CI=true missing
// tools fail the test.
func certsDir(t *testing.T) string {
	t.Helper()
	return testenv.Certs(t)
}

func lookup(props map[string]string) Lookup { return MapLookup(props, "client.") }

func TestStoresMadeByTools(t *testing.T) {
	dir := certsDir(t)
	f := func(name string) string { return filepath.Join(dir, name) }
	caPEM, err := os.ReadFile(f("ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	key, _ := os.ReadFile(f("client.key"))
	chain, _ := os.ReadFile(f("client.crt"))
	combined := filepath.Join(t.TempDir(), "client.pem")
	if err := os.WriteFile(combined, append(append([]byte{}, key...), chain...), 0o600); err != nil {
		t.Fatal(err)
	}
	encKey, _ := os.ReadFile(f("client-enc.key"))
	tests := []struct {
		name  string
		props map[string]string
		trust bool // a trust store is configured
		pair  bool // a key store is configured
	}{
		{"jks trust", map[string]string{"client.ssl.truststore.location": f("truststore.jks"), "client.ssl.truststore.password": "trustpass"}, true, false},
		{"pkcs12 trust", map[string]string{"client.ssl.truststore.location": f("truststore.p12"), "client.ssl.truststore.password": "trustpass", "client.ssl.truststore.type": "PKCS12"}, true, false},
		{"pem trust file", map[string]string{"client.ssl.truststore.location": f("ca.pem"), "client.ssl.truststore.type": "PEM"}, true, false},
		{"pem trust inline", map[string]string{"client.ssl.truststore.certificates": string(caPEM), "client.ssl.truststore.type": "PEM"}, true, false},
		{"jks key store with its own key password", map[string]string{"client.ssl.keystore.location": f("client.jks"), "client.ssl.keystore.password": "storepass", "client.ssl.key.password": "keypass"}, false, true},
		{"pkcs12 key store", map[string]string{"client.ssl.keystore.location": f("client.p12"), "client.ssl.keystore.password": "storepass", "client.ssl.keystore.type": "PKCS12"}, false, true},
		{"pem key store file", map[string]string{"client.ssl.keystore.location": combined, "client.ssl.keystore.type": "PEM"}, false, true},
		{"pem key store inline, encrypted key", map[string]string{"client.ssl.keystore.certificate.chain": string(chain), "client.ssl.keystore.key": string(encKey), "client.ssl.key.password": "keypass", "client.ssl.keystore.type": "PEM"}, false, true},
		{"nothing set", map[string]string{}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, warnings, err := Client(lookup(tt.props), time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if len(warnings) > 0 {
				t.Errorf("warnings: %v", warnings)
			}
			if (cfg.RootCAs != nil) != tt.trust {
				t.Errorf("RootCAs set = %v, want %v", cfg.RootCAs != nil, tt.trust)
			}
			if (len(cfg.Certificates) == 1) != tt.pair {
				t.Fatalf("%d certificates, want key pair %v", len(cfg.Certificates), tt.pair)
			}
			if tt.pair && cfg.Certificates[0].Leaf.Subject.CommonName != "krest-client" {
				t.Errorf("leaf %v, want CN=krest-client", cfg.Certificates[0].Leaf.Subject)
			}
			if cfg.MinVersion != tls.VersionTLS12 || cfg.InsecureSkipVerify {
				t.Errorf("MinVersion %x InsecureSkipVerify %v", cfg.MinVersion, cfg.InsecureSkipVerify)
			}
		})
	}
}

func TestBadStores(t *testing.T) {
	dir := certsDir(t)
	f := func(name string) string { return filepath.Join(dir, name) }
	unreadable := filepath.Join(t.TempDir(), "missing.jks")
	tests := []struct {
		name  string
		props map[string]string
		want  string
	}{
		{"unreadable trust store", map[string]string{"client.ssl.truststore.location": unreadable}, "client.ssl.truststore.location: cannot read " + unreadable + ": no such file or directory"},
		{"wrong jks trust password", map[string]string{"client.ssl.truststore.location": f("truststore.jks"), "client.ssl.truststore.password": "guess-1"}, "client.ssl.truststore.location: wrong password (client.ssl.truststore.password) or a damaged store"},
		{"wrong pkcs12 trust password", map[string]string{"client.ssl.truststore.location": f("truststore.p12"), "client.ssl.truststore.password": "guess-2"}, "client.ssl.truststore.location: wrong password (client.ssl.truststore.password) or a damaged store"},
		{"wrong jks store password", map[string]string{"client.ssl.keystore.location": f("client.jks"), "client.ssl.keystore.password": "guess-3", "client.ssl.key.password": "keypass"}, "client.ssl.keystore.location: wrong password (client.ssl.keystore.password) or a damaged store"},
		{"wrong jks key password", map[string]string{"client.ssl.keystore.location": f("client.jks"), "client.ssl.keystore.password": "storepass", "client.ssl.key.password": "guess-4"}, `client.ssl.keystore.location: key "client": wrong password (client.ssl.key.password) or a damaged store`},
		{"jks key password missing", map[string]string{"client.ssl.keystore.location": f("client.jks"), "client.ssl.keystore.password": "storepass"}, `client.ssl.keystore.location: key "client": wrong password (client.ssl.keystore.password) or a damaged store`},
		{"wrong pkcs12 store password", map[string]string{"client.ssl.keystore.location": f("client.p12"), "client.ssl.keystore.password": "guess-5"}, "client.ssl.keystore.location: wrong password (client.ssl.keystore.password) or a damaged store"},
		{"wrong pem key password", map[string]string{"client.ssl.keystore.certificate.chain": read(t, f("client.crt")), "client.ssl.keystore.key": read(t, f("client-enc.key")), "client.ssl.key.password": "guess-6"}, "client.ssl.keystore.certificate.chain: the private key does not decrypt: wrong password (client.ssl.key.password) or a damaged store"},
		{"encrypted pem key without password", map[string]string{"client.ssl.keystore.certificate.chain": read(t, f("client.crt")), "client.ssl.keystore.key": read(t, f("client-enc.key"))}, "client.ssl.keystore.certificate.chain: the private key is encrypted: set client.ssl.key.password"},
		{"jks key store without a key", map[string]string{"client.ssl.keystore.location": f("truststore.jks"), "client.ssl.keystore.password": "trustpass"}, "client.ssl.keystore.location: holds no private key: a key store needs the client's key and certificate"},
		{"pkcs12 key store without a key", map[string]string{"client.ssl.keystore.location": f("truststore.p12"), "client.ssl.keystore.password": "trustpass"}, "client.ssl.keystore.location: holds no private key: a key store needs the client's key and certificate"},
		{"pem key store without a key", map[string]string{"client.ssl.keystore.location": f("ca.pem")}, "client.ssl.keystore.location: holds no private key: a key store needs the client's key and certificate"},
		{"key of another certificate", map[string]string{"client.ssl.keystore.certificate.chain": read(t, f("ca.pem")), "client.ssl.keystore.key": read(t, f("client.key"))}, `client.ssl.keystore.certificate.chain: the private key does not belong to certificate "CN=krest-test-ca"`},
		{"chain without key", map[string]string{"client.ssl.keystore.certificate.chain": read(t, f("client.crt"))}, "client.ssl.keystore.certificate.chain and client.ssl.keystore.key go together"},
		{"pem trust store without certificates", map[string]string{"client.ssl.truststore.location": f("client.key")}, "client.ssl.truststore.location: holds no trusted certificate"},
		{"unknown store type", map[string]string{"client.ssl.truststore.location": f("ca.pem"), "client.ssl.truststore.type": "JCEKS"}, `client.ssl.truststore.type: "JCEKS" is not JKS, PKCS12 or PEM`},
		{"both trust forms", map[string]string{"client.ssl.truststore.location": f("ca.pem"), "client.ssl.truststore.certificates": read(t, f("ca.pem"))}, "client.ssl.truststore.location and client.ssl.truststore.certificates are alternatives: set one"},
		{"unknown endpoint identification", map[string]string{"client.ssl.endpoint.identification.algorithm": "dns"}, `client.ssl.endpoint.identification.algorithm: "dns" is not https or empty`},
		{"unknown protocol", map[string]string{"client.ssl.enabled.protocols": "TLSv1.2,SSLv3"}, `client.ssl.enabled.protocols: "SSLv3" is not one of TLSv1.2, TLSv1.3, TLSv1.1, TLSv1`},
		{"unknown cipher suite", map[string]string{"client.ssl.cipher.suites": "TLS_RSA_WITH_NULL_MD5"}, `client.ssl.cipher.suites: "TLS_RSA_WITH_NULL_MD5" is not a cipher suite Go supports (see crypto/tls.CipherSuites)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Client(lookup(tt.props), time.Now())
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("error\n got %q\nwant %q", err, tt.want)
			}
			for _, secret := range []string{"guess-", "storepass", "keypass", "trustpass", "PRIVATE KEY"} {
				if strings.Contains(err.Error(), secret) && !strings.Contains(tt.want, secret) {
					t.Errorf("error %q carries %q", err, secret)
				}
			}
		})
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// issued is a certificate made in the test, with its key, signed by ca (or
// self-signed when ca is nil).
type issued struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func issue(t testing.TB, ca *issued, cn string, notBefore, notAfter time.Time, hosts ...string) *issued {
	t.Helper()
	var parent *testenv.Cert
	if ca != nil {
		parent = &testenv.Cert{Cert: ca.cert, Key: ca.key, PEM: ca.pem}
	}
	c := testenv.Issue(t, parent, testenv.CertSpec{Subject: pkix.Name{CommonName: cn}, NotBefore: notBefore, NotAfter: notAfter,
		Hosts: hosts, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign})
	return &issued{cert: c.Cert, key: c.Key, pem: c.PEM}
}

func (c *issued) keyPEM(t testing.TB) []byte {
	t.Helper()
	return (&testenv.Cert{Key: c.key}).KeyPEM(t)
}

func TestValidity(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	ca := issue(t, nil, "test-ca", now.Add(-day), now.Add(400*day))
	tests := []struct {
		name     string
		from, to time.Time
		wantErr  string
		wantWarn string
	}{
		{"valid", now.Add(-day), now.Add(300 * day), "", ""},
		{"expired", now.Add(-10 * day), now.Add(-day), `client.ssl.keystore.certificate.chain: certificate "CN=leaf" expired on 2026-11-30T12:00:00Z`, ""},
		{"not yet valid", now.Add(day), now.Add(300 * day), `client.ssl.keystore.certificate.chain: certificate "CN=leaf" is not valid before 2026-12-02T12:00:00Z`, ""},
		{"expires soon", now.Add(-day), now.Add(10 * day), "", `client.ssl.keystore.certificate.chain: certificate "CN=leaf" expires on 2026-12-11T12:00:00Z`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leaf := issue(t, ca, "leaf", tt.from, tt.to)
			props := map[string]string{
				"client.ssl.keystore.certificate.chain": string(leaf.pem) + string(ca.pem),
				"client.ssl.keystore.key":               string(leaf.keyPEM(t)),
			}
			_, warnings, err := Client(lookup(props), now)
			if got := errString(err); got != tt.wantErr {
				t.Fatalf("error %q, want %q", got, tt.wantErr)
			}
			if got := strings.Join(warnings, "; "); got != tt.wantWarn {
				t.Errorf("warnings %q, want %q", got, tt.wantWarn)
			}
		})
	}
	t.Run("expired trust anchor", func(t *testing.T) {
		old := issue(t, nil, "old-ca", now.Add(-10*day), now.Add(-day))
		_, _, err := Client(lookup(map[string]string{"client.ssl.truststore.certificates": string(old.pem)}), now)
		want := `client.ssl.truststore.certificates: certificate "CN=old-ca" expired on 2026-11-30T12:00:00Z`
		if errString(err) != want {
			t.Fatalf("error %q, want %q", errString(err), want)
		}
	})
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestEndpointIdentification dials a TLS server whose certificate names
// only wrong.invalid: refused by default, accepted with the algorithm set
// empty, and still refused then when its CA is not trusted.
func TestEndpointIdentification(t *testing.T) {
	now := time.Now()
	ca := issue(t, nil, "test-ca", now.Add(-time.Hour), now.Add(time.Hour))
	other := issue(t, nil, "other-ca", now.Add(-time.Hour), now.Add(time.Hour))
	server := issue(t, ca, "wrong.invalid", now.Add(-time.Hour), now.Add(time.Hour), "wrong.invalid")
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{{
		Certificate: [][]byte{server.cert.Raw}, PrivateKey: server.key,
	}}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _ = c.(*tls.Conn).Handshake(); c.Close() }()
		}
	}()
	tests := []struct {
		name    string
		props   map[string]string
		wantErr string
	}{
		{"host name checked by default", map[string]string{"client.ssl.truststore.certificates": string(ca.pem)}, "cannot validate certificate for 127.0.0.1"},
		{"https checks it", map[string]string{"client.ssl.truststore.certificates": string(ca.pem), "client.ssl.endpoint.identification.algorithm": "HTTPS"}, "cannot validate certificate for 127.0.0.1"},
		{"empty turns it off", map[string]string{"client.ssl.truststore.certificates": string(ca.pem), "client.ssl.endpoint.identification.algorithm": ""}, ""},
		{"the chain is still verified", map[string]string{"client.ssl.truststore.certificates": string(other.pem), "client.ssl.endpoint.identification.algorithm": ""}, "certificate signed by unknown authority"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _, err := Client(lookup(tt.props), now)
			if err != nil {
				t.Fatal(err)
			}
			cfg.ServerName = "127.0.0.1" // as the Kafka dialer sets it
			c, err := tls.Dial("tcp", ln.Addr().String(), cfg)
			if err == nil {
				c.Close()
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("dial: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("dial error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestProtocols(t *testing.T) {
	cfg, _, err := Client(lookup(map[string]string{"client.ssl.enabled.protocols": "TLSv1.3", "client.ssl.cipher.suites": "TLS_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"}), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MinVersion != tls.VersionTLS13 || cfg.MaxVersion != tls.VersionTLS13 {
		t.Errorf("versions %x..%x, want TLS 1.3 only", cfg.MinVersion, cfg.MaxVersion)
	}
	if len(cfg.CipherSuites) != 1 || cfg.CipherSuites[0] != tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 {
		t.Errorf("cipher suites %v", cfg.CipherSuites)
	}
}

// FuzzPEMStores feeds arbitrary PEM-armoured bytes to the trust and key
// store readers: errors, never panics, and never the password. (JKS and
// PKCS12 bytes are left to their libraries: their length and iteration
// fields would make the fuzzer allocate gigabytes or spin; they come from
// the operator's own files.)
func FuzzPEMStores(f *testing.F) {
	now := time.Now()
	ca := issue(f, nil, "ca", now.Add(-time.Hour), now.Add(time.Hour))
	f.Add(string(ca.pem))
	f.Add(string(ca.keyPEM(f)) + string(ca.pem))
	f.Add("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n")
	f.Fuzz(func(t *testing.T, s string) {
		data := []byte(s)
		if sniff(data) != formatPEM {
			return
		}
		if _, err := trustCertificates(data, "pw-Zq9", "p"); err != nil && strings.Contains(err.Error(), "pw-Zq9") {
			t.Fatalf("error carries the password: %v", err)
		}
		if _, err := storeKeyPair(data, "pw-Zq9", "p", "kp-Zq9", "k"); err != nil && (strings.Contains(err.Error(), "pw-Zq9") || strings.Contains(err.Error(), "kp-Zq9")) {
			t.Fatalf("error carries the password: %v", err)
		}
	})
}
