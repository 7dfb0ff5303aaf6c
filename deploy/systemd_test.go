package deploy

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/krest-dev/krest/proxy/config"
	"github.com/krest-dev/krest/proxy/testenv"
)

// exposureThreshold is the most systemd-analyze security may rate the
// unit, in tenths (1.1 today: what remains is the network, which a proxy
// needs, and MemoryDenyWriteExecute, which sonic's JIT forbids).
const exposureThreshold = 15

// unitTree lays out a root for systemd-analyze --root: the unit where the
// packages install it, the host's own units (for the targets it names),
// and stand-ins for the programs it runs.
func unitTree(t *testing.T) string {
	t.Helper()
	tree := t.TempDir()
	for _, d := range []string{"usr/lib/systemd/system", "usr/bin", "bin"} {
		if err := os.MkdirAll(filepath.Join(tree, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	run(t, nil, "cp", "-a", "/usr/lib/systemd/system/.", filepath.Join(tree, "usr/lib/systemd/system"))
	run(t, nil, "cp", "deploy/systemd/krest.service", filepath.Join(tree, "usr/lib/systemd/system/krest.service"))
	for _, p := range []string{"usr/bin/krest", "bin/kill"} {
		if err := os.WriteFile(filepath.Join(tree, p), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return tree
}

// TestSystemdUnit checks deploy/systemd/krest.service with systemd's own
// analyzer: verify must print nothing (a misspelt directive only prints a
// warning and exits 0), and the offline security rating must stay under
// exposureThreshold. It also checks the settings the unit documents.
func TestSystemdUnit(t *testing.T) {
	analyze := testenv.Tool(t, "systemd-analyze")
	if _, err := os.Stat("/usr/lib/systemd/system/sysinit.target"); err != nil {
		testenv.Require(t, "systemd's units in /usr/lib/systemd/system (apt-get install systemd)", false)
	}
	tree := unitTree(t)
	out, err := exec.Command(analyze, "verify", "--root="+tree, "krest.service").CombinedOutput()
	if err != nil || len(out) != 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, err = exec.Command(analyze, "security", "--offline=yes", "--root="+tree,
		"--threshold="+strconv.Itoa(exposureThreshold), "krest.service").CombinedOutput()
	last := strings.TrimSpace(string(out))
	last = last[strings.LastIndexByte(last, '\n')+1:]
	t.Logf("systemd-analyze security: %s", last)
	if err != nil {
		t.Errorf("systemd-analyze security over %d: %v\n%s", exposureThreshold, err, out)
	}

	unit := map[string][]string{}
	f, err := os.Open(filepath.Join(root, "deploy/systemd/krest.service"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for s := bufio.NewScanner(f); s.Scan(); {
		if k, v, ok := strings.Cut(s.Text(), "="); ok && !strings.HasPrefix(k, "#") {
			unit[k] = append(unit[k], v)
		}
	}
	for k, want := range map[string]string{
		"ExecReload": "/bin/kill -HUP $MAINPID", "Restart": "on-failure", "NoNewPrivileges": "yes",
		"ProtectSystem": "strict", "DynamicUser": "yes",
	} {
		if got := strings.Join(unit[k], " "); got != want {
			t.Errorf("%s=%s, want %s", k, got, want)
		}
	}
	if v := unit["MemoryDenyWriteExecute"]; len(v) != 0 {
		t.Errorf("MemoryDenyWriteExecute=%s: krest panics at start under it (sonic's JIT)", v)
	}
	// LimitNOFILE covers connections.max client connections plus the
	// Kafka connections, listeners and files beside them.
	conns, _ := strconv.Atoi(config.Defaults()["connections.max"])
	if n, err := strconv.Atoi(strings.Join(unit["LimitNOFILE"], "")); err != nil || n < conns+1024 {
		t.Errorf("LimitNOFILE=%s, want at least connections.max (%d) + 1024", unit["LimitNOFILE"], conns)
	}
}
