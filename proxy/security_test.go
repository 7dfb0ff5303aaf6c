package proxy

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/krest-dev/krest/proxy/testenv"
)

// securedBroker is the real broker's secured side (.ci/kafka/with-broker.sh).
type securedBroker struct {
	plain   backend // PLAINTEXT, a super user: creates topics and ACLs
	ssl     string  // SSL, client certificates required
	saslSSL string  // SASL_SSL: SCRAM-SHA-512, PLAIN, OAUTHBEARER
	badhost string  // SSL with a certificate for wrong.invalid
	certs   string  // gen-certs.sh's directory
}

// Principals the ACLs of grantACLs allow on topics and groups named sec-*.
var securePrincipals = []string{"User:alice", "User:bob", "User:CN=krest-client", "User:krest-oauth"}

var grantOnce sync.Once

func secured(t *testing.T) securedBroker {
	t.Helper()
	sec := testenv.SecuredBroker(t)
	b := securedBroker{plain: realBroker(t), ssl: sec.SSL, saslSSL: sec.SASLSSL, badhost: sec.BadHost, certs: sec.Certs}
	var err error
	grantOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		acls := kadm.NewACLs().Allow(securePrincipals...).AllowHosts("*").
			Topics("sec-").Groups("sec-").ResourcePatternType(kadm.ACLPatternPrefixed).Operations(kadm.OpAll)
		var res kadm.CreateACLsResults
		if res, err = adminFor(t, b.plain).CreateACLs(ctx, acls); err == nil {
			for _, r := range res {
				if r.Err != nil {
					err = r.Err
				}
			}
		}
	})
	if err != nil {
		t.Fatalf("grant ACLs: %v", err)
	}
	return b
}

func (b securedBroker) file(name string) string { return filepath.Join(b.certs, name) }

