package testkit

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Update is the -update flag every test binary that uses golden files
// gets: `go test ./pkg -update` rewrites them.
var Update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// Golden compares got with the golden file at path and fails the test with
// the first difference, or rewrites the file when -update is set. The file
// is reviewed like code: a change to it is a change of behaviour.
func Golden(t testing.TB, path string, got []byte) {
	t.Helper()
	if *Update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (rewrite it with go test -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs (review the change; go test -update rewrites it):\n%s", path, FirstDiff(string(want), string(got)))
	}
}

// FirstDiff describes the first line where want and got differ.
func FirstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\n-  %s\n+  %s", i+1, wl, gl)
		}
	}
	return "(no difference)"
}
