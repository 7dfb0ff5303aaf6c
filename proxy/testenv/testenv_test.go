package testenv

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"testing"
	"time"
)

// TestMissingSkips: outside CI a missing component skips the test. (Under
// CI=true it fails it, which a test cannot show without failing.)
func TestMissingSkips(t *testing.T) {
	t.Setenv("CI", "")
	t.Setenv(BootstrapEnv, "")
	for name, f := range map[string]func(t *testing.T){
		"tool":    func(t *testing.T) { Tool(t, "krest-no-such-tool", "/nonexistent/krest-no-such-tool") },
		"broker":  func(t *testing.T) { Broker(t) },
		"require": func(t *testing.T) { Require(t, "nothing", false) },
	} {
		var sub *testing.T
		t.Run(name, func(t *testing.T) { sub = t; f(t) })
		if !sub.Skipped() || sub.Failed() {
			t.Errorf("%s: skipped %v, failed %v; want skipped", name, sub.Skipped(), sub.Failed())
		}
	}
	t.Setenv(BootstrapEnv, "127.0.0.1:1,127.0.0.1:2")
	if got := Broker(t); len(got) != 2 || got[1] != "127.0.0.1:2" {
		t.Errorf("Broker: %q", got)
	}
}

// TestIssue: a leaf issued by a CA verifies against it, for its host, and
// its key pairs with it.
func TestIssue(t *testing.T) {
	ca := Issue(t, nil, CertSpec{Subject: pkix.Name{CommonName: "ca"}})
	if !ca.Cert.IsCA {
		t.Fatal("a self-signed certificate is not a CA")
	}
	leaf := Issue(t, ca, CertSpec{Subject: pkix.Name{CommonName: "leaf"}, Hosts: []string{"127.0.0.1", "localhost"},
		NotAfter: time.Now().Add(time.Hour)})
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	if _, err := leaf.Cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: "localhost"}); err != nil {
		t.Error(err)
	}
	if err := leaf.Cert.VerifyHostname("127.0.0.1"); err != nil {
		t.Error(err)
	}
	if _, err := tls.X509KeyPair(leaf.PEM, leaf.KeyPEM(t)); err != nil {
		t.Error(err)
	}
}