func (b securedBroker) read(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(b.file(name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// secTopic creates a topic the secured principals may use.
func secTopic(t *testing.T, b securedBroker) string {
	t.Helper()
	name := fmt.Sprintf("sec-%d", time.Now().UnixNano())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := adminFor(t, b.plain).CreateTopic(ctx, 1, 1, nil, name)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("create topic %s: %v", name, err)
	}
	return name
}

// logBuffer collects krest's log lines, to check that no secret reaches them.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// startSecured starts krest on the given secured listener with props, its
// log captured.
func startSecured(t *testing.T, seeds string, props map[string]string) (*testServer, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	all := map[string]string{"bootstrap.servers": seeds, "listeners": "http://127.0.0.1:0", "producer.delivery.timeout.ms": "15000"}
	for k, v := range props {
		all[k] = v
	}
	ts := startServerWithLog(t, all, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	return ts, logs
}

// secrets are every password of the test fixtures.
var secrets = []string{"alice-secret", "bob-secret", "mallory-secret", "wrong-secret", "storepass", "keypass", "trustpass", "idp-secret"}

func checkNoSecrets(t *testing.T, where, text string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("%s carries the secret %q:\n%s", where, s, text)
		}
	}
}

const jaasPrefix = "org.apache.kafka.common.security."

// scramProps are the client settings of user with pass on b's SASL_SSL
// listener.
func scramProps(b securedBroker, user, pass string) map[string]string {
	return map[string]string{
		"client.security.protocol": "SASL_SSL", "client.sasl.mechanism": "SCRAM-SHA-512",
		"client.sasl.jaas.config":        jaasPrefix + `scram.ScramLoginModule required username="` + user + `" password="` + pass + `";`,
		"client.ssl.truststore.location": b.file("ca.pem"),
	}
}

func TestSecuredRoundTrips(t *testing.T) {
	b := secured(t)
	idp := newTokenEndpoint(t)
	scram := func(user, pass string) string {
		return jaasPrefix + `scram.ScramLoginModule required username="` + user + `" password="` + pass + `";`
	}
	tests := []struct {
		name  string
		seeds string
		props map[string]string
	}{
		{"SSL mTLS, JKS stores", b.ssl, map[string]string{
			"client.security.protocol":       "SSL",
			"client.ssl.truststore.location": b.file("truststore.jks"), "client.ssl.truststore.password": "trustpass",
			"client.ssl.keystore.location": b.file("client.jks"), "client.ssl.keystore.password": "storepass", "client.ssl.key.password": "keypass",
		}},
		{"SSL mTLS, PEM trust file and inline encrypted PEM key", b.ssl, map[string]string{
			"client.security.protocol":       "SSL",
			"client.ssl.truststore.location": b.file("ca.pem"), "client.ssl.truststore.type": "PEM",
			"client.ssl.keystore.type":              "PEM",
			"client.ssl.keystore.certificate.chain": b.read(t, "client.crt"), "client.ssl.keystore.key": b.read(t, "client-enc.key"),
			"client.ssl.key.password": "keypass",
		}},
		{"SSL mTLS, PKCS12 stores", b.ssl, map[string]string{
			"client.security.protocol":       "SSL",
			"client.ssl.truststore.location": b.file("truststore.p12"), "client.ssl.truststore.password": "trustpass", "client.ssl.truststore.type": "PKCS12",
			"client.ssl.keystore.location": b.file("client.p12"), "client.ssl.keystore.password": "storepass", "client.ssl.keystore.type": "PKCS12",
		}},
		{"SASL_SSL SCRAM-SHA-512, PKCS12 trust store", b.saslSSL, map[string]string{
			"client.security.protocol": "SASL_SSL", "client.sasl.mechanism": "SCRAM-SHA-512",
			"client.sasl.jaas.config":        scram("alice", "alice-secret"),
			"client.ssl.truststore.location": b.file("truststore.p12"), "client.ssl.truststore.password": "trustpass", "client.ssl.truststore.type": "PKCS12",
		}},
		{"SASL_SSL PLAIN, JKS trust store", b.saslSSL, map[string]string{
			"client.security.protocol": "SASL_SSL", "client.sasl.mechanism": "PLAIN",
			"client.sasl.jaas.config":        jaasPrefix + `plain.PlainLoginModule required username="bob" password="bob-secret";`,
			"client.ssl.truststore.location": b.file("truststore.jks"), "client.ssl.truststore.password": "trustpass",
		}},
		{"SASL_SSL PLAIN, inline PEM trust", b.saslSSL, map[string]string{
			"client.security.protocol": "SASL_SSL", "client.sasl.mechanism": "PLAIN",
			"client.sasl.jaas.config":            jaasPrefix + `plain.PlainLoginModule required username="bob" password="bob-secret";`,
			"client.ssl.truststore.certificates": b.read(t, "ca.pem"), "client.ssl.truststore.type": "PEM",
		}},
		{"SASL_SSL OAUTHBEARER client credentials", b.saslSSL, map[string]string{
			"client.security.protocol": "SASL_SSL", "client.sasl.mechanism": "OAUTHBEARER",
			"client.sasl.oauthbearer.token.endpoint.url": idp.URL,
			"client.sasl.login.callback.handler.class":   "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler",
			"client.sasl.jaas.config":                    jaasPrefix + `oauthbearer.OAuthBearerLoginModule required clientId="krest-oauth" clientSecret="idp-secret" scope="kafka";`,
			"client.ssl.truststore.location":             b.file("ca.pem"),
		}},
		{"per-role keys: producer PLAIN, consumers and admin SCRAM", b.saslSSL, map[string]string{
			"client.security.protocol": "SASL_SSL", "client.sasl.mechanism": "SCRAM-SHA-512",
			"client.sasl.jaas.config":        scram("alice", "alice-secret"),
			"client.ssl.truststore.location": b.file("ca.pem"),
			"producer.sasl.mechanism":        "PLAIN",
			"producer.sasl.jaas.config":      jaasPrefix + `plain.PlainLoginModule required username="bob" password="bob-secret";`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts, logs := startSecured(t, tt.seeds, tt.props)
			roundTrip(t, b, ts)
			checkNoSecrets(t, "the log", logs.String())
		})
	}
	if idp.calls() == 0 {
		t.Error("the OAuth token endpoint was never asked")
	}
}

// roundTrip produces through ts, reads the topic's metadata, reads the
// records back with a consumer group and with the stateless read.
func roundTrip(t *testing.T, b securedBroker, ts *testServer) {
	t.Helper()
	topic := secTopic(t, b)
	records := `{"records":[{"value":"` + base64.StdEncoding.EncodeToString([]byte("one")) + `"},{"value":"` + base64.StdEncoding.EncodeToString([]byte("two")) + `"}]}`
	status, body, _ := ts.do(t, "POST", "/topics/"+topic, map[string]string{"Content-Type": "application/vnd.kafka.binary.v2+json"}, []byte(records))
	if status != 200 || !strings.Contains(body, `"offset":1`) {
		t.Fatalf("produce: %d %s", status, body)
	}
	status, body, _ = ts.do(t, "GET", "/topics/"+topic, nil, nil)
	if status != 200 || !strings.Contains(body, `"name":"`+topic+`"`) {
		t.Fatalf("topic metadata: %d %s", status, body)
	}
	status, body, _ = ts.do(t, "GET", "/topics/"+topic+"/partitions/0/messages?offset=0&count=2", map[string]string{"Accept": "application/vnd.kafka.binary.v1+json"}, nil)
	if status != 200 || strings.Count(body, `"offset"`) != 2 {
		t.Fatalf("stateless read: %d %s", status, body)
	}
	c := newRESTConsumer(t, ts, "sec-g-"+topic, `{"format":"binary","auto.offset.reset":"earliest"}`)
	c.mustCall(t, "POST", "/subscription", `{"topics":["`+topic+`"]}`, 204)
	var got []consumerRecordJSON
	eventually(t, 30*time.Second, "2 records through the consumer group", func() bool {
		got = append(got, c.records(t, "timeout=500", "application/vnd.kafka.binary.v2+json")...)
		return len(got) >= 2
	})
	if string(got[0].Value) != `"b25l"` || string(got[1].Value) != `"dHdv"` {
		t.Fatalf("records %+v", got)
	}
	c.mustCall(t, "POST", "/offsets", "", 200)
	c.mustCall(t, "DELETE", "", "", 204)
}

func TestSecuredFailures(t *testing.T) {
	b := secured(t)
	binary := map[string]string{"Content-Type": "application/vnd.kafka.binary.v2+json"}
	oneRecord := []byte(`{"records":[{"value":"eA=="}]}`)

	t.Run("no ACLs: 403 on produce, nothing written", func(t *testing.T) {
		topic := secTopic(t, b)
		ts, logs := startSecured(t, b.saslSSL, scramProps(b, "mallory", "mallory-secret"))
		start := time.Now()
		status, body, _ := ts.do(t, "POST", "/topics/"+topic, binary, oneRecord)
		if status != 403 || !strings.Contains(body, `"error_code":40301`) {
			t.Fatalf("produce: %d %s, want 403 with per-record 40301", status, body)
		}
		if d := time.Since(start); d > 15*time.Second {
			t.Errorf("the refusal took %v", d)
		}
		status, body, _ = ts.do(t, "GET", "/topics/"+topic, nil, nil)
		if status != 403 || !strings.Contains(body, `"error_code":40301`) {
			t.Errorf("metadata: %d %s, want 403 / 40301", status, body)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		ends, err := adminFor(t, b.plain).ListEndOffsets(ctx, topic)
		if err != nil {
			t.Fatal(err)
		}
		if o, _ := ends.Lookup(topic, 0); o.Offset != 0 {
			t.Errorf("end offset %d after a refused produce, want 0", o.Offset)
		}
		status, body, _ = ts.do(t, "GET", "/topics/"+topic+"/partitions/0/messages?offset=0&count=1", map[string]string{"Accept": "application/vnd.kafka.binary.v1+json"}, nil)
		if status != 403 || !strings.Contains(body, `"error_code":40301`) {
			t.Errorf("stateless read: %d %s, want 403 / 40301", status, body)
		}
		refusedRead(t, ts, topic, 403, 40301)
		checkNoSecrets(t, "the log", logs.String())
	})

	t.Run("wrong password: prompt 401", func(t *testing.T) {
		topic := secTopic(t, b)
		ts, logs := startSecured(t, b.saslSSL, scramProps(b, "alice", "wrong-secret"))
		for _, req := range []struct {
			method, path string
			headers      map[string]string
			body         []byte
		}{
			{"GET", "/topics/" + topic, nil, nil},
			{"GET", "/topics", nil, nil},
			{"POST", "/topics/" + topic, binary, oneRecord},
			{"GET", "/topics/" + topic + "/partitions/0/messages?offset=0&count=1", map[string]string{"Accept": "application/vnd.kafka.binary.v1+json"}, nil},
		} {
			start := time.Now()
			status, body, _ := ts.do(t, req.method, req.path, req.headers, req.body)
			if status != 401 || !strings.Contains(body, `"error_code":40101`) {
				t.Errorf("%s %s: %d %s, want 401 / 40101", req.method, req.path, status, body)
			}
			if d := time.Since(start); d > 15*time.Second {
				t.Errorf("%s %s: the refusal took %v", req.method, req.path, d)
			}
			checkNoSecrets(t, "the response", body)
		}
		refusedRead(t, ts, topic, 401, 40101)
		if status, _, _ := ts.do(t, "GET", "/", nil, nil); status != 200 {
			t.Errorf("GET / = %d after authentication failures", status)
		}
		checkNoSecrets(t, "the log", logs.String())
	})

	t.Run("host name mismatch refused unless identification is off", func(t *testing.T) {
		trust := map[string]string{"client.security.protocol": "SSL", "client.ssl.truststore.location": b.file("ca.pem")}
		ts, _ := startSecured(t, b.badhost, trust)
		status, body, _ := ts.do(t, "GET", "/topics", nil, nil)
		if status != 401 || !strings.Contains(body, `"error_code":40101`) || !strings.Contains(body, "wrong.invalid") {
			t.Errorf("verified: %d %s, want 401 / 40101 naming the certificate's host", status, body)
		}
		off := map[string]string{"client.ssl.endpoint.identification.algorithm": ""}
		for k, v := range trust {
			off[k] = v
		}
		ts, _ = startSecured(t, b.badhost, off)
		if status, body, _ := ts.do(t, "GET", "/topics", nil, nil); status != 200 {
			t.Errorf("identification off: %d %s, want 200", status, body)
		}
	})

	t.Run("no client certificate on the mTLS listener", func(t *testing.T) {
		ts, _ := startSecured(t, b.ssl, map[string]string{"client.security.protocol": "SSL", "client.ssl.truststore.location": b.file("ca.pem")})
		start := time.Now()
		status, body, _ := ts.do(t, "GET", "/topics", nil, nil)
		if status != 401 || !strings.Contains(body, `"error_code":40101`) {
			t.Errorf("%d %s, want 401 / 40101", status, body)
		}
		if d := time.Since(start); d > 15*time.Second {
			t.Errorf("the refusal took %v", d)
		}
	})
}

// refusedRead subscribes a consumer instance to topic and reads until
// Kafka's refusal arrives as status and code (the first reads may be empty
// while the group is joined).
func refusedRead(t *testing.T, ts *testServer, topic string, status, code int) {
	t.Helper()
	c := newRESTConsumer(t, ts, "sec-g-"+topic, `{"format":"binary"}`)
	c.mustCall(t, "POST", "/subscription", `{"topics":["`+topic+`"]}`, 204)
	eventually(t, 15*time.Second, "a refused consumer read", func() bool {
		got, body, _ := ts.do(t, "GET", c.path("/records?timeout=500"), map[string]string{"Accept": "application/vnd.kafka.binary.v2+json"}, nil)
		if got == 200 && body == "[]" {
			return false
		}
		if got != status || !strings.Contains(body, fmt.Sprintf(`"error_code":%d`, code)) {
			t.Fatalf("consumer read: %d %s, want %d / %d", got, body, status, code)
		}
		return true
	})
}

// tokenEndpoint is an OAuth token endpoint for the client-credentials
// grant that issues Kafka's unsecured JWTs (the test broker validates with
// Kafka's default, unsecured validator), subject = the client id.
type tokenEndpoint struct {
	URL string
	mu  sync.Mutex
	n   int
}

func (e *tokenEndpoint) calls() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.n
}

func newTokenEndpoint(t *testing.T) *tokenEndpoint {
	t.Helper()
	e := &tokenEndpoint{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, _ := r.BasicAuth()
		w.Header().Set("Content-Type", "application/json")
		if err := r.ParseForm(); err != nil || user != "krest-oauth" || pass != "idp-secret" || r.Form.Get("grant_type") != "client_credentials" {
			w.WriteHeader(401)
			fmt.Fprint(w, `{"error":"invalid_client"}`)
			return
		}
		e.mu.Lock()
		e.n++
		e.mu.Unlock()
		now := time.Now().Unix()
		claims, _ := json.Marshal(map[string]any{"sub": user, "iat": now, "exp": now + 600, "scope": "kafka"})
		enc := base64.RawURLEncoding
		tok := enc.EncodeToString([]byte(`{"alg":"none"}`)) + "." + enc.EncodeToString(claims) + "."
		fmt.Fprint(w, `{"access_token":"`+tok+`","token_type":"bearer","expires_in":600}`)
	}))
	t.Cleanup(srv.Close)
	e.URL = srv.URL
	return e
}

