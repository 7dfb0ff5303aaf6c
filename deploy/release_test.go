package deploy

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/krest-dev/krest/proxy/testenv"
)

// TestRelease runs make release (a snapshot off a tag) and checks what it
// leaves in dist/: an archive, a .deb and an .rpm per architecture,
// checksums.txt matching every file, a .deb holding the
// binary, the unit and the config file, and an amd64 binary whose -version
// carries the snapshot's version, the commit and its date.
func TestRelease(t *testing.T) {
	home, _ := os.UserHomeDir()
	tools := filepath.Join(home, ".cache", "krest", "release-tools")
	goreleaser, _ := filepath.Glob(filepath.Join(tools, "goreleaser-*", "goreleaser"))
	testenv.Require(t, "goreleaser in "+tools+" (make deps installs it)", len(goreleaser) > 0)
	dpkgDeb := testenv.Tool(t, "dpkg-deb")
	// make deps does not build syft (~7 CPU-minutes): the SBOMs are made
	// and checked only where it is already installed.
	skip := "publish,sbom"
	if syft, _ := filepath.Glob(filepath.Join(tools, "syft-*", "syft")); len(syft) > 0 {
		skip = "publish"
	}

	start := time.Now()
	run(t, nil, "make", "--no-print-directory", "release", "RELEASE_SKIP="+skip)
	t.Logf("make release: %s", time.Since(start).Round(time.Second))
	dist := filepath.Join(root, "dist")
	run(t, nil, "sh", "-c", "cd dist && sha256sum -c checksums.txt") // the README's check

	var meta struct{ Version, Commit string }
	if b, err := os.ReadFile(filepath.Join(dist, "metadata.json")); err != nil || json.Unmarshal(b, &meta) != nil {
		t.Fatalf("dist/metadata.json: %v", err)
	}

	want := map[string][]string{}
	for _, arch := range []string{"amd64", "arm64"} {
		archive := "krest_" + meta.Version + "_linux_" + arch + ".tar.gz"
		want[arch] = []string{archive}
		if skip == "publish" {
			want[arch] = append(want[arch], archive+".sbom.json")
		}
	}
	sums := map[string]string{}
	b, err := os.ReadFile(filepath.Join(dist, "checksums.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if sum, name, ok := strings.Cut(strings.TrimSpace(line), "  "); ok {
			sums[name] = sum
		}
	}
	for _, files := range want {
		for _, f := range files {
			if _, ok := sums[f]; !ok {
				t.Errorf("checksums.txt lacks %s", f)
			}
		}
	}
	debs, rpms := 0, 0
	for name, sum := range sums {
		data, err := os.ReadFile(filepath.Join(dist, name))
		if err != nil {
			t.Errorf("checksums.txt names %s: %v", name, err)
			continue
		}
		if h := sha256.Sum256(data); hex.EncodeToString(h[:]) != sum {
			t.Errorf("%s: sha256 %x, checksums.txt says %s", name, h, sum)
		}
		switch {
		case strings.HasSuffix(name, ".deb"):
			debs++
			if !strings.HasSuffix(name, "_amd64.deb") {
				continue
			}
			list := run(t, nil, dpkgDeb, "-c", filepath.Join(dist, name))
			for _, f := range []string{"./usr/bin/krest", "./usr/lib/systemd/system/krest.service", "./etc/krest/krest.properties"} {
				if !strings.Contains(list, " "+f+"\n") {
					t.Errorf("%s lacks %s:\n%s", name, f, list)
				}
			}
			// The unit's ExecReload runs /bin/kill, in Debian's procps.
			if deps := run(t, nil, dpkgDeb, "-f", filepath.Join(dist, name), "Depends"); !strings.Contains(deps, "procps") {
				t.Errorf("%s depends on %q, want procps", name, deps)
			}
		case strings.HasSuffix(name, ".rpm"):
			rpms++
		}
	}
	if debs != 2 || rpms != 2 {
		t.Errorf("%d .deb and %d .rpm in checksums.txt, want one of each per architecture: %v", debs, rpms, sums)
	}

	bin := filepath.Join(t.TempDir(), "krest")
	extract(t, filepath.Join(dist, want["amd64"][0]), "krest", bin)
	out, err := exec.Command(bin, "-version").CombinedOutput()
	if v := string(out); err != nil || !strings.HasPrefix(v, "krest "+meta.Version+" (commit ") || stampedCommit(t, v) != meta.Commit {
		t.Errorf("krest -version: %v %q, want version %s and commit %s", err, v, meta.Version, meta.Commit)
	}
}

// extract writes the archive's file name to dst.
func extract(t *testing.T, archive, name, dst string) {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("%s has no %s: %v", archive, name, err)
		}
		if h.Name != name {
			continue
		}
		out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY, 0o755)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(out, tr); err != nil {
			t.Fatal(err)
		}
		if err := out.Close(); err != nil {
			t.Fatal(err)
		}
		return
	}
}
