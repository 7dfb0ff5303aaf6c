package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

func TestPrincipalMapping(t *testing.T) {
	cert := func(dn pkix.Name) *x509.Certificate { return &x509.Certificate{Subject: dn} }
	alice := cert(pkix.Name{CommonName: "Alice", OrganizationalUnit: []string{"eng"}, Organization: []string{"Acme"}})
	tests := []struct {
		rules, want string
		ok          bool
	}{
		{"", "CN=Alice,OU=eng,O=Acme", true},
		{"DEFAULT", "CN=Alice,OU=eng,O=Acme", true},
		{`RULE:^CN=(.*?),OU=(.*?),O=.*$/$1@$2/`, "Alice@eng", true},
		{`RULE:^CN=(.*?),OU=.*$/$1/L`, "alice", true},
		{`RULE:^CN=(.*?),OU=.*$/$1x/U`, "ALICEX", true},
		{`RULE:^CN=Bob,.*$/bob/, DEFAULT`, "CN=Alice,OU=eng,O=Acme", true},
		{`RULE:^CN=Bob,.*$/bob/`, "", false},
		{`RULE:^CN=(.*?),OU=eng\/x.*$/$1/,RULE:^CN=(.*?),.*$/other-$1/`, "other-Alice", true},
	}
	for _, tt := range tests {
		m, err := NewPrincipalMapper(tt.rules)
		if err != nil {
			t.Fatalf("%q: %v", tt.rules, err)
		}
		got, ok := m.Map(alice)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%q: %q %v, want %q %v", tt.rules, got, ok, tt.want, tt.ok)
		}
	}
	if _, err := NewPrincipalMapper("RULE:x"); err == nil {
		t.Error("a malformed rule parsed")
	}
}

