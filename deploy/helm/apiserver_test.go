//go:build apiserver

package helm

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/krest-dev/krest/proxy/testenv"
)

// TestAPIServer puts the chart and the plain manifests through a real
// kube-apiserver (with etcd), built from k8s.io/kubernetes by
// .ci/kube/build.sh, whose directory `make chart-apiserver` passes in
// KREST_KUBE_BIN: server-side dry runs, helm install and uninstall, and a
// broken Deployment the server must refuse. No kubelet or scheduler runs:
// pods are never started, so this checks what the API accepts, not krest.
func TestAPIServer(t *testing.T) {
	tl := chartTools(t)
	bin := os.Getenv("KREST_KUBE_BIN")
	testenv.Require(t, "kube-apiserver, etcd and kubectl (set KREST_KUBE_BIN to .ci/kube/build.sh's directory; make chart-apiserver does)", bin != "")
	for _, name := range []string{"kube-apiserver", "etcd", "kubectl"} {
		_, err := os.Stat(filepath.Join(bin, name))
		testenv.Require(t, filepath.Join(bin, name)+" (.ci/kube/build.sh builds it)", err == nil)
	}
	kubeconfig := startAPIServer(t, bin)
	kubectl := func(args ...string) []byte {
		t.Helper()
		return run(t, nil, filepath.Join(bin, "kubectl"), append([]string{"--kubeconfig", kubeconfig}, args...)...)
	}
	helm := func(args ...string) []byte {
		t.Helper()
		return run(t, nil, tl.helm, append([]string{"--kubeconfig", kubeconfig}, args...)...)
	}

	crds, err := filepath.Glob(filepath.Join(filepath.Dir(tl.schemas), "crds", "*.json"))
	if err != nil || len(crds) == 0 {
		t.Fatalf("no CRDs next to %s (.ci/chart/tools.sh puts the ServiceMonitor's there)", tl.schemas)
	}
	for _, crd := range crds {
		kubectl("create", "-f", crd)
	}
	kubectl("wait", "--for", "condition=established", "--timeout", "60s", "crd/servicemonitors.monitoring.coreos.com")

	// The README's commands, as written: the chart installed and upgraded
	// with its values file, then uninstalled; then the plain manifests.
	install, plain, values := readmeHelm(t)
	sh := shell(t, kubeconfig, bin, filepath.Dir(tl.helm), values)
	for _, c := range install {
		t.Logf("$ %s\n%s", c, sh(c))
	}
	if n := string(kubectl("get", "-n", "krest", "deployment/krest", "-o", "jsonpath={.spec.replicas}")); n != "4" {
		t.Errorf("after the README's helm upgrade --set replicaCount=4, the Deployment has %q replicas", n)
	}
	jaas := string(kubectl("get", "-n", "krest", "deployment/krest", "-o", `jsonpath={.spec.template.spec.containers[0].env[?(@.name=="KREST_CLIENT_SASL_JAAS_CONFIG")].valueFrom.secretKeyRef.name}`))
	if jaas != "kafka-credentials" {
		t.Errorf("the stored Deployment takes sasl.jaas.config from %q, want the Secret kafka-credentials", jaas)
	}
	helm("uninstall", "krest", "-n", "krest", "--wait")
	kubectl("delete", "-n", "krest", "secret", "krest-forwarding")
	for _, c := range plain {
		t.Logf("$ %s\n%s", c, sh(c))
	}
	if n := string(kubectl("get", "-n", "krest", "deployment/krest", "-o", "jsonpath={.spec.replicas}")); n != "2" {
		t.Errorf("the plain manifests made a Deployment of %q replicas, want 2", n)
	}
	kubectl("delete", "-n", "krest", "--wait", "-f", plainManifest)

	// Every rendering, as the server validates it.
	for _, values := range []string{"", fullValues} {
		out := tl.template(t, values)
		f := filepath.Join(t.TempDir(), "rendered.yaml")
		if err := os.WriteFile(f, out, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Log(string(kubectl("apply", "--dry-run=server", "-n", "krest", "-f", f)))
	}

	// helm install with every part on, then uninstall.
	t.Log(string(helm("install", "krest", chart, "-n", "krest", "-f", fullValues)))
	got := string(kubectl("get", "-n", "krest", "deployment,service,configmap,poddisruptionbudget,horizontalpodautoscaler,servicemonitor", "-o", "name"))
	for _, want := range []string{"deployment.apps/krest", "service/krest", "configmap/krest", "configmap/krest-dashboard",
		"poddisruptionbudget.policy/krest", "horizontalpodautoscaler.autoscaling/krest", "servicemonitor.monitoring.coreos.com/krest"} {
		if !strings.Contains(got, want+"\n") {
			t.Errorf("after helm install, no %s among:\n%s", want, got)
		}
	}
	user := string(kubectl("get", "-n", "krest", "deployment/krest", "-o", "jsonpath={.spec.template.spec.securityContext.runAsUser}"))
	if user != "65532" {
		t.Errorf("the stored Deployment runs as %q, want 65532", user)
	}
	t.Log(string(helm("upgrade", "krest", chart, "-n", "krest", "-f", fullValues, "--set", "autoscaling.maxReplicas=8")))
	t.Log(string(helm("uninstall", "krest", "-n", "krest", "--wait")))
	if left := strings.TrimSpace(string(kubectl("get", "-n", "krest", "deployment,service,configmap,servicemonitor", "-l", "app.kubernetes.io/instance=krest", "-o", "name"))); left != "" {
		t.Errorf("helm uninstall left:\n%s", left)
	}

	// A Deployment whose selector does not match its pods' labels: valid
	// against the JSON schemas, refused by the server.
	broken := strings.Replace(string(tl.template(t, plainValues)), "      app.kubernetes.io/instance: krest\n  template:", "      app.kubernetes.io/instance: other\n  template:", 1)
	if !strings.Contains(broken, "instance: other") {
		t.Fatal("could not break the Deployment's selector")
	}
	cmd := exec.Command(filepath.Join(bin, "kubectl"), "--kubeconfig", kubeconfig, "apply", "--dry-run=server", "-n", "krest", "-f", "-")
	cmd.Stdin = strings.NewReader(broken)
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "selector") {
		t.Errorf("the server took a Deployment whose selector does not match its template (err %v):\n%s", err, out)
	} else {
		t.Logf("refused as it should be: %s", strings.TrimSpace(string(out)))
	}
}

