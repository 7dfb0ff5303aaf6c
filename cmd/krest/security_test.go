package main

import (
	"crypto/x509/pkix"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/krest-dev/krest/proxy/testenv"
)

// writeProps writes a properties file; values may span lines (inline PEM)
// and are escaped as Java's properties format wants.
func writeProps(t *testing.T, props map[string]string) string {
	t.Helper()
	var b strings.Builder
	for k, v := range props {
		b.WriteString(k + "=" + strings.ReplaceAll(v, "\n", `\n\`+"\n") + "\n")
	}
	path := filepath.Join(t.TempDir(), "krest.properties")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// certPEM is a self-signed CA certificate valid from notBefore to notAfter.
func certPEM(t *testing.T, notBefore, notAfter time.Time) string {
	t.Helper()
	return string(testenv.Issue(t, nil, testenv.CertSpec{Subject: pkix.Name{CommonName: "test-ca"}, NotBefore: notBefore, NotAfter: notAfter}).PEM)
}

const plainLogin = `org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="hunter2-secret";`

// TestSecurityStartupErrors: bad security settings stop krest with one line
// naming the key, and never print the secret.
func TestSecurityStartupErrors(t *testing.T) {
	bin, err := krestBinary()
	if err != nil {
		t.Fatal(err)
	}
	sasl := map[string]string{"bootstrap.servers": "127.0.0.1:1", "client.security.protocol": "SASL_SSL", "client.sasl.mechanism": "PLAIN"}
	with := func(base map[string]string, kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	expired := certPEM(t, time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour))
	tests := []struct {
		name  string
		props map[string]string
		want  string
	}{
		{"jaas does not parse", with(sasl, "client.sasl.jaas.config", strings.TrimSuffix(plainLogin, ";")),
			"client.sasl.jaas.config: expected ';' at the end of the login module at character 108"},
		{"unknown mechanism", with(sasl, "client.sasl.mechanism", "KERBEROS", "client.sasl.jaas.config", plainLogin),
			`client.sasl.mechanism: "KERBEROS" is not PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER or AWS_MSK_IAM`},
		{"unreadable key store", with(sasl, "client.sasl.jaas.config", plainLogin, "client.ssl.keystore.location", "/nonexistent/k.p12", "client.ssl.keystore.password", "hunter2-secret"),
			"client.ssl.keystore.location: cannot read /nonexistent/k.p12: no such file or directory"},
		{"expired trust anchor", with(sasl, "client.sasl.jaas.config", plainLogin, "client.ssl.truststore.certificates", expired),
			`client.ssl.truststore.certificates: certificate "CN=test-ca" expired on ` + "20"},
		{"unprefixed jaas", map[string]string{"bootstrap.servers": "127.0.0.1:1", "sasl.jaas.config": plainLogin},
			"sasl.jaas.config is not read by krest (nor by Confluent's proxy): the Kafka clients' setting is client.sasl.jaas.config"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(bin, "-config", writeProps(t, tt.props))
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("krest started:\n%s", out)
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "krest: "+tt.want) {
				t.Fatalf("output\n%s\nwant one line starting %q", out, "krest: "+tt.want)
			}
			if strings.Contains(string(out), "hunter2-secret") {
				t.Fatalf("the password reached the output:\n%s", out)
			}
		})
	}
}

// TestSecurityStartupWarnings: a certificate near its end is a warning at
// start-up, and neither the Kafka password nor the registry's reach the log.
func TestSecurityStartupWarnings(t *testing.T) {
	soon := certPEM(t, time.Now().Add(-time.Hour), time.Now().Add(10*24*time.Hour))
	p := startKrest(t, "-config", writeProps(t, map[string]string{
		"bootstrap.servers": "127.0.0.1:1", "client.security.protocol": "SASL_SSL", "client.sasl.mechanism": "PLAIN",
		"client.sasl.jaas.config": plainLogin, "client.ssl.truststore.certificates": soon,
		"schema.registry.url": "https://registry-user:registry-secret@127.0.0.1:1", "schema.registry.basic.auth.credentials.source": "URL",
	}))
	p.get(t, "/")
	log := p.stderr.String()
	if !strings.Contains(log, `client.ssl.truststore.certificates: certificate \"CN=test-ca\" expires on`) {
		t.Errorf("no expiry warning in the log:\n%s", log)
	}
	for _, secret := range []string{"hunter2-secret", "registry-secret"} {
		if strings.Contains(log, secret) {
			t.Errorf("the log carries %q:\n%s", secret, log)
		}
	}
}