func TestCredentials(t *testing.T) {
	md5sum := md5.Sum([]byte("pw-md5"))
	bc, _ := bcrypt.GenerateFromPassword([]byte("pw-bcrypt"), bcrypt.MinCost)
	salt := []byte("0123456789abcdef")
	a2 := argon2.IDKey([]byte("pw-argon"), salt, 1, 1024, 1, 32)
	argonText := "$argon2id$v=19$m=1024,t=1,p=1$" + base64.RawStdEncoding.EncodeToString(salt) + "$" + base64.RawStdEncoding.EncodeToString(a2)
	for _, tc := range []struct{ stored, right string }{
		{"pw-plain", "pw-plain"},
		{"MD5:" + hex.EncodeToString(md5sum[:]), "pw-md5"},
		{"MD5:" + strings.ToUpper(hex.EncodeToString(md5sum[:])), "pw-md5"},
		{"OBF:1v2j1uum1xtv1zej1zer1xtn1uvk1v1v", "password"}, // Jetty's documented example
		{"CRYPT:" + unixCrypt("pw-crypt", "kr"), "pw-crypt"},
		{string(bc), "pw-bcrypt"},
		{argonText, "pw-argon"},
	} {
		c, err := parseCredential(tc.stored)
		if err != nil {
			t.Fatalf("%s: %v", tc.stored, err)
		}
		if !c.check(tc.right) {
			t.Errorf("%s refuses its password", tc.stored)
		}
		if c.check("x"+tc.right) || c.check("") { // (crypt(3) reads 8 characters: append would not differ)
			t.Errorf("%s accepts a wrong password", tc.stored)
		}
	}
	for _, bad := range []string{"MD5:xyz", "OBF:1v2", "CRYPT:short", "$2a$99$x", "$argon2id$v=19$m=0$a$b"} {
		if _, err := parseCredential(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// writeUsers writes a JAAS file and its password file.
func writeUsers(t testing.TB, users string) (jaasFile, passwords string) {
	t.Helper()
	dir := t.TempDir()
	passwords = filepath.Join(dir, "password.properties")
	if err := os.WriteFile(passwords, []byte(users), 0o600); err != nil {
		t.Fatal(err)
	}
	jaasFile = filepath.Join(dir, "jaas.conf")
	text := "Other { com.example.Module required; };\n/* the users */\nKafkaRest {\n  org.eclipse.jetty.jaas.spi.PropertyFileLoginModule required\n  file=\"" + passwords + "\";\n};\n"
	if err := os.WriteFile(jaasFile, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return jaasFile, passwords
}

func basicHeader(user, pass string) []byte {
	return []byte("Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass)))
}

func TestBasic(t *testing.T) {
	jaasFile, passwords := writeUsers(t, "# users\nalice: alice-pw,admin\nbob: OBF:1v2j1uum1xtv1zej1zer1xtn1uvk1v1v,dev,ops\nguest: guest-pw,guest\n")
	d, err := NewDoor(Config{Method: "BASIC", Realm: "KafkaRest", Roles: []string{"admin", "dev"}, JAASFile: jaasFile, SkipPaths: []string{"/", "/open/*"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path       string
		auth       []byte
		status     int // 0: allowed
		principal  string
		wantErrMsg string
	}{
		{"/topics", basicHeader("alice", "alice-pw"), 0, "alice", ""},
		{"/topics", basicHeader("bob", "password"), 0, "bob", ""},
		{"/topics", basicHeader("alice", "wrong"), 401, "", "Unauthorized: bad user name or password"},
		{"/topics", basicHeader("nobody", "alice-pw"), 401, "", "Unauthorized: bad user name or password"},
		{"/topics", basicHeader("guest", "guest-pw"), 403, "", "Forbidden: none of the roles allowed in (authentication.roles)"},
		{"/topics", nil, 401, "", "Unauthorized: Basic credentials required"},
		{"/topics", []byte("Basic !!!"), 401, "", "Unauthorized: malformed Basic credentials"},
		{"/topics", []byte("Basic " + base64.StdEncoding.EncodeToString([]byte("no-colon"))), 401, "", "Unauthorized: malformed Basic credentials"},
		{"/", nil, 0, "", ""},
		{"/open/x", nil, 0, "", ""},
	}
	for _, tt := range tests {
		p, err := d.Check(context.Background(), tt.path, tt.auth, nil, nil)
		if tt.status == 0 {
			if err != nil || p.Name != tt.principal {
				t.Errorf("%s %s: %+v %v", tt.path, tt.auth, p, err)
			}
			continue
		}
		e, ok := err.(*Error)
		if !ok || e.Status != tt.status || e.Msg != tt.wantErrMsg {
			t.Errorf("%s %s: %v, want %d %q", tt.path, tt.auth, err, tt.status, tt.wantErrMsg)
		}
		if ok && e.Status == 401 && e.Challenge != `Basic realm="KafkaRest"` {
			t.Errorf("challenge %q", e.Challenge)
		}
	}
	// The password file is re-read when it changes.
	time.Sleep(10 * time.Millisecond)
	if err := os.WriteFile(passwords, []byte("alice: new-pw,admin\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := d.Check(context.Background(), "/topics", basicHeader("alice", "new-pw"), nil, nil); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the changed password file was not re-read")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestBasicConfigErrors(t *testing.T) {
	jaasFile, _ := writeUsers(t, "alice: MD5:nothex,admin\n")
	if _, err := NewDoor(Config{Method: "BASIC", Realm: "KafkaRest", JAASFile: jaasFile}, nil); err == nil || !strings.Contains(err.Error(), "line 1 (user alice): an MD5: credential is not 32 hex digits") {
		t.Errorf("bad credential: %v", err)
	}
	jaasFile, _ = writeUsers(t, "alice: pw\n")
	if _, err := NewDoor(Config{Method: "BASIC", Realm: "Elsewhere", JAASFile: jaasFile}, nil); err == nil || !strings.Contains(err.Error(), `has no section "Elsewhere" (authentication.realm)`) {
		t.Errorf("missing realm: %v", err)
	}
}

func TestBearer(t *testing.T) {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pubFile := filepath.Join(t.TempDir(), "pub.pem")
	os.WriteFile(pubFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600)
	d, err := NewDoor(Config{Method: "BEARER", Realm: "KafkaRest", Roles: []string{"writer"}, Bearer: BearerConfig{
		PublicKeyFile: pubFile, Issuer: "https://idp", Audience: "krest", RolesClaim: "roles",
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	claims := func(mod func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{"sub": "alice", "iss": "https://idp", "aud": "krest", "exp": now.Add(time.Hour).Unix(), "roles": []string{"writer"}}
		if mod != nil {
			mod(c)
		}
		return c
	}
	sign := func(m jwt.SigningMethod, k any, c jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(m, c).SignedString(k)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	hmacWithPublicKey := sign(jwt.SigningMethodHS256, der, claims(nil))
	noneToken := sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims(nil))
	tests := []struct {
		name, token string
		status      int
		msg         string
	}{
		{"valid", sign(jwt.SigningMethodRS256, key, claims(nil)), 0, ""},
		{"expired", sign(jwt.SigningMethodRS256, key, claims(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Hour).Unix() })), 401, "Unauthorized: invalid bearer token: expired"},
		{"no expiry", sign(jwt.SigningMethodRS256, key, claims(func(c jwt.MapClaims) { delete(c, "exp") })), 401, "Unauthorized: invalid bearer token: a required claim is missing"},
		{"wrong issuer", sign(jwt.SigningMethodRS256, key, claims(func(c jwt.MapClaims) { c["iss"] = "https://evil" })), 401, "Unauthorized: invalid bearer token: wrong issuer"},
		{"wrong audience", sign(jwt.SigningMethodRS256, key, claims(func(c jwt.MapClaims) { c["aud"] = "other" })), 401, "Unauthorized: invalid bearer token: wrong audience"},
		{"bad signature", sign(jwt.SigningMethodRS256, other, claims(nil)), 401, "Unauthorized: invalid bearer token: bad signature"},
		{"another algorithm's key", sign(jwt.SigningMethodES256, ec, claims(nil)), 401, "Unauthorized: invalid bearer token: bad signature"},
		{"alg none", noneToken, 401, "Unauthorized: invalid bearer token: bad signature"},
		{"HMAC with the public key", hmacWithPublicKey, 401, "Unauthorized: invalid bearer token: bad signature"},
		{"no role", sign(jwt.SigningMethodRS256, key, claims(func(c jwt.MapClaims) { c["roles"] = []string{"reader"} })), 403, "Forbidden: none of the roles allowed in (authentication.roles)"},
		{"garbage", "a.b.c", 401, "Unauthorized: invalid bearer token: malformed"},
	}
	for _, tt := range tests {
		p, err := d.Check(context.Background(), "/topics", []byte("Bearer "+tt.token), nil, nil)
		if tt.status == 0 {
			if err != nil || p.Name != "alice" {
				t.Errorf("%s: %+v %v", tt.name, p, err)
			}
			continue
		}
		e, ok := err.(*Error)
		if !ok || e.Status != tt.status || e.Msg != tt.msg {
			t.Errorf("%s: %v, want %d %q", tt.name, err, tt.status, tt.msg)
		}
		if ok && strings.Contains(e.Msg, tt.token) {
			t.Errorf("%s: the error echoes the token", tt.name)
		}
	}
}
