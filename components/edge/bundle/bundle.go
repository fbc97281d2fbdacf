// Package bundle builds the edge Worker: cmd/edgeworker compiled with
// GOOS=js GOARCH=wasm, and the service-worker script that runs it (Go's
// wasm_exec.js from the same Go installation, followed by the shim in
// shim.js). The result is what pulumi-cloudflare v5's WorkerScript uploads:
// Script as its content and Wasm as a WebassemblyBinding named
// edgeconf.WasmBinding.
//
// Build runs the go command, so it needs a Go toolchain and the cellfabric
// module (the working directory inside it, or in a module that requires
// it). The build is reproducible (-trimpath, -buildvcs=false): the same
// source and Go version give the same bytes, so a deployment that rebuilds
// changes nothing when nothing changed.
//
// The package imports the standard library and router/edgeconf only.
package bundle

import (
	"bytes"
	"compress/gzip"
	"context"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/cellfabric/cellfabric/router/edgeconf"
)

// Names and flags of the build.
const (
	// Package is the import path of the Worker program.
	Package = "github.com/cellfabric/cellfabric/cmd/edgeworker"
	// ScriptFile and WasmFile are the file names Write and Read use.
	ScriptFile = "worker.js"
	WasmFile   = "edge.wasm"
	// Tags are the build tags of the Worker: router/edgeauth leaves out
	// its net/http helpers.
	Tags = "cellfabric_nonethttp"
	// MaxGzipBytes is the Workers free plan's limit on a Worker's
	// compressed size (script and wasm together); the paid plan allows
	// 10 MB.
	MaxGzipBytes = 3 << 20
)

//go:embed shim.js
var shim string

// Bundle is the built Worker.
type Bundle struct {
	// Script is the service-worker script: the Worker's content.
	Script string
	// Wasm is the compiled router, bound as edgeconf.WasmBinding.
	Wasm []byte
}

// WasmBase64 returns the wasm module base64-encoded, the form a
// WorkerScriptWebassemblyBinding's Module takes.
func (b Bundle) WasmBase64() string { return base64.StdEncoding.EncodeToString(b.Wasm) }

// GzipSize returns the compressed size of the script and the wasm, the
// measure the Workers size limit applies to (best compression).
func (b Bundle) GzipSize() int {
	return GzipLen([]byte(b.Script)) + GzipLen(b.Wasm)
}

// GzipLen returns p's size after gzip at best compression (gzip -9).
func GzipLen(p []byte) int {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = zw.Write(p)
	_ = zw.Close()
	return buf.Len()
}

// Write writes the bundle to dir as ScriptFile and WasmFile, creating dir.
func (b Bundle) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("writing the edge worker bundle: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, ScriptFile), []byte(b.Script), 0o644); err != nil {
		return fmt.Errorf("writing the edge worker bundle: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, WasmFile), b.Wasm, 0o644); err != nil {
		return fmt.Errorf("writing the edge worker bundle: %w", err)
	}
	return nil
}

// Read reads a bundle that Write (or `go run ./cmd/edgeworker/build`) wrote
// to dir.
func Read(dir string) (Bundle, error) {
	script, err := os.ReadFile(filepath.Join(dir, ScriptFile))
	if err != nil {
		return Bundle{}, fmt.Errorf("reading the edge worker bundle (build it with `go run ./cmd/edgeworker/build -o %s`): %w", dir, err)
	}
	wasm, err := os.ReadFile(filepath.Join(dir, WasmFile))
	if err != nil {
		return Bundle{}, fmt.Errorf("reading the edge worker bundle (build it with `go run ./cmd/edgeworker/build -o %s`): %w", dir, err)
	}
	if !bytes.HasPrefix(wasm, []byte("\x00asm")) {
		return Bundle{}, fmt.Errorf("reading the edge worker bundle: %s is not a wasm module", filepath.Join(dir, WasmFile))
	}
	return Bundle{Script: string(script), Wasm: wasm}, nil
}

// Build compiles the Worker with the go command on PATH and assembles its
// script. When outDir is not empty the bundle is also written there (Write).
func Build(ctx context.Context, outDir string) (Bundle, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return Bundle{}, fmt.Errorf("building the edge worker: the go command is not on PATH; install Go or deploy a prebuilt bundle (bundle.Read): %w", err)
	}
	env, err := goEnv(ctx, goBin, "GOROOT", "GOVERSION")
	if err != nil {
		return Bundle{}, err
	}
	wasmExec, err := readWasmExec(env[0])
	if err != nil {
		return Bundle{}, err
	}
	tmp, err := os.MkdirTemp("", "cellfabric-edgeworker-")
	if err != nil {
		return Bundle{}, fmt.Errorf("building the edge worker: %w", err)
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, WasmFile)
	cmd := exec.CommandContext(ctx, goBin, "build", "-tags", Tags, "-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-o", out, Package)
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return Bundle{}, fmt.Errorf("building the edge worker (GOOS=js GOARCH=wasm go build %s): %w\n%s", Package, err, bytes.TrimSpace(msg))
	}
	wasm, err := os.ReadFile(out)
	if err != nil {
		return Bundle{}, fmt.Errorf("building the edge worker: %w", err)
	}
	b := Bundle{Script: Script(wasmExec, env[1]), Wasm: wasm}
	if outDir != "" {
		if err := b.Write(outDir); err != nil {
			return Bundle{}, err
		}
	}
	return b, nil
}

// Script assembles the service-worker script from Go's wasm_exec.js (of Go
// version goVersion) and the shim.
func Script(wasmExec []byte, goVersion string) string {
	var b strings.Builder
	b.WriteString("// cellfabric edge Worker (service-worker format), generated by components/edge/bundle.\n")
	b.WriteString("// It is " + goVersion + "'s wasm_exec.js followed by the cellfabric shim. DO NOT EDIT.\n\n")
	b.Write(bytes.TrimSpace(wasmExec))
	b.WriteString("\n\nconst WASM_BINDING = " + strconv.Quote(edgeconf.WasmBinding) + ";\n\n")
	b.WriteString(shim)
	return b.String()
}

// goEnv returns the values of go env variables, in order.
func goEnv(ctx context.Context, goBin string, names ...string) ([]string, error) {
	out, err := exec.CommandContext(ctx, goBin, append([]string{"env"}, names...)...).Output()
	if err != nil {
		return nil, fmt.Errorf("building the edge worker: go env: %w", err)
	}
	vals := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(vals) != len(names) {
		return nil, fmt.Errorf("building the edge worker: go env printed %d lines for %d variables", len(vals), len(names))
	}
	return vals, nil
}

// readWasmExec finds wasm_exec.js in a Go installation: lib/wasm since Go
// 1.24, misc/wasm before.
func readWasmExec(goroot string) ([]byte, error) {
	var errs []error
	for _, p := range []string{filepath.Join(goroot, "lib", "wasm", "wasm_exec.js"), filepath.Join(goroot, "misc", "wasm", "wasm_exec.js")} {
		data, err := os.ReadFile(p)
		if err == nil {
			return data, nil
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("building the edge worker: wasm_exec.js not found in the Go installation at %s: %w", goroot, errors.Join(errs...))
}
