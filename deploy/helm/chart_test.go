package helm

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/krest-dev/krest/proxy/testenv"
)

var update = flag.Bool("update", false, "write deploy/kubernetes/krest.yaml and the chart's copy of the Grafana dashboard again")

const (
	chart         = "krest"
	plainValues   = "../kubernetes/values.yaml"
	plainManifest = "../kubernetes/krest.yaml"
	fullValues    = "krest/ci/full-values.yaml"
	kubeVersion   = "1.37.0"
)

// plainHeader opens deploy/kubernetes/krest.yaml, above helm template's output.
const plainHeader = `# krest for Kubernetes without Helm: two replicas for a Kafka at kafka:9092.
# Generated from deploy/helm/krest with deploy/kubernetes/values.yaml; do not
# edit (go test ./deploy/helm -run TestPlainManifests -update writes it again).
# Before applying it, create the Secret the replicas share:
#   kubectl create secret generic krest-forwarding --from-literal=secret="$(openssl rand -base64 48)"
`

// tools is where .ci/chart/tools.sh installs helm, helm-unittest, kubeconform
// and the schemas; a test without them skips, or fails under CI=true.
type tools struct{ helm, unittest, kubeconform, schemas string }

func chartTools(t *testing.T) tools {
	t.Helper()
	cache := os.Getenv("KREST_CACHE")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache", "krest")
	}
	dir := filepath.Join(cache, "chart-tools")
	tl := tools{
		helm:        filepath.Join(dir, "bin", "helm"),
		unittest:    filepath.Join(dir, "bin", "helm-unittest"),
		kubeconform: filepath.Join(dir, "bin", "kubeconform"),
		schemas:     filepath.Join(dir, "schemas"),
	}
	for _, p := range []string{tl.helm, tl.unittest, tl.kubeconform, filepath.Join(tl.schemas, "deployment-apps-v1.json")} {
		_, err := os.Stat(p)
		testenv.Require(t, p+" (.ci/chart/tools.sh installs it; make deps runs it)", err == nil)
	}
	return tl
}

// run runs a tool and returns its standard output, failing the test with
// both outputs if it fails.
func run(t *testing.T, stdin []byte, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", filepath.Base(name), strings.Join(args, " "), err, stdout.Bytes(), stderr.Bytes())
	}
	return stdout.Bytes()
}

func (tl tools) template(t *testing.T, values string) []byte {
	t.Helper()
	args := []string{"template", "krest", chart, "--kube-version", kubeVersion}
	if values != "" {
		args = append(args, "-f", values)
	}
	return run(t, nil, tl.helm, args...)
}

// readmeValues writes the README's krest-values.yaml into a file and
// returns its path.
func readmeValues(t *testing.T) string {
	t.Helper()
	_, _, values := readmeHelm(t)
	f := filepath.Join(t.TempDir(), "krest-values.yaml")
	if err := os.WriteFile(f, []byte(values), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestLint(t *testing.T) {
	tl := chartTools(t)
	for _, values := range []string{"", fullValues, plainValues, readmeValues(t)} {
		args := []string{"lint", "--strict", chart, "--kube-version", kubeVersion}
		if values != "" {
			args = append(args, "-f", values)
		}
		run(t, nil, tl.helm, args...)
	}
}

// TestKubeconform validates what the chart renders, with its defaults, with
// every part on, and as the plain manifests, against Kubernetes 1.37's
// schemas (and the Prometheus Operator's ServiceMonitor), rejecting any
// field the schemas do not know.
func TestKubeconform(t *testing.T) {
	tl := chartTools(t)
	for _, values := range []string{"", fullValues, plainValues, readmeValues(t)} {
		out := tl.template(t, values)
		res := run(t, out, tl.kubeconform, "-strict", "-summary",
			"-schema-location", filepath.Join(tl.schemas, "{{.ResourceKind}}{{.KindSuffix}}.json"))
		t.Logf("values %q: %s", values, bytes.TrimSpace(res))
		if !bytes.Contains(res, []byte("Invalid: 0, Errors: 0, Skipped: 0")) {
			t.Errorf("values %q: kubeconform did not validate everything: %s", values, res)
		}
	}
	// A field Kubernetes does not know fails: the schemas are strict.
	bad := []byte("apiVersion: v1\nkind: Service\nmetadata:\n  name: x\nspec:\n  portz: []\n")
	cmd := exec.Command(tl.kubeconform, "-strict", "-schema-location", filepath.Join(tl.schemas, "{{.ResourceKind}}{{.KindSuffix}}.json"))
	cmd.Stdin = bytes.NewReader(bad)
	if out, err := cmd.CombinedOutput(); err == nil || !bytes.Contains(out, []byte("'portz' not allowed")) {
		t.Errorf("kubeconform did not refuse a Service's unknown field (err %v): %s", err, out)
	}
}

// TestUnittest runs the chart's helm-unittest suites (deploy/helm/krest/tests).
func TestUnittest(t *testing.T) {
	tl := chartTools(t)
	t.Log(string(run(t, nil, tl.unittest, "--color=false", chart)))
}

// TestPlainManifests keeps deploy/kubernetes/krest.yaml what the chart
// renders, so that it cannot go stale.
func TestPlainManifests(t *testing.T) {
	tl := chartTools(t)
	want := append([]byte(plainHeader), tl.template(t, plainValues)...)
	if *update {
		if err := os.WriteFile(plainManifest, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(plainManifest)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is not what the chart renders: go test ./deploy/helm -run TestPlainManifests -update writes it again", plainManifest)
	}
}

// TestDashboardCopy keeps the chart's copy of the Grafana dashboard (Helm
// reads no file outside the chart) the same as cmd/krest's.
func TestDashboardCopy(t *testing.T) {
	const src, dst = "../../cmd/krest/grafana-dashboard.json", "krest/files/grafana-dashboard.json"
	want, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(dst, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s: go test ./deploy/helm -run TestDashboardCopy -update copies it", dst, src)
	}
}

// readmeHelm returns the commands of the README's "Kubernetes (Helm)"
// section, its first sh block (the chart) and its second (the plain
// manifests), with the YAML block that is krest-values.yaml.
func readmeHelm(t *testing.T) (install, plain []string, values string) {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n### Kubernetes (Helm)\n")
	if !ok {
		t.Fatal(`README.md has no "### Kubernetes (Helm)" section`)
	}
	if i := strings.Index(section, "\n## "); i >= 0 {
		section = section[:i]
	}
	var sh [][]string
	for rest := section; ; {
		_, block, ok := strings.Cut(rest, "\n```")
		if !ok {
			break
		}
		lang, body, _ := strings.Cut(block, "\n")
		body, rest, _ = strings.Cut(body, "```\n")
		switch lang {
		case "yaml":
			values = body
		case "sh":
			var cmds []string
			for line := range strings.Lines(strings.ReplaceAll(body, "\\\n", " ")) {
				if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
					cmds = append(cmds, line)
				}
			}
			sh = append(sh, cmds)
		}
	}
	if len(sh) != 2 || values == "" {
		t.Fatalf("the README's Kubernetes (Helm) section has %d sh blocks and values %q; the test expects two and a yaml block", len(sh), values)
	}
	return sh[0], sh[1], values
}
