package proxy

import (
	"context"
	"crypto/ecdsa"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/krest-dev/krest/proxy/config"
	"github.com/krest-dev/krest/proxy/testenv"
)

// testCA issues certificates for the front-door tests.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	c := testenv.Issue(t, nil, testenv.CertSpec{Subject: pkix.Name{CommonName: "front-door-ca"}})
	return &testCA{cert: c.Cert, key: c.Key, pem: c.PEM}
}

// issue returns a PEM key store (PKCS#8 key, then the chain) for subject,
// a server certificate for 127.0.0.1 when server is true.
func (ca *testCA) issue(t *testing.T, subject pkix.Name, server bool) []byte {
	t.Helper()
	spec := testenv.CertSpec{Subject: subject, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if server {
		spec.ExtKeyUsage, spec.Hosts = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, []string{"127.0.0.1"}
	}
	c := testenv.Issue(t, &testenv.Cert{Cert: ca.cert, Key: ca.key, PEM: ca.pem}, spec)
	out := append(c.KeyPEM(t), c.PEM...)
	return append(out, ca.pem...)
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path+".tmp", data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil { // atomic, as rotation tools do
		t.Fatal(err)
	}
	return path
}

// frontDoor is a krest serving each listener of its configuration.
type frontDoor struct {
	*Server
	urls []string // in the order of "listeners"
}

func startFrontDoor(t *testing.T, b backend, props map[string]string) *frontDoor {
	t.Helper()
	all := map[string]string{"bootstrap.servers": strings.Join(b.seeds, ",")}
	for k, v := range props {
		all[k] = v
	}
	cfg, err := config.Parse(all)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	fd := &frontDoor{Server: s}
	for _, l := range cfg.Listeners {
		ln, err := s.Listen(l)
		if err != nil {
			t.Fatal(err)
		}
		fd.urls = append(fd.urls, l.Scheme+"://"+ln.Addr().String())
		go s.Serve(ln) //nolint:errcheck // returns on Shutdown
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Shutdown(ctx) //nolint:errcheck // best effort
	})
	return fd
}

// get does a GET with client, returning status, body and headers.
func get(t *testing.T, client *http.Client, url string, header map[string]string) (int, string, http.Header, error) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header, nil
}

func tlsClient(roots *x509.CertPool, cert *tls.Certificate) *http.Client {
	cfg := &tls.Config{RootCAs: roots}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg, DisableKeepAlives: true}}
}

