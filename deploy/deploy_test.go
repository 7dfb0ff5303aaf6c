package deploy

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// root is the repository's top directory.
var root = func() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}()

// run runs a command and returns its combined output, failing the test
// when it fails.
func run(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	out, err := command(env, name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func command(env []string, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir = root
	cmd.Env = append(cmd.Environ(), env...)
	return cmd
}

// stampedCommit returns the commit a krest -version line carries, failing
// the test unless it is HEAD or, as others may commit while the test
// builds, one of its ancestors.
func stampedCommit(t *testing.T, version string) string {
	t.Helper()
	m := regexp.MustCompile(`\(commit ([0-9a-f]{40}) of 20`).FindStringSubmatch(version)
	if m == nil {
		t.Fatalf("krest -version %q carries no commit and date", version)
	}
	if err := command(nil, "git", "merge-base", "--is-ancestor", m[1], "HEAD").Run(); err != nil {
		t.Fatalf("krest -version %q: commit %s is not HEAD or before it: %v", version, m[1], err)
	}
	return m[1]
}

// freePort returns a loopback port nothing listens on now.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// send makes one HTTP call and returns the status and body.
func send(t *testing.T, method, url, contentType, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/vnd.kafka.json.v2+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(bytes.TrimSpace(b))
}

// waitReady polls url until it answers 200.
func waitReady(t *testing.T, url string, within time.Duration, logs func() string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready within %s (last: %v)\n%s", url, within, err, logs())
		}
		time.Sleep(200 * time.Millisecond)
	}
}