// TestSecuredSchemaRegistry: an https registry trusted through a JKS trust
// store, with basic auth inherited from the Kafka clients' PLAIN login
// (SASL_INHERIT), on a SASL_SSL cluster: Avro produced and read back.
func TestSecuredSchemaRegistry(t *testing.T) {
	b := secured(t)
	pair, err := tls.LoadX509KeyPair(b.file("broker.pem"), b.file("broker.pem"))
	if err != nil {
		t.Fatal(err)
	}
	reg := srfake.NewRegistry(srfake.WithAuth("Basic " + base64.StdEncoding.EncodeToString([]byte("bob:bob-secret"))))
	srv := httptest.NewUnstartedServer(reg.Handler())
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ts, logs := startSecured(t, b.saslSSL, map[string]string{
		"client.security.protocol": "SASL_SSL", "client.sasl.mechanism": "PLAIN",
		"client.sasl.jaas.config":                 jaasPrefix + `plain.PlainLoginModule required username="bob" password="bob-secret";`,
		"client.ssl.truststore.location":          b.file("ca.pem"),
		"schema.registry.url":                     srv.URL,
		"schema.registry.ssl.truststore.location": b.file("truststore.jks"), "schema.registry.ssl.truststore.password": "trustpass",
		"schema.registry.basic.auth.credentials.source": "SASL_INHERIT",
	})
	topic := secTopic(t, b)
	status, body := produceSchema(t, ts, topic, "avro", `{"value_schema":`+quote(userSchema)+`,"records":[{"value":{"username":"ann","age":{"int":7}}}]}`)
	if status != 200 || !strings.Contains(body, `"value_schema_id":1`) {
		t.Fatalf("produce avro: %d %s", status, body)
	}
	c := newRESTConsumer(t, ts, "sec-g-"+topic, `{"format":"avro","auto.offset.reset":"earliest"}`)
	c.mustCall(t, "POST", "/subscription", `{"topics":["`+topic+`"]}`, 204)
	var got []consumerRecordJSON
	eventually(t, 30*time.Second, "the Avro record", func() bool {
		got = append(got, c.records(t, "timeout=500", "application/vnd.kafka.avro.v2+json")...)
		return len(got) >= 1
	})
	if string(got[0].Value) != `{"username":"ann","age":{"int":7}}` {
		t.Fatalf("value %s", got[0].Value)
	}
	checkNoSecrets(t, "the log", logs.String())
}

