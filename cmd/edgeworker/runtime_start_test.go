//go:build !(js && wasm)

package main

// Runtime tests of where the isolate starts the Go program: at the
// script's global scope (components/edge/bundle/shim.js), not in the
// isolate's first request.

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/cmd/edgeworker/workerd"
	"github.com/cellfabric/cellfabric/components/edge/bundle"
	"github.com/cellfabric/cellfabric/internal/testkit"
	"github.com/cellfabric/cellfabric/router"
)

// TestRuntimeGoStartsAtGlobalScope: the Go program of a fresh isolate has
// started before its first request, at the script's global scope, and the
// isolate then routes as usual (its first and a warm request).
func TestRuntimeGoStartsAtGlobalScope(t *testing.T) {
	t.Parallel()
	a := startCell(t, "cell-a", "aws")
	env := startEdge(t, envOptions{config: `{}`, key: testKey, memStats: true, registry: registry(t, 1, []*cell{a}, router.Tenant{ID: "acme", Cell: "cell-a"})})
	// The memory report is the isolate's first request.
	m, err := env.rt.MemStats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if m.GoStart != "global scope" {
		t.Fatalf("the Go program started at %q, want at the script's global scope (before the first request)", m.GoStart)
	}
	for i := range 2 {
		r := env.do("GET", "/", map[string]string{"X-Tenant-ID": "acme"}, "")
		if r.status != http.StatusOK || r.header.Get("X-Cell-ID") != "cell-a" {
			t.Fatalf("request %d: status %d cell %q: %s", i, r.status, r.header.Get("X-Cell-ID"), r.body)
		}
	}
}

// TestRuntimeFreshIsolatesDiffer: the first request of each of two fresh
// isolates gets its own request id (crypto/rand, read from
// crypto.getRandomValues in the request) and its own trace id (math/rand,
// from the Go runtime's seed, taken at the isolate's start): a seed that
// were the same in every isolate would give both the same trace id.
func TestRuntimeFreshIsolatesDiffer(t *testing.T) {
	t.Parallel()
	a := startEchoCell(t, "cell-a", "aws")
	reg := registry(t, 1, []*cell{a}, router.Tenant{ID: "acme", Cell: "cell-a"})
	var ids, traces []string
	for range 2 {
		env := startEdge(t, envOptions{config: `{}`, key: testKey, registry: reg})
		r := env.do("GET", "/", map[string]string{"X-Tenant-ID": "acme"}, "")
		if r.status != http.StatusOK {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		hs, _ := r.json(t)["headers"].(map[string]any)
		tp, _ := hs["Traceparent"].([]any)
		if len(tp) != 1 || len(r.header.Get("X-Request-ID")) != 32 {
			t.Fatalf("traceparent %v, request id %q: want one traceparent and a generated id", hs["Traceparent"], r.header.Get("X-Request-ID"))
		}
		ids, traces = append(ids, r.header.Get("X-Request-ID")), append(traces, tp[0].(string)[3:35])
		_ = env.rt.Close()
	}
	if ids[0] == ids[1] {
		t.Errorf("two fresh isolates made the same request id %s", ids[0])
	}
	if traces[0] == traces[1] {
		t.Errorf("two fresh isolates made the same trace id %s", traces[0])
	}
}

// TestRuntimeGlobalScopeRefused: without the shim's guards, the Go
// program's start at global scope asks crypto.getRandomValues for the
// runtime's seed, which the Workers runtime forbids there, and workerd
// refuses the script. So a start at global scope that hits a forbidden
// operation fails every runtime test (workerd.Start fails), not only this
// one.
func TestRuntimeGlobalScopeRefused(t *testing.T) {
	t.Parallel()
	b := workerBundle(t)
	const guard = "const firstEvent = cellfabricGuardGlobalScope(go);"
	if n := strings.Count(b.Script, guard); n != 1 {
		t.Fatalf("the script has %d lines %q, want 1", n, guard)
	}
	b.Script = strings.Replace(b.Script, guard, "const firstEvent = null;", 1)
	log := &testkit.Buffer{}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rt, err := workerd.Start(ctx, workerd.Options{Bundle: b, Config: `{}`, Key: testKey, KV: newKV(t), Directory: newKV(t), Log: log})
	if err == nil {
		_ = rt.Close()
		t.Fatal("workerd ran a script whose global scope starts Go unguarded")
	}
	// The forbidden call throws inside Go's start, which wasm_exec's
	// asynchronous run turns into a rejected promise: what escapes the
	// global scope is the shim's error that main never registered.
	if !strings.Contains(log.String(), "Uncaught Error: the edge wasm did not register its handlers") {
		t.Fatalf("workerd failed (%v), but not on the script's global scope:\n%s", err, log.String())
	}
}

// TestRuntimeGlobalScopeTimer: a Go program whose goroutines all wait on a
// timer at global scope (testdata/globaltimer) starts there under the
// shim: the timeout the Go runtime asks for is kept, not set (setTimeout
// is forbidden at global scope), and the first event resumes Go before it
// is served, so the timer, due by then, has fired when the handler runs.
// Without that resume the handler would answer "waiting": a call into Go
// runs its handler before any other goroutine. And with setTimeout called
// at global scope the start would throw after main registered its
// handlers: workerd takes the script, and the broken program answers
// "waiting" too.
func TestRuntimeGlobalScopeTimer(t *testing.T) {
	t.Parallel()
	b := testProgramBundle(t, "globaltimer")
	log := &testkit.Buffer{}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rt, err := workerd.Start(ctx, workerd.Options{Bundle: b, KV: newKV(t), Directory: newKV(t), Log: log})
	if err != nil {
		t.Fatalf("starting workerd: %v\n%s", err, log.String())
	}
	defer rt.Close()
	r := send(t, "GET", rt.URL+"/", nil, "")
	if r.status != http.StatusOK || string(r.body) != "fired" {
		t.Fatalf("status %d, body %q: want the timer set at global scope fired by the first request\n%s", r.status, r.body, log.String())
	}
}

// TestRuntimeGlobalScopeRandRefused: a Go program that reads crypto/rand at
// global scope after main registered its handlers (testdata/globalrand)
// makes workerd refuse the script: crypto/rand must never get the bytes the
// shim gives the runtime's seed there, and the program, stopped by the
// guard's error, must not take requests.
func TestRuntimeGlobalScopeRandRefused(t *testing.T) {
	t.Parallel()
	b := testProgramBundle(t, "globalrand")
	log := &testkit.Buffer{}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rt, err := workerd.Start(ctx, workerd.Options{Bundle: b, KV: newKV(t), Directory: newKV(t), Log: log})
	if err == nil {
		_ = rt.Close()
		t.Fatal("workerd ran a script that read crypto/rand at global scope")
	}
	if !strings.Contains(log.String(), "asked for random bytes at global scope") {
		t.Fatalf("workerd failed (%v) without the guard's error:\n%s", err, log.String())
	}
}

// testProgramBundle builds testdata/<name> for the Worker and returns it
// with the Worker's script (wasm_exec.js and the shim) around it.
func testProgramBundle(t *testing.T, name string) bundle.Bundle {
	t.Helper()
	wasm := filepath.Join(t.TempDir(), name+".wasm")
	build := exec.Command("go", "build", "-o", wasm, "./testdata/"+name)
	build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building testdata/%s: %v\n%s", name, err, out)
	}
	data, err := os.ReadFile(wasm)
	if err != nil {
		t.Fatal(err)
	}
	return bundle.Bundle{Script: workerBundle(t).Script, Wasm: data}
}
