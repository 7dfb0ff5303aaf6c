// Package testenv is what krest's tests know about the machine they run on:
// the real Kafka broker that .ci/kafka/with-broker.sh starts (make test),
// the outside programs some tests drive (haproxy, chromium, prometheus,
// promtool), the TLS material of .ci/kafka/gen-certs.sh, and certificates
// made in the test. Only tests import it.
//
// One rule holds for everything here: a test that finds a real component
// missing skips, except under CI=true, where it fails, so that CI cannot
// pass by skipping what it was meant to run. [Require] states the rule;
// [Broker], [Tool] and [Certs] apply it.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// The variables through which .ci/kafka/with-broker.sh hands its broker to
// the tests.
const (
	BootstrapEnv        = "KREST_TEST_BOOTSTRAP"          // PLAINTEXT listener, principal ANONYMOUS (a super user)
	SSLBootstrapEnv     = "KREST_TEST_SSL_BOOTSTRAP"      // SSL, client certificate required
	SASLSSLBootstrapEnv = "KREST_TEST_SASL_SSL_BOOTSTRAP" // SASL_SSL: SCRAM-SHA-512, PLAIN, OAUTHBEARER
	BadHostBootstrapEnv = "KREST_TEST_BADHOST_BOOTSTRAP"  // SSL with a certificate for wrong.invalid only
	CertsEnv            = "KREST_TEST_CERTS"              // gen-certs.sh's directory
	PIDFileEnv          = "KREST_TEST_BROKER_PIDFILE"     // the broker's pid (the fault suite kills it)
	RestartEnv          = "KREST_TEST_BROKER_RESTART"     // starts the broker again, same ports and data
)

// CI reports whether the tests run under CI=true, where a missing real
// component fails a test instead of skipping it.
func CI() bool { return os.Getenv("CI") == "true" }

// Require lets the test go on when ok; otherwise it skips the test, or
// fails it under CI=true. what names the missing component and how to get
// it, e.g. "haproxy (apt-get install haproxy; make test does)".
func Require(t testing.TB, what string, ok bool) {
	t.Helper()
	if ok {
		return
	}
	if CI() {
		t.Fatalf("missing %s: CI=true must run this test", what)
	}
	t.Skipf("missing %s", what)
}

// Broker returns the seed addresses of the real broker's PLAINTEXT
// listener, skipping the test without one (failing it under CI=true).
func Broker(t testing.TB) []string {
	t.Helper()
	seeds := os.Getenv(BootstrapEnv)
	Require(t, "a real Kafka broker (set "+BootstrapEnv+"; make test does)", seeds != "")
	return strings.Split(seeds, ",")
}

// Secured are the real broker's secured listeners and TLS material.
type Secured struct {
	SSL     string // SSL, client certificates required
	SASLSSL string // SASL_SSL: SCRAM-SHA-512, PLAIN, OAUTHBEARER
	BadHost string // SSL with a certificate for wrong.invalid
	Certs   string // gen-certs.sh's directory
}

// SecuredBroker returns the real broker's secured listeners. Without a
// broker the test skips as with [Broker]; a broker without its secured
// listeners fails the test, as it was not started by with-broker.sh.
func SecuredBroker(t testing.TB) Secured {
	t.Helper()
	Broker(t)
	s := Secured{SSL: os.Getenv(SSLBootstrapEnv), SASLSSL: os.Getenv(SASLSSLBootstrapEnv),
		BadHost: os.Getenv(BadHostBootstrapEnv), Certs: os.Getenv(CertsEnv)}
	if s.SSL == "" || s.SASLSSL == "" || s.BadHost == "" || s.Certs == "" {
		t.Fatal("the real broker runs without its secured listeners: start it with .ci/kafka/with-broker.sh")
	}
	return s
}

// Fault is the broker of the fault suite, which kills and restarts it.
type Fault struct {
	Seeds   []string
	PIDFile string // holds the broker's pid
	Restart string // a script that starts the broker again and waits until it listens
}

// FaultBroker returns the fault suite's broker. The suite runs only under
// its build tag, from make faults, so a missing broker always fails.
func FaultBroker(t testing.TB) Fault {
	t.Helper()
	seeds, pidFile, restart := os.Getenv(BootstrapEnv), os.Getenv(PIDFileEnv), os.Getenv(RestartEnv)
	if seeds == "" || pidFile == "" || restart == "" {
		t.Fatal("the fault suite needs the broker of .ci/kafka/with-broker.sh (make faults)")
	}
	return Fault{Seeds: strings.Split(seeds, ","), PIDFile: pidFile, Restart: restart}
}

// installHints say how make gets each tool.
var installHints = map[string]string{
	"haproxy":    "apt-get install haproxy; make deps does",
	"chromium":   "apt-get install chromium; make deps does",
	"prometheus": "apt-get install prometheus; make deps does",
	"promtool":   "it comes with Debian's prometheus; make deps installs it",
	"dockerd":    "apt-get install docker.io; make deps does",
	"docker":     "apt-get install docker.io; make deps does",
	"dpkg-deb":   "Debian's dpkg",
}

// Tool returns the path of the program name, found on PATH or at one of
// the paths also given, skipping the test without it (failing it under
// CI=true).
func Tool(t testing.TB, name string, also ...string) string {
	t.Helper()
	for _, p := range append([]string{name}, also...) {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	what := name
	if h, ok := installHints[name]; ok {
		what += " (" + h + ")"
	}
	Require(t, what, false)
	return ""
}

// Certs returns a directory with the TLS material of .ci/kafka/gen-certs.sh:
// the real broker's when there is one, else made once per test binary.
// Without openssl and keytool the test skips (fails under CI=true).
func Certs(t testing.TB) string {
	t.Helper()
	if dir := os.Getenv(CertsEnv); dir != "" {
		return dir
	}
	dir, err := genCerts()
	if err != nil {
		Require(t, "the certificates of gen-certs.sh (it needs openssl and keytool): "+err.Error(), false)
	}
	return dir
}

var genCerts = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "krest-test-certs")
	if err != nil {
		return "", err
	}
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "..", "..", ".ci", "kafka", "gen-certs.sh")
	if out, err := exec.Command("bash", script, dir).CombinedOutput(); err != nil {
		return "", &exec.Error{Name: script + ": " + strings.TrimSpace(string(out)), Err: err}
	}
	return dir, nil
})
