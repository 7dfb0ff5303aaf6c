package main

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestVersionAndPrintConfig(t *testing.T) {
	t.Parallel()
	bin, err := krestBinary()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-version").Output()
	if err != nil || !strings.HasPrefix(string(out), "krest ") || !strings.Contains(string(out), "go1.") {
		t.Errorf("-version: %q %v", out, err)
	}
	file := filepath.Join(t.TempDir(), "krest.properties")
	os.WriteFile(file, []byte("id=from-file\nclient.sasl.jaas.config=org.x.PlainLoginModule required password=\"hunter2\";\nschema.registry.basic.auth.user.info=u:hunter3\n"), 0o600)
	cmd := exec.Command(bin, "-config", file, "-print-config", "-o", "producer.linger.ms=9")
	cmd.Env = []string{"KREST_HOST_NAME=from-env"}
	out, err = cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"id=from-file\t# file " + file, "host.name=from-env\t# env KREST_HOST_NAME", "producer.linger.ms=9\t# flag -o",
		"client.sasl.jaas.config=****\t# file", "schema.registry.basic.auth.user.info=****", "idle.timeout.ms=30000\t# default",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("-print-config lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "hunter") {
		t.Errorf("-print-config shows a secret:\n%s", out)
	}
	help, _ := exec.Command(bin, "-h").CombinedOutput()
	if !strings.Contains(string(help), "largest request body, after gunzip") {
		t.Errorf("-h does not explain the flags:\n%s", help)
	}
}

// TestSIGHUP: the config file's log.level applies on SIGHUP.
func TestSIGHUP(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "krest.properties")
	os.WriteFile(file, []byte("log.level=info\n"), 0o600)
	p := startKrest(t, "-config", file)
	os.WriteFile(file, []byte("log.level=debug\n"), 0o600)
	p.cmd.Process.Signal(syscall.SIGHUP)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(p.stderr.String(), `msg="SIGHUP: configuration re-read" log.level=DEBUG`) {
		if time.Now().After(deadline) {
			t.Fatalf("no reload:\n%s", p.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.stop(t)
}

// TestDebugListener: pprof is served on debug.listener only.
func TestDebugListener(t *testing.T) {
	t.Parallel()
	p := startKrest(t, "-o", "debug.listener=127.0.0.1:0")
	var addr string
	for _, line := range strings.Split(p.stderr.String(), "\n") {
		if _, rest, ok := strings.Cut(line, "pprof on http://"); ok {
			addr, _, _ = strings.Cut(rest, "/")
		}
	}
	if addr == "" {
		t.Fatalf("no pprof address in the log:\n%s", p.stderr.String())
	}
	resp, err := http.Get("http://" + addr + "/debug/pprof/")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("pprof on debug.listener: %v %v", resp, err)
	}
	resp.Body.Close()
	if status, _ := p.get(t, "/debug/pprof/"); status != 404 {
		t.Errorf("pprof on the public listener: %d", status)
	}
	p.stop(t)
}