// TestHTTPS: http and https listeners side by side; the certificate is
// re-read when its file changes, without a restart.
func TestHTTPS(t *testing.T) {
	t.Parallel()
	b := fakeBroker(t)
	ca := newTestCA(t)
	dir := t.TempDir()
	store := writeFile(t, dir, "server.pem", ca.issue(t, pkix.Name{CommonName: "first"}, true))
	fd := startFrontDoor(t, b, map[string]string{
		"listeners":         "http://127.0.0.1:0,https://127.0.0.1:0",
		"ssl.keystore.type": "PEM", "ssl.keystore.location": store,
	})
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	client := tlsClient(roots, nil)
	if status, body, _, err := get(t, http.DefaultClient, fd.urls[0]+"/topics", nil); err != nil || status != 200 {
		t.Fatalf("http: %d %s %v", status, body, err)
	}
	served := func() string {
		resp, err := client.Get(fd.urls[1] + "/topics")
		if err != nil {
			t.Fatalf("https: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("https: %d", resp.StatusCode)
		}
		return resp.TLS.PeerCertificates[0].Subject.CommonName
	}
	if cn := served(); cn != "first" {
		t.Fatalf("serving %q", cn)
	}
	writeFile(t, dir, "server.pem", ca.issue(t, pkix.Name{CommonName: "second"}, true))
	eventually(t, 10*time.Second, "the rotated certificate", func() bool { return served() == "second" })
}

// TestClientCertificates: REQUIRED refuses a client without a certificate
// at the handshake; REQUESTED lets it in; a certificate that no mapping
// rule matches is 401.
func TestClientCertificates(t *testing.T) {
	t.Parallel()
	b := fakeBroker(t)
	ca := newTestCA(t)
	dir := t.TempDir()
	store := writeFile(t, dir, "server.pem", ca.issue(t, pkix.Name{CommonName: "server"}, true))
	trust := writeFile(t, dir, "ca.pem", ca.pem)
	clientPEM := ca.issue(t, pkix.Name{CommonName: "alice", OrganizationalUnit: []string{"eng"}}, false)
	pair, err := tls.X509KeyPair(clientPEM, clientPEM)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	base := map[string]string{
		"listeners": "https://127.0.0.1:0", "ssl.keystore.type": "PEM", "ssl.keystore.location": store,
		"ssl.truststore.type": "PEM", "ssl.truststore.location": trust,
	}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	required := startFrontDoor(t, b, with("ssl.client.authentication", "REQUIRED"))
	if _, _, _, err := get(t, tlsClient(roots, nil), required.urls[0]+"/", nil); err == nil {
		t.Error("REQUIRED let a client without a certificate in")
	}
	if status, _, _, err := get(t, tlsClient(roots, &pair), required.urls[0]+"/", nil); err != nil || status != 200 {
		t.Errorf("REQUIRED with a certificate: %d %v", status, err)
	}
	legacy := startFrontDoor(t, b, with("ssl.client.auth", "true"))
	if _, _, _, err := get(t, tlsClient(roots, nil), legacy.urls[0]+"/", nil); err == nil {
		t.Error("ssl.client.auth=true let a client without a certificate in")
	}
	requested := startFrontDoor(t, b, with("ssl.client.authentication", "REQUESTED", "ssl.principal.mapping.rules", "RULE:^CN=(.*?),OU=ops$/$1/"))
	if status, _, _, err := get(t, tlsClient(roots, nil), requested.urls[0]+"/", nil); err != nil || status != 200 {
		t.Errorf("REQUESTED without a certificate: %d %v", status, err)
	}
	status, body, _, err := get(t, tlsClient(roots, &pair), requested.urls[0]+"/", nil)
	if err != nil || status != 401 || body != `{"error_code":401,"message":"Unauthorized: the client certificate maps to no principal (ssl.principal.mapping.rules)"}` {
		t.Errorf("an unmapped certificate: %d %s %v", status, body, err)
	}
}

// TestBasicDoor: HTTP Basic against the JAAS and password files: the right
// password passes, a wrong one or an unknown user is the same 401 with
// WWW-Authenticate, a role not allowed is 403, skip paths are open, and no
// password reaches the log.
func TestBasicDoor(t *testing.T) {
	t.Parallel()
	b := fakeBroker(t)
	dir := t.TempDir()
	passwords := writeFile(t, dir, "password.properties", []byte("alice: MD5:"+md5hex("alice-secret")+",admin\nbob: bob-secret,guest\n"))
	jaasFile := writeFile(t, dir, "jaas.conf", []byte("KafkaRest {\n  org.eclipse.jetty.jaas.spi.PropertyFileLoginModule required file=\""+passwords+"\";\n};\n"))
	logs := &logBuffer{}
	ts := startServerWithLog(t, map[string]string{
		"bootstrap.servers": strings.Join(b.seeds, ","), "listeners": "http://127.0.0.1:0",
		"authentication.method": "BASIC", "authentication.roles": "admin", "authentication.skip.paths": "/",
		"java.security.auth.login.config": jaasFile,
	}, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	const unauthorized = `{"error_code":401,"message":"Unauthorized: bad user name or password"}`
	for _, tc := range []struct {
		name, user, pass, path string
		status                 int
		want                   string
	}{
		{"right password", "alice", "alice-secret", "/topics", 200, "["},
		{"wrong password", "alice", "wrong-secret", "/topics", 401, unauthorized},
		{"unknown user", "mallory", "alice-secret", "/topics", 401, unauthorized},
		{"role not allowed", "bob", "bob-secret", "/topics", 403, `{"error_code":403,"message":"Forbidden: none of the roles allowed in (authentication.roles)"}`},
		{"no credentials", "", "", "/topics", 401, `{"error_code":401,"message":"Unauthorized: Basic credentials required"}`},
		{"skip path", "", "", "/", 200, "{}"},
	} {
		req, _ := http.NewRequest("GET", ts.url+tc.path, nil)
		if tc.user != "" {
			req.SetBasicAuth(tc.user, tc.pass)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || !strings.HasPrefix(string(body), tc.want) {
			t.Errorf("%s: %d %s, want %d %s", tc.name, resp.StatusCode, body, tc.status, tc.want)
		}
		if tc.status == 401 && resp.Header.Get("WWW-Authenticate") != `Basic realm="KafkaRest"` {
			t.Errorf("%s: WWW-Authenticate %q", tc.name, resp.Header.Get("WWW-Authenticate"))
		}
	}
	for _, secret := range []string{"alice-secret", "wrong-secret", "bob-secret"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log carries %q:\n%s", secret, logs.String())
		}
	}
	if !strings.Contains(logs.String(), "authentication failed") {
		t.Errorf("failed attempts are not logged:\n%s", logs.String())
	}
	if _, body, _ := ts.do(t, "GET", "/metrics", nil, nil); !strings.Contains(body, "krest_auth_failures_total 3") {
		t.Errorf("failed attempts are not counted (3: wrong password, unknown user, no credentials)")
	}
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestBearerDoor: JWTs checked against a JWKS endpoint.
func TestBearerDoor(t *testing.T) {
	t.Parallel()
	b := fakeBroker(t)
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		n := base64.RawURLEncoding.EncodeToString(key.N.Bytes())
		e := base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes())
		io.WriteString(w, `{"keys":[{"kty":"RSA","kid":"k1","alg":"RS256","use":"sig","n":"`+n+`","e":"`+e+`"}]}`)
	}))
	t.Cleanup(jwks.Close)
	ts := startServer(t, b, map[string]string{
		"authentication.method": "BEARER", "authentication.bearer.jwks.url": jwks.URL,
		"authentication.bearer.issuer": "https://idp", "authentication.bearer.audience": "krest",
	})
	token := func(kid string, exp time.Time) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"sub": "alice", "iss": "https://idp", "aud": "krest", "exp": exp.Unix()})
		tok.Header["kid"] = kid
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for _, tc := range []struct {
		name, auth string
		status     int
	}{
		{"valid", "Bearer " + token("k1", time.Now().Add(time.Hour)), 200},
		{"expired", "Bearer " + token("k1", time.Now().Add(-time.Hour)), 401},
		{"unknown key", "Bearer " + token("k2", time.Now().Add(time.Hour)), 401},
		{"Basic instead", "Basic YTpi", 401},
	} {
		status, body, hdr := ts.do(t, "GET", "/topics", map[string]string{"Authorization": tc.auth}, nil)
		if status != tc.status {
			t.Errorf("%s: %d %s", tc.name, status, body)
		}
		if status == 401 && hdr.Get("WWW-Authenticate") != `Bearer realm="KafkaRest"` {
			t.Errorf("%s: WWW-Authenticate %q", tc.name, hdr.Get("WWW-Authenticate"))
		}
	}
}

