package proxy

// The security suite: each probe an attacker ran against krest's front
// door (issue 24), run the same way against a real broker with Basic
// authentication configured as the README says, on several krests.

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// basicUsers writes a JAAS file and its password file (alice: admin;
// bob: developer; eve: a role not allowed in) and returns the JAAS file.
func basicUsers(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	passwords := filepath.Join(dir, "password.properties")
	if err := os.WriteFile(passwords, []byte("alice: alice-secret,admin\nbob: bob-secret,developer\neve: eve-secret,guest\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	jaas := filepath.Join(dir, "jaas.conf")
	if err := os.WriteFile(jaas, []byte("KafkaRest {\n  org.eclipse.jetty.jaas.spi.PropertyFileLoginModule required file=\""+passwords+"\";\n};\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return jaas
}

func basicAuth(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// rawResponse sends request as it is, byte for byte, and reads the status
// and body of the answer.
func rawResponse(t *testing.T, addr, request string) (int, string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.Write([]byte(request)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("%q: %v", request, err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	_, _ = bufio.NewReader(resp.Body).WriteTo(&b)
	return resp.StatusCode, b.String()
}

// TestAttackForwarding: the forwarding trust is out of callers' reach. The
// directory topic is served by no route to anyone (alice is admin); no
// header a caller can make passes as a peer's (forged, unsigned, for
// another krest, stale, replayed), on ops, produce and consumer paths
// alike; a peer's principal still goes through the door; an entry written
// into the directory by anything but a krest is never followed, so no
// caller's credentials reach an attacker's listener.
func TestAttackForwarding(t *testing.T) {
	b := realBroker(t)
	jaas := basicUsers(t)
	suffix := time.Now().Format("150405.000000")
	dirTopic := "_krest_attack_dir_" + suffix
	props := map[string]string{
		"authentication.method": "BASIC", "authentication.roles": "admin,developer", "authentication.skip.paths": "/",
		"java.security.auth.login.config": jaas, "consumer.directory.topic": dirTopic,
	}
	k1 := startPeer(t, b, "k1-"+suffix, props)
	k2 := startPeer(t, b, "k2-"+suffix, props)
	alice := map[string]string{"Authorization": basicAuth("alice", "alice-secret")}
	withCT := func(h map[string]string, ct string) map[string]string {
		out := map[string]string{"Content-Type": ct}
		for k, v := range h {
			out[k] = v
		}
		return out
	}

	// 1. The directory topic, through every kind of route, as admin.
	for _, tc := range []struct {
		method, path, ct, body string
	}{
		{"GET", "/topics/" + dirTopic + "/partitions/0/messages?offset=0&count=1000", "", ""},
		{"GET", "/topics/" + dirTopic, "", ""},
		{"POST", "/topics/" + dirTopic, "application/vnd.kafka.json.v2+json", `{"records":[{"key":"x","value":{"owner":"k1","url":"http://attacker"}}]}`},
		{"POST", "/topics/" + dirTopic + "/partitions/0", "application/vnd.kafka.binary.v2+json", `{"records":[{"value":null}]}`},
		{"GET", "/v3/clusters/c/topics/" + dirTopic + "/records?partition_id=0&offset=0", "", ""},
		{"POST", "/v3/clusters/c/topics/" + dirTopic + "/records", "application/json", `{"value":{"type":"JSON","data":1}}`},
		{"POST", "/v3/clusters/c/topics/" + dirTopic + "/records:batch", "application/json", `{"entries":[{"id":"1","value":{"type":"JSON","data":1}}]}`},
		{"DELETE", "/v3/clusters/c/topics/" + dirTopic, "", ""},
		{"PATCH", "/v3/clusters/c/topics/" + dirTopic, "application/json", `{"partitions_count":3}`},
		{"POST", "/v3/clusters/c/topics/" + dirTopic + "/configs:alter", "application/json", `{"data":[{"name":"cleanup.policy","value":"delete"}]}`},
	} {
		h := alice
		if tc.ct != "" {
			h = withCT(alice, tc.ct)
		}
		status, body, _ := k1.do(t, tc.method, tc.path, h, []byte(tc.body))
		if status != 403 || !strings.Contains(body, "consumer directory") {
			t.Errorf("%s %s as admin: %d %s, want 403", tc.method, tc.path, status, body)
		}
	}
	group := "atk-" + suffix
	c := newRESTConsumerAs(t, k1, group, `{"name":"i","format":"binary"}`, alice)
	status, body, _ := k1.do(t, "POST", c.path("/subscription"), withCT(alice, kafkaV2), []byte(`{"topics":["`+dirTopic+`"]}`))
	if status != 403 {
		t.Errorf("subscribe to the directory topic: %d %s, want 403", status, body)
	}
	status, body, _ = k1.do(t, "POST", c.path("/assignments"), withCT(alice, kafkaV2), []byte(`{"partitions":[{"topic":"`+dirTopic+`","partition":0}]}`))
	if status != 403 {
		t.Errorf("assign the directory topic: %d %s, want 403", status, body)
	}

	// 2. Headers that claim a peer sent the request, with no credentials.
	now := time.Now()
	topic := createTopic(t, b, 1)
	produce := "/topics/" + topic
	signedFor := func(to, method, uri, principal string, at time.Time) string {
		return k1.trust.sign(k1.dir.Self().ID, to, method, uri, principal, at)
	}
	wrongSecret := newPeerTrust([]byte("an-attacker-secret-an-attacker-secret"), "k2-"+suffix)
	for _, tc := range []struct {
		name      string
		forwarded string // "" : none
		principal string
	}{
		{"principal alone", "", "alice"},
		{"garbage", "k1 1 x", "alice"},
		{"three fields, the old shape", "k1-" + suffix + " " + strconv.FormatInt(now.Unix(), 10) + " abc", "alice"},
		{"signed with another secret", wrongSecret.sign("k1-"+suffix, "k2-"+suffix, "POST", produce, "alice", now), "alice"},
		{"signed for another krest", signedFor("k1-"+suffix, "POST", produce, "alice", now), "alice"},
		{"signed for another principal", signedFor("k2-"+suffix, "POST", produce, "bob", now), "alice"},
		{"signed for another path", signedFor("k2-"+suffix, "POST", "/topics/other", "alice", now), "alice"},
		{"stale", signedFor("k2-"+suffix, "POST", produce, "alice", now.Add(-2*forwardSkew)), "alice"},
	} {
		for _, path := range []string{produce, "/-/healthy", "/metrics", "/consumers/" + group} {
			method := "POST"
			if strings.HasPrefix(path, "/-/") || path == "/metrics" {
				method = "GET"
			}
			h := map[string]string{"Content-Type": "application/vnd.kafka.json.v2+json", "X-Krest-Principal": tc.principal}
			if tc.forwarded != "" {
				h["X-Krest-Forwarded"] = tc.forwarded
			}
			status, body, _ := k2.do(t, method, path, h, []byte(`{"records":[{"value":1}]}`))
			if status != 403 {
				t.Errorf("%s, %s %s: %d %s, want 403", tc.name, method, path, status, body)
			}
		}
	}
	// A genuine signature is good once; its principal still needs
	// credentials at a door that asks for them.
	good := signedFor("k2-"+suffix, "GET", "/topics", "alice", now)
	status, body, _ = k2.do(t, "GET", "/topics", map[string]string{"X-Krest-Forwarded": good, "X-Krest-Principal": "alice"}, nil)
	if status != 401 {
		t.Errorf("a signed forward without credentials at a Basic door: %d %s, want 401", status, body)
	}
	status, body, _ = k2.do(t, "GET", "/topics", map[string]string{"X-Krest-Forwarded": good, "X-Krest-Principal": "alice"}, nil)
	if status != 403 {
		t.Errorf("the same signature replayed: %d %s, want 403", status, body)
	}
	eveFwd := signedFor("k2-"+suffix, "GET", "/topics", "eve", time.Now())
	status, body, _ = k2.do(t, "GET", "/topics", map[string]string{"X-Krest-Forwarded": eveFwd, "X-Krest-Principal": "eve", "Authorization": basicAuth("eve", "eve-secret")}, nil)
	if status != 403 {
		t.Errorf("a forwarded principal whose role is not allowed: %d %s, want 403", status, body)
	}
	if produced := countRecords(t, b, topic); produced != 0 {
		t.Errorf("%d records reached the topic through forged forwards", produced)
	}

	// 3. An entry pointing an instance at the attacker's listener.
	var hits atomic.Int64
	var leaked atomic.Value
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	go func() {
		for {
			conn, err := lis.Accept()
			if err != nil {
				return
			}
			hits.Add(1)
			line, _ := bufio.NewReader(conn).ReadString(0)
			leaked.Store(line)
			conn.Close()
		}
	}()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.seeds...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	attacker := "http://" + lis.Addr().String()
	for _, name := range []string{"victim", "i"} {
		v := fmt.Sprintf(`{"owner":"k1-%s","url":"%s","incarnation":"x"}`, suffix, attacker)
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: dirTopic, Key: []byte(group + "\x00" + name), Value: []byte(v)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"victim", "i"} {
		status, body, _ := k2.do(t, "GET", "/consumers/"+group+"/instances/"+name+"/subscription", alice, nil)
		if name == "victim" && status != 404 {
			t.Errorf("a call for a forged entry's instance: %d %s, want 404", status, body)
		}
		if name == "i" && status != 200 {
			t.Errorf("a call for a real instance under a forged entry: %d %s, want 200 (forwarded to its owner)", status, body)
		}
	}
	// 4. A krest whose allow-list does not name the owner forwards nothing.
	k3 := startPeer(t, b, "k3-"+suffix, map[string]string{
		"authentication.method": "BASIC", "authentication.roles": "admin,developer",
		"java.security.auth.login.config": jaas, "consumer.directory.topic": dirTopic,
		"consumer.forwarding.peers": k2.url + "," + attacker,
	})
	status, body, _ = k3.do(t, "GET", "/consumers/"+group+"/instances/i/subscription", alice, nil)
	if status != 404 {
		t.Errorf("a call for an instance whose owner is not in consumer.forwarding.peers: %d %s, want 404", status, body)
	}
	time.Sleep(200 * time.Millisecond)
	if hits.Load() != 0 {
		t.Errorf("krest connected to the attacker's listener %d times (leaked %q)", hits.Load(), leaked.Load())
	}
}

// TestAttackForwardingWithoutSecret: without consumer.forwarding.secret a
// krest neither forwards nor takes any request as forwarded.
func TestAttackForwardingWithoutSecret(t *testing.T) {
	ts := startServer(t, fakeBroker(t), map[string]string{"consumer.forwarding": "forward"})
	if ts.dir != nil || ts.trust != nil {
		t.Fatal("forwarding is on without a secret")
	}
	status, body, _ := ts.do(t, "GET", "/topics", map[string]string{"X-Krest-Forwarded": "a 1 b c", "X-Krest-Principal": "admin"}, nil)
	if status != 403 {
		t.Errorf("a forwarded request without trust configured: %d %s, want 403", status, body)
	}
}

// countRecords is the number of records in topic (partition 0's end).
func countRecords(t *testing.T, b backend, topic string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ends, err := adminFor(t, b).ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	ends.Each(func(o kadm.ListedOffset) { n += o.Offset })
	return n
}

// newRESTConsumerAs is newRESTConsumer with the caller's headers.
func newRESTConsumerAs(t *testing.T, ts *testServer, group, settings string, h map[string]string) *restConsumer {
	t.Helper()
	all := map[string]string{"Content-Type": kafkaV2}
	for k, v := range h {
		all[k] = v
	}
	status, body, _ := ts.do(t, "POST", "/consumers/"+group, all, []byte(settings))
	if status != 200 {
		t.Fatalf("create consumer: %d %s", status, body)
	}
	var name string
	if i := strings.Index(body, `"instance_id":"`); i >= 0 {
		name = body[i+len(`"instance_id":"`):]
		name = name[:strings.IndexByte(name, '"')]
	}
	return &restConsumer{ts: ts, group: group, name: name}
}

// pathTricks are request targets that two readers of a path could take
// for different resources, each aimed at an open path (/, /-/healthy) or
// a route family; every one must be refused before anything happens.
var pathTricks = []string{
	"/consumers/..%2F-%2Fhealthy",
	"/consumers/..%2f-%2fhealthy",
	"/consumers/%2e%2e%2F-%2Fhealthy",
	"/consumers/..",
	"/consumers/%2e%2e",
	"/consumers/%2E%2E",
	"/consumers/.%2e",
	"/consumers/%2e.",
	"/consumers/.",
	"/consumers/%2e",
	"/consumers//",
	"//consumers/g",
	"/consumers/g/instances/..%2F..%2F..%2F-%2Fready",
	"/consumers/g%2Finstances%2Fi",
	"/topics/..%2F-%2Fhealthy",
	"/topics/t%2F..%2F..%2F-%2Fhealthy",
	"/topics/t/partitions/..%2F..%2F..%2F-%2Fhealthy",
	"/topics/%2e%2e/%2e%2e/-/healthy",
	"/v3/../topics/t",
	"/v3/clusters/c/topics/..%2F..%2F..%2F..%2F-%2Fhealthy",
	"/v3/clusters/..%2Fc/topics",
	"/v3/clusters/c/topics/t%2Frecords",
	"/v3/clusters/c%2F..%2F..%2F..%2F-%2Fhealthy/topics",
	"/v3/clusters/c/consumer-groups/g%2F..",
	"/-/healthy/..%2F..%2Ftopics",
	"/-/healthy/../../topics",
	"/-/%2e%2e/topics",
	"/metrics/..%2Fconsumers%2Fg",
	"/consumers/a%5Cb",
	"/consumers/a\\..\\-\\healthy",
	"/consumers/a%00",
	"/consumers/%",
	"/consumers/%zz",
	"/./consumers/g",
	"/consumers/g/./instances/i",
	"/%2e/consumers/g",
	"/topics/./t",
	"/topics/t/.",
	"/topics/t/..",
	"http://x/consumers/..%2F-%2Fhealthy",
	"http://x/consumers/%2e%2e",
	"/-/..%2Fconsumers%2Fg",
	"/-/%2e%2e/consumers/g",
	"/-/../consumers/g",
	"/-/x/..%2F..%2Ftopics%2Ft",
	"/v3/clusters/c/topics/public..%2F..%2Fsecret",
	"/v3/clusters/c/topics/public%2F..%2F..%2Ftopics%2Fsecret%2Frecords",
	"/v3/clusters/c/topics/public/../secret/records",
	"/v3/clusters/c/topics/public/%2e%2e/secret/records",
}

// TestAttackPaths: every path trick, with every method, at a Basic door
// whose skip.paths opens "/" (as the README shows) and the ops paths, with
// no credentials: 400, 401, 403 or 404, and nothing created.
func TestAttackPaths(t *testing.T) {
	b := realBroker(t)
	jaas := basicUsers(t)
	for _, skip := range []string{"/", "/,/-/*,/v3/clusters/c/topics/public*"} {
		t.Run("skip.paths="+skip, func(t *testing.T) { attackPaths(t, b, jaas, skip) })
	}
}

func attackPaths(t *testing.T, b backend, jaas, skip string) {
	ts := startServer(t, b, map[string]string{
		"authentication.method": "BASIC", "authentication.skip.paths": skip,
		"java.security.auth.login.config": jaas, "consumer.forwarding": "off",
	})
	addr := strings.TrimPrefix(ts.url, "http://")
	for _, target := range pathTricks {
		for _, method := range []string{"GET", "POST", "DELETE", "PUT", "PATCH", "HEAD"} {
			body := `{"name":"x","format":"binary","records":[{"value":null}],"topics":["t"]}`
			req := method + " " + target + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/vnd.kafka.v2+json\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\nConnection: close\r\n\r\n" + body
			if method == "HEAD" {
				req = "HEAD " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
			}
			status, resp := rawResponse(t, addr, req)
			switch status {
			case 400, 401, 403, 404, 405:
			default:
				t.Errorf("%s %s with no credentials: %d %s", method, target, status, resp)
			}
		}
	}
	n := 0
	ts.consumers.Each(func(string, string) { n++ })
	if n != 0 {
		t.Errorf("%d consumer instances created with no credentials", n)
	}
	// The canonical spelling of a real path is served as that path.
	status, body, _ := ts.do(t, "GET", "/%74opics", map[string]string{"Authorization": basicAuth("alice", "alice-secret")}, nil)
	if status != 200 || !strings.HasPrefix(body, "[") {
		t.Errorf("GET /%%74opics as alice: %d %s", status, body)
	}
	status, _, _ = ts.do(t, "GET", "/%74opics", nil, nil)
	if status != 401 {
		t.Errorf("GET /%%74opics with no credentials: %d, want 401", status)
	}
}

// TestAttackPasswordGuessing: with the defaults, a client guessing
// passwords gets 10 answers, then 429 with Retry-After, before any hash,
// each held up to a second;
// failures are logged a line per address per minute, never with the
// password.
func TestAttackPasswordGuessing(t *testing.T) {
	b := realBroker(t)
	jaas := basicUsers(t)
	logs := &logBuffer{}
	ts := startServerWithLog(t, map[string]string{
		"bootstrap.servers": strings.Join(b.seeds, ","), "listeners": "http://127.0.0.1:0",
		"authentication.method": "BASIC", "java.security.auth.login.config": jaas, "consumer.forwarding": "off",
	}, slog.New(slog.NewTextHandler(logs, nil)))
	statuses := map[int]int{}
	var retryAfter string
	start := time.Now()
	for i := 0; i < 13; i++ {
		status, _, hdr := ts.do(t, "GET", "/topics", map[string]string{"Authorization": basicAuth("alice", "guess-"+strconv.Itoa(i))}, nil)
		statuses[status]++
		if status == 429 {
			retryAfter = hdr.Get("Retry-After")
		}
	}
	// The burst of 10, then about one a second: each held 429 lets the
	// bucket refill one guess.
	if statuses[401] < 10 || statuses[401] > 12 || statuses[429] < 1 || statuses[401]+statuses[429] != 13 {
		t.Errorf("13 guesses: %v, want 10 to 12 × 401 and the rest 429", statuses)
	}
	if took := time.Since(start); took < time.Second {
		t.Errorf("the answers past the limit took %v: a guesser's 429 is held (failureTarpit)", took)
	}
	if n, err := strconv.Atoi(retryAfter); err != nil || n < 1 {
		t.Errorf("Retry-After %q", retryAfter)
	}
	if n := strings.Count(logs.String(), "authentication failed"); n != 1 {
		t.Errorf("%d failure log lines for one address, want 1", n)
	}
	if strings.Contains(logs.String(), "guess-") {
		t.Error("a password reached the log")
	}
}

// TestAttackTokenGuessing: bad bearer tokens are charged to the client's
// address as bad passwords are: 10, then 429 with Retry-After, before any
// signature is checked; a valid token still gets in from elsewhere.
func TestAttackTokenGuessing(t *testing.T) {
	b := realBroker(t)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pub := filepath.Join(t.TempDir(), "jwt.pem")
	if err := os.WriteFile(pub, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, b, map[string]string{
		"authentication.method": "BEARER", "authentication.bearer.public.key.location": pub, "consumer.forwarding": "off",
	})
	statuses := map[int]int{}
	for i := 0; i < 12; i++ {
		status, _, _ := ts.do(t, "GET", "/topics", map[string]string{"Authorization": "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0." + strconv.Itoa(i)}, nil)
		statuses[status]++
	}
	if statuses[401] < 10 || statuses[401] > 11 || statuses[429] < 1 || statuses[401]+statuses[429] != 12 {
		t.Errorf("12 bad tokens: %v, want 10 or 11 × 401 and the rest 429", statuses)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"sub": "alice", "exp": time.Now().Add(time.Hour).Unix()})
	signed, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}
	client := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
	req, _ := http.NewRequest("GET", ts.url+"/topics", nil)
	req.Header.Set("Authorization", "Bearer "+signed)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("a valid token from another address: %d, want 200", resp.StatusCode)
	}
}
