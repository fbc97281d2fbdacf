package bundle_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/components/edge/bundle"
	"github.com/cellfabric/cellfabric/router/edgeconf"
)

func TestBuild(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	dir := t.TempDir()
	b, err := bundle.Build(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b.Wasm, []byte("\x00asm")) {
		t.Fatalf("wasm starts with %q", b.Wasm[:8])
	}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	wasmExec, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(goroot)), "lib", "wasm", "wasm_exec.js"))
	if err != nil {
		t.Fatal(err)
	}
	// The script is the installation's wasm_exec.js, then the binding name,
	// then the shim with its event listeners.
	iExec := strings.Index(b.Script, string(bytes.TrimSpace(wasmExec)))
	iName := strings.Index(b.Script, `const WASM_BINDING = "`+edgeconf.WasmBinding+`";`)
	iFetch := strings.Index(b.Script, `addEventListener("fetch"`)
	iCron := strings.Index(b.Script, `addEventListener("scheduled"`)
	if iExec < 0 || iName < iExec || iFetch < iName || iCron < iName {
		t.Fatalf("script layout: wasm_exec.js at %d, binding name at %d, fetch listener at %d, scheduled listener at %d", iExec, iName, iFetch, iCron)
	}
	if n := b.GzipSize(); n > bundle.MaxGzipBytes {
		t.Errorf("bundle is %d bytes gzipped, over the free plan's %d", n, bundle.MaxGzipBytes)
	}
	back, err := bundle.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if back.Script != b.Script || !bytes.Equal(back.Wasm, b.Wasm) {
		t.Fatal("Read does not return what Build wrote")
	}
	if got := back.WasmBase64(); len(got) < len(b.Wasm) || !strings.HasPrefix(got, "AGFzbQ") {
		t.Fatalf("WasmBase64 starts %q", got[:8])
	}
	// The same source builds the same bytes, so a deployment that rebuilds
	// changes nothing.
	again, err := bundle.Build(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if again.Script != b.Script || !bytes.Equal(again.Wasm, b.Wasm) {
		t.Error("two builds of the same source differ")
	}
}

// The Worker must not link net/http: it would roughly double the wasm. Nor
// token verification (router/tenant/jwt and its libraries): the Worker has
// no jwt mode, and it cost 22% of the wasm.
func TestWorkerLeavesOutNetHTTP(t *testing.T) {
	t.Parallel()
	cmd := exec.Command("go", "list", "-deps", "-tags", bundle.Tags, bundle.Package)
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 20 {
		t.Fatalf("go list printed %d packages", len(deps))
	}
	for _, d := range deps {
		if d == "net/http" || strings.HasPrefix(d, "net/http/") || d == "crypto/tls" ||
			strings.HasSuffix(d, "/router/tenant/jwt") || strings.HasPrefix(d, "github.com/golang-jwt/") || strings.HasPrefix(d, "github.com/MicahParks/") {
			t.Errorf("the Worker build imports %s", d)
		}
	}
}

func TestRead(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{name: "empty dir", files: nil, want: "go run ./cmd/edgeworker/build"},
		{name: "no wasm", files: map[string]string{bundle.ScriptFile: "x"}, want: bundle.WasmFile},
		{name: "not wasm", files: map[string]string{bundle.ScriptFile: "x", bundle.WasmFile: "<html>"}, want: "not a wasm module"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for name, data := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := bundle.Read(dir); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Read() error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestScript(t *testing.T) {
	t.Parallel()
	s := bundle.Script([]byte("  globalThis.Go = class {};\n"), "go1.99")
	if !strings.Contains(s, "go1.99's wasm_exec.js") || !strings.Contains(s, "globalThis.Go = class {};\n\nconst WASM_BINDING") {
		t.Fatalf("script:\n%s", s[:min(len(s), 400)])
	}
}
