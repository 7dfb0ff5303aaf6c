package jaas

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    Module
		wantErr string
	}{
		{
			in:   `org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="s3cr=t;x";`,
			want: Module{Class: plainModule, Flag: "required", Options: map[string]string{"username": "alice", "password": "s3cr=t;x"}},
		},
		{
			in:   "  org.apache.kafka.common.security.scram.ScramLoginModule REQUIRED\n\tusername=bob\n password = \"a\\\"b\\\\c\" ; ",
			want: Module{Class: scramModule, Flag: "required", Options: map[string]string{"username": "bob", "password": `a"b\c`}},
		},
		{
			in:   `org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required /* id */ clientId='krest' // the secret follows` + "\n" + ` clientSecret="x" scope="a b";`,
			want: Module{Class: oauthModule, Flag: "required", Options: map[string]string{"clientId": "krest", "clientSecret": "x", "scope": "a b"}},
		},
		{in: `x.Module optional;`, want: Module{Class: "x.Module", Flag: "optional", Options: map[string]string{}}},
		{in: ``, wantErr: "expected a login module class name at character 1"},
		{in: `x.Module`, wantErr: "expected a control flag (required, requisite, sufficient or optional) at character 9"},
		{in: `x.Module mandatory;`, wantErr: "the control flag must be required, requisite, sufficient or optional"},
		{in: `x.Module required username="alice" password="hunter2"`, wantErr: "expected ';' at the end of the login module at character 54"},
		{in: `x.Module required password "hunter2";`, wantErr: "expected '=' after an option name at character 28"},
		{in: `x.Module required password="hunter2;`, wantErr: "a quoted value is not closed"},
		{in: `x.Module required password=;`, wantErr: "expected a value for an option at character 28"},
		{in: `x.A required; x.B required;`, wantErr: "holds more than one login module; a Kafka client takes exactly one"},
		{in: `x.Module required /* hunter2 ;`, wantErr: "a /* comment is not closed"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// FuzzParse checks that Parse never panics and that its errors never quote
// the text they reject (a JAAS line holds passwords).
func FuzzParse(f *testing.F) {
	f.Add(`org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="pw";`)
	f.Add(`a b c="d\"e" f=g; // x`)
	f.Add(`a required /* x */ b='c';`)
	f.Fuzz(func(t *testing.T, s string) {
		const secret = "Zq9#secret"
		in := strings.Replace(s, "pw", secret, 1)
		_, err := Parse(in)
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Fatalf("error %q quotes the input", err)
		}
		_, err = ParseFile("KafkaRest { " + in + " };\n" + in)
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Fatalf("ParseFile error %q quotes the input", err)
		}
	})
}

func props(kv ...string) Lookup {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(key string) (string, string, bool) {
		v, ok := m[key]
		return v, "client." + key, ok
	}
}