// TestBadAuthorizationHeaders: 100,000 random or malformed Authorization
// headers are all 401 (none a 5xx), and the heap stays flat.
func TestBadAuthorizationHeaders(t *testing.T) {
	b := fakeBroker(t)
	dir := t.TempDir()
	passwords := writeFile(t, dir, "password.properties", []byte("alice: alice-secret,admin\n"))
	jaasFile := writeFile(t, dir, "jaas.conf", []byte("KafkaRest { org.eclipse.jetty.jaas.spi.PropertyFileLoginModule required file=\""+passwords+"\"; };"))
	// Without the failure limit (TestAttackPasswordGuessing has it on):
	// every one of these is checked.
	ts := startServer(t, b, map[string]string{"authentication.method": "BASIC", "java.security.auth.login.config": jaasFile,
		"authentication.failure.limit.per.sec": "0"})
	shapes := []func(i int) string{
		func(i int) string { return "Basic " + strings.Repeat("A", 1+i%8000) },
		func(i int) string { return "Basic !!!" + strconv.Itoa(i) },
		func(i int) string {
			return "Basic " + base64.StdEncoding.EncodeToString([]byte("no-colon-"+strconv.Itoa(i)))
		},
		func(i int) string {
			return "Basic " + base64.StdEncoding.EncodeToString([]byte{0xff, 0xfe, ':', byte(i)})
		},
		func(i int) string { return "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0." },
		func(i int) string {
			return "Basic " + base64.StdEncoding.EncodeToString([]byte("alice:wrong-"+strconv.Itoa(i)))
		},
		func(i int) string { return strconv.Itoa(i) },
	}
	var before, after runtime.MemStats
	const n, workers = 100_000, 4
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				if i == n/2 {
					runtime.GC()
					runtime.ReadMemStats(&before)
				}
				req, _ := http.NewRequest("GET", ts.url+"/topics", nil)
				req.Header.Set("Authorization", shapes[i%len(shapes)](i))
				resp, err := client.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mu.Lock()
				statuses[resp.StatusCode]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	runtime.GC()
	runtime.ReadMemStats(&after)
	if statuses[401] != n {
		t.Errorf("statuses %v, want %d × 401", statuses, n)
	}
	if grew := int64(after.HeapInuse) - int64(before.HeapInuse); grew > 16<<20 {
		t.Errorf("the heap grew by %d MiB over the second half", grew>>20)
	}
}