// startAPIServer starts etcd and kube-apiserver on loopback ports, stops
// them when the test ends, and returns a kubeconfig with cluster-admin rights.
func startAPIServer(t *testing.T, bin string) string {
	dir := t.TempDir()
	etcdClient, etcdPeer, secure := freePort(t), freePort(t), freePort(t)
	start(t, dir, "etcd", filepath.Join(bin, "etcd"),
		"--name", "default", "--data-dir", filepath.Join(dir, "etcd"), "--unsafe-no-fsync",
		"--listen-client-urls", "http://127.0.0.1:"+etcdClient, "--advertise-client-urls", "http://127.0.0.1:"+etcdClient,
		"--listen-peer-urls", "http://127.0.0.1:"+etcdPeer, "--initial-advertise-peer-urls", "http://127.0.0.1:"+etcdPeer,
		"--initial-cluster", "default=http://127.0.0.1:"+etcdPeer)

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	saKey := filepath.Join(dir, "sa.key")
	token := rand.Text()
	write(t, saKey, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	write(t, filepath.Join(dir, "tokens.csv"), []byte(token+",admin,admin,system:masters\n"))
	apiserver := start(t, dir, "kube-apiserver", filepath.Join(bin, "kube-apiserver"),
		"--etcd-servers", "http://127.0.0.1:"+etcdClient,
		"--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1", "--secure-port", secure,
		"--cert-dir", filepath.Join(dir, "certs"),
		"--service-account-issuer", "https://kubernetes.default.svc",
		"--service-account-key-file", saKey, "--service-account-signing-key-file", saKey,
		"--service-cluster-ip-range", "10.96.0.0/16",
		"--token-auth-file", filepath.Join(dir, "tokens.csv"),
		"--authorization-mode", "RBAC",
		// No Service endpoints for the API server itself: it reconciles them
		// only with an address that is not loopback.
		"--endpoint-reconciler-type", "none")

	kubeconfig := filepath.Join(dir, "kubeconfig")
	write(t, kubeconfig, []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: test
  cluster: {server: "https://127.0.0.1:%s", insecure-skip-tls-verify: true}
users:
- name: admin
  user: {token: %s}
contexts:
- name: test
  context: {cluster: test, user: admin, namespace: default}
current-context: test
`, secure, token)))

	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	for {
		out, err := exec.CommandContext(ctx, filepath.Join(bin, "kubectl"), "--kubeconfig", kubeconfig, "get", "--raw", "/readyz").CombinedOutput()
		if err == nil {
			break
		}
		select {
		case <-apiserver:
			t.Fatalf("kube-apiserver exited:\n%s", tail(filepath.Join(dir, "kube-apiserver.log")))
		default:
		}
		if ctx.Err() != nil {
			t.Fatalf("kube-apiserver not ready after 90 s: %s\nits log:\n%s", out, tail(filepath.Join(dir, "kube-apiserver.log")))
		}
		time.Sleep(500 * time.Millisecond)
	}
	return kubeconfig
}

// start runs a server in the background, its output in dir/name.log, and
// stops it (SIGINT, then SIGKILL) when the test ends. The channel returned
// is closed when it exits.
func start(t *testing.T, dir, name, path string, args ...string) <-chan struct{} {
	t.Helper()
	log, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }() //nolint:errcheck // stopped on purpose
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt) //nolint:errcheck // it may have exited
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill() //nolint:errcheck // best effort
			<-done
		}
		log.Close()
		if t.Failed() {
			t.Logf("%s's log ends:\n%s", name, tail(log.Name()))
		}
	})
	return done
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
}

func write(t *testing.T, path string, data []byte) {
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// shell returns a function running a README command with bash in a
// directory holding krest-values.yaml and the repository's deploy/, with the
// test's kubectl and helm first on PATH and its API server as KUBECONFIG.
func shell(t *testing.T, kubeconfig, kubeBin, helmBin, values string) func(string) string {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "krest-values.yaml"), []byte(values))
	deploy, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(deploy, filepath.Join(dir, "deploy")); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "KUBECONFIG="+kubeconfig, "PATH="+kubeBin+":"+helmBin+":"+os.Getenv("PATH"))
	return func(command string) string {
		t.Helper()
		cmd := exec.Command("bash", "-euo", "pipefail", "-c", command)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", command, err, out)
		}
		return string(out)
	}
}