func TestMechanism(t *testing.T) {
	plainJAAS := `org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="hunter2";`
	scramJAAS := `org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="hunter2";`
	tests := []struct {
		name    string
		get     Lookup
		want    string // mechanism name
		wantErr string
	}{
		{"plain", props("sasl.mechanism", "PLAIN", "sasl.jaas.config", plainJAAS), "PLAIN", ""},
		{"scram-256", props("sasl.mechanism", "SCRAM-SHA-256", "sasl.jaas.config", scramJAAS), "SCRAM-SHA-256", ""},
		{"scram-512 lower case", props("sasl.mechanism", "scram-sha-512", "sasl.jaas.config", scramJAAS), "SCRAM-SHA-512", ""},
		{"oauth unsecured", props("sasl.mechanism", "OAUTHBEARER", "sasl.jaas.config", oauthModule+` required unsecuredLoginStringClaim_sub="krest";`), "OAUTHBEARER", ""},
		{"oauth client credentials", props("sasl.mechanism", "OAUTHBEARER", "sasl.oauthbearer.token.endpoint.url", "https://idp.example/token",
			"sasl.login.callback.handler.class", oauthHandler, "sasl.jaas.config", oauthModule+` required clientId="krest" clientSecret="hunter2";`), "OAUTHBEARER", ""},
		{"no mechanism", props("sasl.jaas.config", plainJAAS), "", "client.sasl.mechanism is not set: krest supports PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER and AWS_MSK_IAM (Java's default, GSSAPI, is not supported)"},
		{"no jaas", props("sasl.mechanism", "PLAIN"), "", "client.sasl.jaas.config is not set: SASL mechanism PLAIN needs the credentials of a login module"},
		{"gssapi", props("sasl.mechanism", "GSSAPI", "sasl.jaas.config", "com.sun.security.auth.module.Krb5LoginModule required;"), "", "client.sasl.mechanism: GSSAPI (Kerberos) is not supported; use PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER or AWS_MSK_IAM"},
		{"unknown", props("sasl.mechanism", "DIGEST-MD5", "sasl.jaas.config", plainJAAS), "", `client.sasl.mechanism: "DIGEST-MD5" is not PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER or AWS_MSK_IAM`},
		{"module mismatch", props("sasl.mechanism", "SCRAM-SHA-512", "sasl.jaas.config", plainJAAS), "", "client.sasl.jaas.config: SASL mechanism SCRAM-SHA-512 needs " + scramModule + ", not " + plainModule},
		{"jaas does not parse", props("sasl.mechanism", "PLAIN", "sasl.jaas.config", plainModule+` required username="alice" password="hunter2"`), "", "client.sasl.jaas.config: expected ';' at the end of the login module at character 101"},
		{"no password", props("sasl.mechanism", "PLAIN", "sasl.jaas.config", plainModule+` required username="alice";`), "", `client.sasl.jaas.config: PlainLoginModule needs username="…" and password="…"`},
		{"unsecured without sub", props("sasl.mechanism", "OAUTHBEARER", "sasl.jaas.config", oauthModule+" required;"), "", `client.sasl.jaas.config: OAUTHBEARER without sasl.oauthbearer.token.endpoint.url makes unsecured tokens and needs unsecuredLoginStringClaim_sub="…"`},
		{"client credentials without secret", props("sasl.mechanism", "OAUTHBEARER", "sasl.oauthbearer.token.endpoint.url", "https://idp.example/token", "sasl.jaas.config", oauthModule+` required clientId="krest";`), "", `client.sasl.jaas.config: the client-credentials flow of client.sasl.oauthbearer.token.endpoint.url needs clientId="…" and clientSecret="…" options`},
		{"bad endpoint", props("sasl.mechanism", "OAUTHBEARER", "sasl.oauthbearer.token.endpoint.url", "idp", "sasl.jaas.config", oauthModule+` required clientId="krest" clientSecret="hunter2";`), "", "client.sasl.oauthbearer.token.endpoint.url: not an http(s) URL"},
		{"foreign handler", props("sasl.mechanism", "OAUTHBEARER", "sasl.oauthbearer.token.endpoint.url", "https://idp.example/token", "sasl.login.callback.handler.class", "com.example.Handler", "sasl.jaas.config", oauthModule+` required clientId="krest" clientSecret="hunter2";`), "", `client.sasl.login.callback.handler.class: "com.example.Handler" is not ` + oauthHandler + `, the only login handler krest has`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _, err := Mechanism(tt.get)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v\nwant %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Fatalf("error %q carries the password", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.Name() != tt.want {
				t.Errorf("mechanism %s, want %s", m.Name(), tt.want)
			}
		})
	}
}

// idp is a token endpoint for the client-credentials grant.
type idp struct {
	*httptest.Server
	calls  atomic.Int32
	fail   atomic.Bool
	expiry int // expires_in of the tokens it issues
}