// TestPropagation: with authentication.propagate, each HTTP caller acts in
// Kafka as itself: alice (ACLs on sec-*) produces and reads through her
// consumer instance; mallory (no ACLs) gets 403 / 40301 and nothing is
// written, and cannot see alice's instance; idle callers' clients close.
func TestPropagation(t *testing.T) {
	b := secured(t)
	dir := t.TempDir()
	passwords := filepath.Join(dir, "password.properties")
	os.WriteFile(passwords, []byte("alice: alice-secret,writer\nmallory: mallory-secret,writer\n"), 0o600)
	jaasFile := filepath.Join(dir, "jaas.conf")
	os.WriteFile(jaasFile, []byte("KafkaRest {\n org.eclipse.jetty.jaas.spi.PropertyFileLoginModule required file=\""+passwords+"\";\n};\n"), 0o600)
	ts, logs := startSecured(t, b.saslSSL, map[string]string{
		"client.security.protocol": "SASL_SSL", "client.sasl.mechanism": "SCRAM-SHA-512",
		"client.sasl.jaas.config":        jaasPrefix + `scram.ScramLoginModule required username="alice" password="alice-secret";`,
		"client.ssl.truststore.location": b.file("ca.pem"),
		"authentication.method":          "BASIC", "java.security.auth.login.config": jaasFile,
		"authentication.propagate": "true", "authentication.propagate.clients.idle.ms": "1000",
	})
	topic := secTopic(t, b)
	as := func(user, pass string) map[string]string {
		return map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))}
	}
	with := func(h map[string]string, kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range h {
			out[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	alice, mallory := as("alice", "alice-secret"), as("mallory", "mallory-secret")
	binary := "application/vnd.kafka.binary.v2+json"
	status, body, _ := ts.do(t, "POST", "/topics/"+topic, with(alice, "Content-Type", binary), []byte(`{"records":[{"value":"YWxpY2U="}]}`))
	if status != 200 || !strings.Contains(body, `"offset":0`) {
		t.Fatalf("alice produces: %d %s", status, body)
	}
	status, body, _ = ts.do(t, "POST", "/topics/"+topic, with(mallory, "Content-Type", binary), []byte(`{"records":[{"value":"bWFsbG9yeQ=="}]}`))
	if status != 403 || !strings.Contains(body, `"error_code":40301`) {
		t.Errorf("mallory produces: %d %s, want 403 / 40301", status, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ends, err := adminFor(t, b.plain).ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := ends.Lookup(topic, 0); o.Offset != 1 {
		t.Errorf("end offset %d, want 1: mallory's record must not be written", o.Offset)
	}
	status, body, _ = ts.do(t, "GET", "/topics/"+topic, mallory, nil)
	if status != 403 {
		t.Errorf("mallory's metadata: %d %s, want 403", status, body)
	}

	group := "sec-g-" + topic
	status, body, _ = ts.do(t, "POST", "/consumers/"+group, with(alice, "Content-Type", kafkaV2), []byte(`{"name":"a1","format":"binary","auto.offset.reset":"earliest"}`))
	if status != 200 {
		t.Fatalf("alice creates an instance: %d %s", status, body)
	}
	inst := "/consumers/" + group + "/instances/a1"
	if status, body, _ := ts.do(t, "POST", inst+"/subscription", with(alice, "Content-Type", kafkaV2), []byte(`{"topics":["`+topic+`"]}`)); status != 204 {
		t.Fatalf("alice subscribes: %d %s", status, body)
	}
	eventually(t, 30*time.Second, "alice's record through her instance", func() bool {
		status, body, _ := ts.do(t, "GET", inst+"/records?timeout=500", with(alice, "Accept", "application/vnd.kafka.binary.v2+json"), nil)
		if status != 200 {
			t.Fatalf("alice reads: %d %s", status, body)
		}
		return strings.Contains(body, `"value":"YWxpY2U="`)
	})
	status, body, _ = ts.do(t, "GET", inst+"/records?timeout=100", with(mallory, "Accept", "application/vnd.kafka.binary.v2+json"), nil)
	if status != 404 || body != `{"error_code":40403,"message":"Consumer instance not found."}` {
		t.Errorf("mallory reads alice's instance: %d %s, want 404 / 40403", status, body)
	}
	if n := ts.callers.Len(); n != 2 {
		t.Errorf("%d callers with clients, want 2 (alice and mallory)", n)
	}
	ts.do(t, "DELETE", inst, alice, nil)
	eventually(t, 10*time.Second, "idle callers' clients to close", func() bool { return ts.callers.Len() == 0 })
	checkNoSecrets(t, "the log", logs.String())
}

// TestPropagationCertificates: with client certificates and
// authentication.propagate.credentials.location, a certificate principal
// acts in Kafka with its mapped credentials; one without is 401.
func TestPropagationCertificates(t *testing.T) {
	b := secured(t)
	ca := newTestCA(t)
	dir := t.TempDir()
	store := writeFile(t, dir, "server.pem", ca.issue(t, pkix.Name{CommonName: "server"}, true))
	trust := writeFile(t, dir, "ca.pem", ca.pem)
	creds := writeFile(t, dir, "kafka-credentials", []byte("# certificate principal: Kafka user:password\nalice: alice:alice-secret\nmallory: mallory:mallory-secret\n"))
	all := map[string]string{
		"bootstrap.servers": b.saslSSL, "listeners": "https://127.0.0.1:0",
		"ssl.keystore.type": "PEM", "ssl.keystore.location": store, "ssl.truststore.type": "PEM", "ssl.truststore.location": trust,
		"ssl.client.authentication": "REQUIRED", "ssl.principal.mapping.rules": "RULE:^CN=(.*)$/$1/",
		"client.security.protocol": "SASL_SSL", "client.sasl.mechanism": "SCRAM-SHA-512",
		"client.sasl.jaas.config":        jaasPrefix + `scram.ScramLoginModule required username="alice" password="alice-secret";`,
		"client.ssl.truststore.location": b.file("ca.pem"),
		"authentication.propagate":       "true", "authentication.propagate.credentials.location": creds,
	}
	fd := startFrontDoor(t, backend{seeds: []string{b.saslSSL}}, all)
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	topic := secTopic(t, b)
	produceAs := func(cn string) (int, string) {
		pemData := ca.issue(t, pkix.Name{CommonName: cn}, false)
		pair, err := tls.X509KeyPair(pemData, pemData)
		if err != nil {
			t.Fatal(err)
		}
		client := tlsClient(roots, &pair)
		resp, err := client.Post(fd.urls[0]+"/topics/"+topic, "application/vnd.kafka.binary.v2+json", strings.NewReader(`{"records":[{"value":"eA=="}]}`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if status, body := produceAs("alice"); status != 200 || !strings.Contains(body, `"offset":0`) {
		t.Errorf("alice's certificate: %d %s", status, body)
	}
	if status, body := produceAs("mallory"); status != 403 || !strings.Contains(body, `"error_code":40301`) {
		t.Errorf("mallory's certificate: %d %s, want 403 / 40301", status, body)
	}
	if status, body := produceAs("nobody"); status != 401 || !strings.Contains(body, "no Kafka credentials for this principal") {
		t.Errorf("an unmapped certificate: %d %s, want 401", status, body)
	}
}
