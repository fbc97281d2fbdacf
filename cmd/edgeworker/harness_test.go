//go:build !(js && wasm)

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/cmd/edgeworker/workerd"
	"github.com/cellfabric/cellfabric/components/edge/bundle"
	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/internal/testkit"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/workload/refcell"
	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/embedded"
)

// The runtime tests build the Worker once and share it; with
// $CELLFABRIC_TEST_WORKER_BUNDLE set they run the prebuilt bundle in that
// directory instead (`go run ./cmd/edgeworker/build -o DIR`, then a wasm
// changed after the build: how a post-processed module such as wasm-opt's
// output is checked against every runtime test; BENCHMARKS.md).
const testBundleEnv = "CELLFABRIC_TEST_WORKER_BUNDLE"

var (
	buildOnce sync.Once
	built     bundle.Bundle
	buildErr  error
)

func workerBundle(t *testing.T) bundle.Bundle {
	t.Helper()
	buildOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		if dir := os.Getenv(testBundleEnv); dir != "" {
			built, buildErr = bundle.Read(dir)
			if buildErr != nil {
				buildErr = fmt.Errorf("%s=%s: %w", testBundleEnv, dir, buildErr)
			}
			return
		}
		built, buildErr = bundle.Build(ctx, "")
	})
	if buildErr != nil {
		t.Fatalf("building the Worker: %v", buildErr)
	}
	return built
}

// testKey is the edge key of the runtime tests; otherKey is one the cells
// do not know.
var (
	testKey  = edgeauth.Key{ID: "k1", Secret: []byte("runtime-test-edge-secret-0123456789")}
	otherKey = edgeauth.Key{ID: "k1", Secret: []byte("someone-elses-secret-0123456789abc")}
)

// cell is a reference cell on loopback.
type cell struct {
	id, cloud string
	url       string
	srv       *http.Server
	rc        *refcell.Cell
}

// startCell serves a reference cell that accepts testKey.
func startCell(t *testing.T, id, cloud string) *cell {
	t.Helper()
	rc, err := refcell.New(refcell.Config{CellID: id, Cloud: cloud, Region: "local-1", Keys: []edgeauth.Key{testKey}, Store: state.New(embedded.New())})
	if err != nil {
		t.Fatal(err)
	}
	c := serveCell(t, id, cloud, rc)
	c.rc = rc
	t.Cleanup(func() { _ = rc.Close() })
	return c
}

// startEchoCell serves a cell that verifies the edge signature with
// router/edgeauth and answers with the headers it received.
func startEchoCell(t *testing.T, id, cloud string) *cell {
	t.Helper()
	v, err := edgeauth.NewVerifier([]edgeauth.Key{testKey}, edgeauth.VerifierOptions{})
	if err != nil {
		t.Fatal(err)
	}
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tenantID, _ := edgeauth.TenantFromContext(r.Context())
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"cell": id, "tenant": tenantID, "path": r.URL.RequestURI(), "headers": r.Header})
	})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	mux.Handle("/", v.Middleware(echo, nil))
	return serveCell(t, id, cloud, mux)
}

func serveCell(t *testing.T, id, cloud string, h http.Handler) *cell {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &cell{id: id, cloud: cloud, url: "http://" + ln.Addr().String(), srv: &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}}
	go func() { _ = c.srv.Serve(ln) }()
	t.Cleanup(c.stop)
	return c
}

// stop closes the cell's listener and connections: it is gone.
func (c *cell) stop() { _ = c.srv.Close() }

func (c *cell) registryCell() router.Cell {
	return router.Cell{ID: c.id, Cloud: fabric.Cloud(c.cloud), Region: "local-1", Endpoint: c.url, HealthURL: c.url + "/healthz", Weight: router.DefaultCellWeight}
}

// registry is a registry document over the given cells.
func registry(t *testing.T, epoch int64, cells []*cell, tenants ...router.Tenant) []byte {
	t.Helper()
	reg := router.Registry{Version: router.SchemaVersion, Epoch: epoch, Tenants: tenants}
	for _, c := range cells {
		reg.Cells = append(reg.Cells, c.registryCell())
	}
	if err := reg.Validate(); err != nil {
		t.Fatalf("test registry: %v", err)
	}
	data, err := json.Marshal(reg)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// edgeEnv is a workerd running the Worker over its KV namespaces.
type edgeEnv struct {
	t   *testing.T
	kv  *workerd.KV // the registry's namespace
	dir *workerd.KV // the tenant directory's
	rt  *workerd.Runtime
	log *testkit.Buffer
}

type envOptions struct {
	config   string
	registry []byte
	key      edgeauth.Key
	// directory is the tenant directory's namespace; nil: an empty one.
	directory *workerd.KV
	// memStats lets the test read the isolate's heap (Runtime.MemStats).
	memStats bool
	// controlKey, when set, is bound as the control API's key.
	controlKey edgeauth.Key
	// settleMillis, when set, binds the test-only settle of the control
	// API's changes feed.
	settleMillis *int
	// analytics, when set, is bound as the Worker's Analytics Engine
	// dataset.
	analytics *workerd.Analytics
}

// newKV starts a KV namespace closed with the test.
func newKV(t *testing.T) *workerd.KV {
	t.Helper()
	kv, err := workerd.NewKV()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kv.Close() })
	return kv
}

func startEdge(t *testing.T, o envOptions) *edgeEnv {
	t.Helper()
	kv := newKV(t)
	dir := o.directory
	if dir == nil {
		dir = newKV(t)
	}
	if o.registry != nil {
		kv.Set("registry", o.registry)
	}
	log := &testkit.Buffer{}
	// Build (or wait for) the bundle first: a cold build of the wasm must
	// not eat into the time workerd gets to start, which is generous
	// because a busy machine compiles the module slowly.
	b := workerBundle(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rt, err := workerd.Start(ctx, workerd.Options{Bundle: b, Config: o.config, Key: o.key, KV: kv, Directory: dir, MemStats: o.memStats, ControlKey: o.controlKey, SettleMillis: o.settleMillis, Analytics: o.analytics, Log: log})
	if err != nil {
		t.Fatalf("starting workerd: %v\n%s", err, log.String())
	}
	t.Cleanup(func() {
		_ = rt.Close()
		if t.Failed() {
			t.Logf("workerd log:\n%s", log.String())
		}
	})
	return &edgeEnv{t: t, kv: kv, dir: dir, rt: rt, log: log}
}

// response is an answer read whole.
type response struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into a map.
func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not JSON (%v): %s", err, r.body)
	}
	return m
}

// do sends a request to the Worker (host overrides the Host header when
// set) and reads the answer.
func (e *edgeEnv) do(method, path string, header map[string]string, body string) response {
	e.t.Helper()
	return send(e.t, method, e.rt.URL+path, header, body)
}

func send(t *testing.T, method, url string, header map[string]string, body string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		if strings.EqualFold(k, "Host") {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	client := &http.Client{Timeout: 20 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: data}
}

// eventually polls f every 50 ms until it returns true or the deadline.
func eventually(t *testing.T, within time.Duration, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