func newIDP(t *testing.T) *idp {
	p := &idp{expiry: 1000}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, secret, ok := r.BasicAuth()
		if err := r.ParseForm(); err != nil || !ok || id != "krest" || secret != "hunter2" || r.Form.Get("grant_type") != "client_credentials" || r.Form.Get("scope") != "kafka extra" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(401)
			fmt.Fprint(w, `{"error":"invalid_client","error_description":"bad client hunter2"}`)
			return
		}
		if p.fail.Load() {
			w.WriteHeader(503)
			return
		}
		n := p.calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"token-%d","token_type":"bearer","expires_in":%d}`, n, p.expiry)
	}))
	t.Cleanup(p.Close)
	return p
}

func TestTokenRefresh(t *testing.T) {
	p := newIDP(t)
	get := props("sasl.oauthbearer.token.endpoint.url", p.URL, "sasl.login.refresh.buffer.seconds", "0")
	m, _ := Parse(oauthModule + ` required clientId="krest" clientSecret="hunter2" scope="kafka extra";`)
	src, err := newTokenSource(get, m, "client.sasl.jaas.config", p.URL, "client.sasl.oauthbearer.token.endpoint.url")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	steps := []struct {
		after time.Duration
		fail  bool
		want  string
	}{
		{0, false, "token-1"},
		{100 * time.Second, false, "token-1"},  // cached
		{790 * time.Second, false, "token-1"},  // before 80% of 1000 s
		{810 * time.Second, true, "token-1"},   // due, but the endpoint fails: the valid token stays
		{811 * time.Second, false, "token-2"},  // refreshed
		{1500 * time.Second, false, "token-2"}, // 0.8 of the new token's life is at 811+800 s
		{1612 * time.Second, false, "token-3"},
	}
	// Drive the clock explicitly from a fixed start.
	start := time.Now()
	for _, s := range steps {
		at := start.Add(s.after)
		src.now = func() time.Time { return at }
		// The idp's tokens are valid from the real now; shift their expiry by
		// the simulated time so that the clock and expiry agree.
		p.expiry = 1000 + int(s.after/time.Second)
		p.fail.Store(s.fail)
		got, err := src.Token(ctx)
		if err != nil {
			t.Fatalf("at +%v: %v", s.after, err)
		}
		if got != s.want {
			t.Fatalf("at +%v: token %s, want %s", s.after, got, s.want)
		}
	}
}

func TestTokenErrors(t *testing.T) {
	p := newIDP(t)
	m, _ := Parse(oauthModule + ` required clientId="krest" clientSecret="wrong-hunter2" scope="kafka extra";`)
	src, err := newTokenSource(props(), m, "client.sasl.jaas.config", p.URL, "client.sasl.oauthbearer.token.endpoint.url")
	if err != nil {
		t.Fatal(err)
	}
	_, err = src.Token(context.Background())
	want := "OAuth token from " + p.URL + ": status 401: invalid_client (bad client hunter2)"
	if err == nil || err.Error() != want {
		t.Fatalf("error %v, want %q", err, want)
	}
	if strings.Contains(err.Error(), "wrong-hunter2") {
		t.Fatal("the client secret reached the error")
	}
}

func TestRefreshTime(t *testing.T) {
	t0 := time.Unix(0, 0)
	tests := []struct {
		life, minPeriod, buffer, want time.Duration
	}{
		{1000 * time.Second, 60 * time.Second, 0, 800 * time.Second},
		{1000 * time.Second, 60 * time.Second, 300 * time.Second, 700 * time.Second},
		{100 * time.Second, 60 * time.Second, 300 * time.Second, 60 * time.Second},
		{30 * time.Second, 60 * time.Second, 300 * time.Second, 30 * time.Second},
	}
	for _, tt := range tests {
		got := refreshTime(t0, t0.Add(tt.life), 0.8, tt.minPeriod, tt.buffer).Sub(t0)
		if got != tt.want {
			t.Errorf("life %v min %v buffer %v: refresh at %v, want %v", tt.life, tt.minPeriod, tt.buffer, got, tt.want)
		}
	}
}

func TestUnsecuredToken(t *testing.T) {
	m, _ := Parse(oauthModule + ` required unsecuredLoginStringClaim_sub="krest" unsecuredLoginListClaim_scope=",a,b" unsecuredLoginLifetimeSeconds="60" extension_logicalCluster="lkc-1";`)
	u, err := newUnsecured(m, "client.sasl.jaas.config", map[string]string{"logicalCluster": "lkc-1"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1700000000, 0)
	u.now = func() time.Time { return now }
	a, err := u.auth(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(a.Token, ".")
	if len(parts) != 3 || parts[2] != "" {
		t.Fatalf("token %q is not header.payload.", a.Token)
	}
	head, _ := base64.RawURLEncoding.DecodeString(parts[0])
	body, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims map[string]any
	if err := json.Unmarshal(body, &claims); err != nil {
		t.Fatal(err)
	}
	if string(head) != `{"alg":"none"}` || claims["sub"] != "krest" || claims["exp"] != float64(1700000060) ||
		!reflect.DeepEqual(claims["scope"], []any{"a", "b"}) || a.Extensions["logicalCluster"] != "lkc-1" {
		t.Fatalf("header %s claims %v extensions %v", head, claims, a.Extensions)
	}
}

// TestCallerMechanism: a caller's credentials reach the first message of
// each mechanism (the token itself for OAUTHBEARER).
func TestCallerMechanism(t *testing.T) {
	for _, tc := range []struct{ mech, want string }{
		{"PLAIN", "\x00alice\x00alice-pw"},
		{"SCRAM-SHA-512", "n=alice,"},
		{"OAUTHBEARER", "auth=Bearer the-token"},
	} {
		secret := "alice-pw"
		if tc.mech == "OAUTHBEARER" {
			secret = "the-token"
		}
		m, err := CallerMechanism(tc.mech, "alice", secret)
		if err != nil {
			t.Fatal(err)
		}
		_, first, err := m.Authenticate(context.Background(), "127.0.0.1:9092")
		if err != nil || !strings.Contains(string(first), tc.want) {
			t.Errorf("%s: %q %v, want it to hold %q", tc.mech, first, err, tc.want)
		}
	}
	if _, err := CallerMechanism("GSSAPI", "a", "b"); err == nil {
		t.Error("GSSAPI carried credentials")
	}
}
