package proxy

import (
	"go/scanner"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/krest-dev/krest"

// TestImportRule: only the HTTP layer (proxy itself, rest, v2 and v3)
// imports fasthttp or its router; every other package of proxy/... knows
// nothing of HTTP. The Kafka-side packages also import none of the HTTP
// layer, so that every API version can sit on them and they can be tested
// without a server.
func TestImportRule(t *testing.T) {
	t.Parallel()
	httpLayer := map[string]bool{module + "/proxy": true, module + "/proxy/rest": true, module + "/proxy/v2": true, module + "/proxy/v3": true}
	kafkaSide := map[string]bool{}
	for _, pkg := range []string{"produce", "schema", "admin", "consumer", "config", "keystore", "jaas", "kafkaerr", "auth", "identity", "clients", "tracing"} {
		kafkaSide[module+"/proxy/"+pkg] = true
	}
	out, err := exec.Command("go", "list", module+"/proxy/...").Output()
	if err != nil {
		t.Fatalf("go list proxy/...: %v", err)
	}
	pkgs := strings.Fields(string(out))
	for pkg := range kafkaSide {
		if !slices.Contains(pkgs, pkg) {
			t.Errorf("%s is not among go list's packages: keep the Kafka-side list current", pkg)
		}
	}
	for _, pkg := range pkgs {
		if httpLayer[pkg] {
			continue
		}
		out, err := exec.Command("go", "list", "-deps", pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		for dep := range strings.FieldsSeq(string(out)) {
			switch {
			case dep == "github.com/valyala/fasthttp" || dep == "github.com/fasthttp/router":
				t.Errorf("%s imports %s: only proxy, proxy/rest, proxy/v2 and proxy/v3 may", pkg, dep)
			case kafkaSide[pkg] && httpLayer[dep]:
				t.Errorf("%s imports %s: Kafka-side packages must not depend on HTTP code", pkg, dep)
			}
		}
	}
}

// TestLayout: no source file of proxy/... is over 500 lines, and the
// Kafka-REST error codes (five-digit integers) are written only in
// rest/codes.go.
func TestLayout(t *testing.T) {
	t.Parallel()
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		test := strings.HasSuffix(path, "_test.go")
		if n := strings.Count(string(src), "\n"); n > 500 && !test {
			t.Errorf("%s has %d lines, more than 500: split it by job", path, n)
		}
		if test || path == filepath.Join("rest", "codes.go") {
			return nil
		}
		fset := token.NewFileSet()
		var s scanner.Scanner
		s.Init(fset.AddFile(path, -1, len(src)), src, nil, 0)
		for {
			pos, tok, lit := s.Scan()
			if tok == token.EOF {
				break
			}
			if tok != token.INT {
				continue
			}
			if v, err := strconv.ParseInt(lit, 0, 64); err == nil && v >= 40000 && v < 60000 {
				t.Errorf("%s: error-code literal %s: name it in rest/codes.go", fset.Position(pos), lit)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
