package proxy

import (
	"go/scanner"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/krest-dev/krest"

// TestImportRule: the Kafka-side packages know nothing of HTTP. They import
// neither fasthttp nor the HTTP layer (rest, v2, proxy itself), so that
// every API version can sit on them and they can be tested without a
// server.
func TestImportRule(t *testing.T) {
	t.Parallel()
	forbidden := []string{"github.com/valyala/fasthttp", "github.com/fasthttp/router", module + "/proxy/rest", module + "/proxy/v2", module + "/proxy"}
	for _, pkg := range []string{"produce", "schema", "admin", "consumer", "config", "keystore", "jaas", "kafkaerr", "auth", "identity"} {
		out, err := exec.Command("go", "list", "-deps", module+"/proxy/"+pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps proxy/%s: %v", pkg, err)
		}
		for dep := range strings.FieldsSeq(string(out)) {
			for _, f := range forbidden {
				if dep == f {
					t.Errorf("proxy/%s imports %s: Kafka-side packages must not depend on HTTP code", pkg, dep)
				}
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
