package deploy

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/krest-dev/krest/proxy/testenv"
)

// TestRelease runs make release (a snapshot off a tag) and checks what it
// leaves in dist/: an archive, a .deb, an .rpm and a CycloneDX SBOM per
// architecture, checksums.txt matching every file, a .deb and .rpms holding
// the binary, the unit and the config file, SBOMs naming exactly the modules
// linked into each architecture's binary, and an amd64 binary whose
// -version carries the snapshot's version, the commit and its date.
func TestRelease(t *testing.T) {
	home, _ := os.UserHomeDir()
	tools := filepath.Join(home, ".cache", "krest", "release-tools")
	goreleaser, _ := filepath.Glob(filepath.Join(tools, "goreleaser-*", "goreleaser"))
	testenv.Require(t, "goreleaser in "+tools+" (make deps installs it)", len(goreleaser) > 0)
	dpkgDeb := testenv.Tool(t, "dpkg-deb")
	rpm, err := exec.LookPath("rpm")
	testenv.Require(t, "rpm (apt-get install rpm; make deps does)", err == nil)

	// make release installs cyclonedx-gomod for the SBOMs if make deps has
	// not: the SBOMs are always made and checked.
	start := time.Now()
	run(t, nil, "make", "--no-print-directory", "release", "RELEASE_SKIP=publish")
	t.Logf("make release: %s", time.Since(start).Round(time.Second))
	dist := filepath.Join(root, "dist")
	run(t, nil, "sh", "-c", "cd dist && sha256sum -c checksums.txt") // the README's check

	var meta struct{ Version, Commit string }
	if b, err := os.ReadFile(filepath.Join(dist, "metadata.json")); err != nil || json.Unmarshal(b, &meta) != nil {
		t.Fatalf("dist/metadata.json: %v", err)
	}

	want := map[string][]string{}
	for _, arch := range []string{"amd64", "arm64"} {
		want[arch] = []string{"krest_" + meta.Version + "_linux_" + arch + ".tar.gz", "krest_" + meta.Version + "_linux_" + arch + ".cdx.json"}
	}
	sums := map[string]string{}
	rpmOf := map[string]string{}
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
			if conf := run(t, nil, dpkgDeb, "-I", filepath.Join(dist, name), "conffiles"); conf != "/etc/krest/krest.properties\n" {
				t.Errorf("%s's conffiles: %q, want /etc/krest/krest.properties", name, conf)
			}
			// The unit's ExecReload runs /bin/kill, in Debian's procps.
			if deps := run(t, nil, dpkgDeb, "-f", filepath.Join(dist, name), "Depends"); !strings.Contains(deps, "procps") {
				t.Errorf("%s depends on %q, want procps", name, deps)
			}
		case strings.HasSuffix(name, ".rpm"):
			rpms++
			for arch, rpmArch := range map[string]string{"amd64": "x86_64", "arm64": "aarch64"} {
				if strings.HasSuffix(name, "."+rpmArch+".rpm") {
					rpmOf[arch] = filepath.Join(dist, name)
				}
			}
		}
	}
	if debs != 2 || rpms != 2 {
		t.Errorf("%d .deb and %d .rpm in checksums.txt, want one of each per architecture: %v", debs, rpms, sums)
	}

	bins := map[string]string{}
	for arch, files := range want {
		bins[arch] = filepath.Join(t.TempDir(), "krest")
		extract(t, filepath.Join(dist, files[0]), "krest", bins[arch])
		checkSBOM(t, filepath.Join(dist, files[1]), arch, bins[arch])
		checkRPM(t, rpm, rpmOf[arch], arch, bins[arch])
	}
	out, err := exec.Command(bins["amd64"], "-version").CombinedOutput()
	if v := string(out); err != nil || !strings.HasPrefix(v, "krest "+meta.Version+" (commit ") || stampedCommit(t, v) != meta.Commit {
		t.Errorf("krest -version: %v %q, want version %s and commit %s", err, v, meta.Version, meta.Commit)
	}
}

