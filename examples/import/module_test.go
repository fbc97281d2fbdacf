package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBuildsAsAnotherModule builds this example the way a program of
// another module uses cellfabric: copied out of the repository into a
// module of its own (example.com/import-test) that requires
// github.com/cellfabric/cellfabric, its requirements completed by go mod
// tidy, then vetted and built. A user gets cellfabric with `go get
// github.com/cellfabric/cellfabric@<version>`; here a replace directive
// points the requirement at this checkout instead. go.sum starts as the
// repository's; tidy may fetch, through the module proxy, modules that only
// other platforms need (this repository's own build left them out of the
// module cache), without the checksum database, which a module proxy
// alone does not serve.
func TestBuildsAsAnotherModule(t *testing.T) {
	t.Parallel()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed: %v", err)
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || e.Name() == "module_test.go" {
			continue
		}
		copyFile(t, e.Name(), filepath.Join(dir, e.Name()))
	}
	copyFile(t, filepath.Join(root, "go.sum"), filepath.Join(dir, "go.sum"))
	goMod := "module example.com/import-test\n\ngo 1.26\n\n" +
		"require github.com/cellfabric/cellfabric v0.0.0\n\n" +
		"replace github.com/cellfabric/cellfabric => " + root + "\n"
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(goMod), 0o644); err != nil {
		t.Fatal(err)
	}
	// tidy may change go.mod and go.sum; vet and build then must not need to.
	for _, step := range []struct{ goflags, args string }{
		{"-mod=mod", "mod tidy"},
		{"-mod=readonly", "vet ./..."},
		{"-mod=readonly", "build -o " + os.DevNull + " ."},
	} {
		args := strings.Fields(step.args)
		cmd := exec.Command(goTool, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS="+step.goflags, "GOSUMDB=off", "GOWORK=off", "GOTOOLCHAIN=local")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s in a module of its own: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	tidied, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"github.com/cellfabric/cellfabric v0.0.0", "github.com/pulumi/pulumi/sdk/v3 "} {
		if !strings.Contains(string(tidied), want) {
			t.Errorf("go.mod after tidy lacks %q:\n%s", want, tidied)
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