// checkRPM checks an architecture's .rpm as the .deb is checked, and
// more: krest for that architecture, holding exactly the binary (the
// archive's, by digest), the unit and the config file (marked config and
// noreplace, as the .deb's conffile), root's, with their modes. Unlike the
// .deb it needs no dependency for the unit's /bin/kill: on RPM systems
// that is util-linux, which systemd itself requires.
func checkRPM(t *testing.T, rpm, path, arch, bin string) {
	t.Helper()
	if path == "" {
		t.Errorf("no .rpm for %s", arch)
		return
	}
	query := func(format string) string {
		out, err := exec.Command(rpm, "-qp", "--queryformat", format, path).Output()
		if err != nil {
			t.Fatalf("rpm -qp %s: %v", path, err)
		}
		return string(out)
	}
	rpmArch := map[string]string{"amd64": "x86_64", "arm64": "aarch64"}[arch]
	if got := query("%{NAME} %{ARCH}"); got != "krest "+rpmArch {
		t.Errorf("%s is %q, want krest %s", path, got, rpmArch)
	}
	digest := func(file string) string {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256(b)
		return hex.EncodeToString(h[:])
	}
	// Digest algorithm 8 is SHA-256.
	want := strings.Join([]string{
		"/etc/krest/krest.properties -rw-r--r-- root:root cn 8 " + digest(filepath.Join(root, "deploy/systemd/krest.properties")),
		"/usr/bin/krest -rwxr-xr-x root:root  8 " + digest(bin),
		"/usr/lib/systemd/system/krest.service -rw-r--r-- root:root  8 " + digest(filepath.Join(root, "deploy/systemd/krest.service")),
	}, "\n") + "\n"
	if got := query("[%{FILENAMES} %{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILEFLAGS:fflags} %{FILEDIGESTALGO} %{FILEDIGESTS}\n]"); got != want {
		t.Errorf("%s holds\n%swant\n%s", path, got, want)
	}
}

// checkSBOM checks a binary's CycloneDX SBOM: krest's module built for
// linux/arch with the build's tag, and as its components exactly the
// modules (and versions) that the Go toolchain recorded in the binary,
// franz-go among them.
func checkSBOM(t *testing.T, path, arch, bin string) {
	t.Helper()
	var bom struct {
		BOMFormat string
		Metadata  struct {
			Component struct {
				Name       string
				Properties []struct{ Name, Value string }
			}
		}
		Components []struct{ Name, Version string }
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &bom); err != nil || bom.BOMFormat != "CycloneDX" || bom.Metadata.Component.Name != "github.com/krest-dev/krest" {
		t.Fatalf("%s: not a CycloneDX SBOM of krest (%v): %.300s", path, err, b)
	}
	props := map[string]bool{}
	for _, p := range bom.Metadata.Component.Properties {
		props[p.Name+"="+p.Value] = true
	}
	for _, p := range []string{"cdx:gomod:build:env:GOOS=linux", "cdx:gomod:build:env:GOARCH=" + arch, "cdx:gomod:build:tag=grpcnotrace"} {
		if !props[p] {
			t.Errorf("%s lacks the property %s: %v", path, p, props)
		}
	}
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	var linked, listed []string
	for _, d := range info.Deps {
		linked = append(linked, d.Path+"@"+d.Version)
	}
	for _, c := range bom.Components {
		listed = append(listed, c.Name+"@"+c.Version)
	}
	slices.Sort(linked)
	slices.Sort(listed)
	if !slices.Equal(linked, listed) {
		t.Errorf("%s lists %d modules, the %s binary was built from %d:\nSBOM:   %v\nbinary: %v", path, len(listed), arch, len(linked), listed, linked)
	}
	if !slices.ContainsFunc(listed, func(m string) bool { return strings.HasPrefix(m, "github.com/twmb/franz-go@v") }) {
		t.Errorf("%s does not name franz-go: %v", path, listed)
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
