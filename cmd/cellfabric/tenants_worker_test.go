package main

// A resumed import through the edge Worker in workerd, over its real local
// KV: what the other import tests check against the directory core served
// by dirhttp, here against the Worker's control API (its batch cap, its
// unchanged entries on a batch sent again).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/cmd/edgeworker/workerd"
	"github.com/cellfabric/cellfabric/components/edge/bundle"
	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
)

// An import of 2,000 tenants through the Worker, stopped after its first
// three batches were answered (the importer's context cancelled, as
// Ctrl-C does), then run again: it continues after the checkpoint, says
// so, and every tenant is in the Worker's directory once — on its cell,
// at epoch 1 (a batch sent again left its entries unchanged), with one
// journal record.
func TestTenantsImportResumedThroughTheWorker(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	key := edgeauth.Key{ID: "c1", Secret: []byte("import-test-control-secret-0123456789")}
	cells := []router.Cell{
		{ID: "aws-use1", Cloud: "aws", Region: "us-east-1", Endpoint: "http://127.0.0.1:9", Weight: 100, Geo: "us"},
		{ID: "azure-weu", Cloud: "azure", Region: "westeurope", Endpoint: "http://127.0.0.1:9", Weight: 100, Geo: "eu"},
		{ID: "gcp-euw1", Cloud: "gcp", Region: "europe-west1", Endpoint: "http://127.0.0.1:9", Weight: 100, Geo: "eu"},
	}
	reg, err := json.Marshal(router.Registry{Version: router.SchemaVersion, Epoch: 1, Cells: cells})
	if err != nil {
		t.Fatal(err)
	}
	rt, dir := startWorker(t, reg, key)

	// want[i] is line i+2's tenant: ids of 12 characters, a residency for
	// the European ones.
	const n = 2000
	want := make([]router.Tenant, n)
	lines := []string{"id,cell,failover,residency,state"}
	for i := range want {
		c := cells[i%len(cells)]
		w := router.Tenant{ID: fmt.Sprintf("tenant%06d", i), Cell: c.ID}
		if c.Geo == "eu" {
			w.Residency = "eu"
			w.Failover = []string{map[string]string{"azure-weu": "gcp-euw1", "gcp-euw1": "azure-weu"}[c.ID]}
		}
		want[i] = w
		lines = append(lines, fmt.Sprintf("%s,%s,%s,%s,", w.ID, w.Cell, strings.Join(w.Failover, ";"), w.Residency))
	}
	path := writeLines(t, "tenants.csv", lines)
	keyFile := filepath.Join(t.TempDir(), "control.key")
	if err := os.WriteFile(keyFile, []byte(key.ID+"="+string(key.Secret)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	// The first run goes through a proxy that cancels the importer's
	// context once it has passed on three answered batches.
	target, err := url.Parse(rt.URL)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	answered := 0
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ErrorLog = log.New(io.Discard, "", 0) // the cancelled requests
	proxy.ModifyResponse = func(resp *http.Response) error {
		if strings.HasSuffix(resp.Request.URL.Path, "/batch") && resp.StatusCode == http.StatusOK {
			mu.Lock()
			answered++
			if answered == 3 {
				cancel()
			}
			mu.Unlock()
		}
		return nil
	}
	front := httptest.NewServer(proxy)
	t.Cleanup(front.Close)

	run := func(ctx context.Context, api string) (int, string, string) {
		var out, errb bytes.Buffer
		code := tenantsMain(ctx, []string{"import", path, "--api", api, "--key-file", keyFile, "--batch", "100", "--parallel", "2"}, &out, &errb, noEnv)
		return code, out.String(), errb.String()
	}
	code, stdout, stderr := run(runCtx, front.URL)
	if code != 1 || !strings.Contains(stderr, "context canceled") {
		t.Fatalf("the interrupted run: %d\n%s\n%s", code, stdout, stderr)
	}
	cp, ok, err := readCheckpoint(path + ".checkpoint")
	if err != nil || !ok || cp.Line < 2 || cp.Line >= n+1 {
		t.Fatalf("after the interrupted run: checkpoint %+v (found %v, %v), want one part-way", cp, ok, err)
	}
	stored := len(dir.Keys(directory.TenantPrefix))
	if stored >= n {
		t.Fatalf("the interrupted run stored all %d tenants: it was not interrupted part-way", stored)
	}

	code, stdout, stderr = run(ctx, rt.URL)
	if code != 0 {
		t.Fatalf("the resumed run: %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, fmt.Sprintf("continuing after line %d", cp.Line)) || !strings.Contains(stdout, fmt.Sprintf("(resumed after line %d;", cp.Line)) {
		t.Fatalf("the resumed run does not say it resumed after line %d:\n%s\n%s", cp.Line, stdout, stderr)
	}
	var added, updated, unchanged, failed int
	if _, err := fmt.Sscanf(stdout[strings.Index(stdout, ": ")+2:], "%d added, %d updated, %d unchanged, %d failed", &added, &updated, &unchanged, &failed); err != nil {
		t.Fatalf("summary %q: %v", stdout, err)
	}
	if added+unchanged != n || updated != 0 || failed != 0 {
		t.Fatalf("summary %q: added + unchanged should be %d, nothing updated or failed", stdout, n)
	}
	if _, err := os.Stat(path + ".checkpoint"); !os.IsNotExist(err) {
		t.Fatalf("the checkpoint is still there after the import finished (%v)", err)
	}

	if keys := dir.Keys(directory.TenantPrefix); len(keys) != n {
		t.Fatalf("the Worker's directory holds %d tenants, want %d", len(keys), n)
	}
	journal := map[string]int{}
	for _, k := range dir.Keys(directory.JournalPrefix) {
		journal[k[strings.LastIndexByte(k, '-')+1:]]++
	}
	for _, w := range want {
		data, ok := dir.Get(directory.TenantKey(w.ID))
		var got router.Tenant
		if !ok || json.Unmarshal(data, &got) != nil {
			t.Fatalf("tenant %s: %q (found %v)", w.ID, data, ok)
		}
		w.Epoch = 1
		if got.ID != w.ID || got.Cell != w.Cell || got.Residency != w.Residency || strings.Join(got.Failover, ",") != strings.Join(w.Failover, ",") || got.Epoch != 1 {
			t.Fatalf("tenant %s is %+v, want %+v", w.ID, got, w)
		}
		if journal[w.ID] != 1 {
			t.Fatalf("tenant %s has %d journal records, want 1", w.ID, journal[w.ID])
		}
	}
}

// startWorker runs the edge Worker in workerd over a registry and an empty
// directory, with the control key bound.
func startWorker(t *testing.T, reg []byte, controlKey edgeauth.Key) (*workerd.Runtime, *workerd.KV) {
	t.Helper()
	// A cold build of the wasm on a busy machine takes minutes (the
	// edgeworker tests allow as long).
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	b, err := bundle.Build(ctx, "")
	if err != nil {
		t.Fatalf("building the Worker: %v", err)
	}
	kv, err := workerd.NewKV()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kv.Close() })
	kv.Set("registry", reg)
	dir, err := workerd.NewKV()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dir.Close() })
	var wlog bytes.Buffer
	rt, err := workerd.Start(ctx, workerd.Options{Bundle: b, KV: kv, Directory: dir, ControlKey: controlKey,
		Key: edgeauth.Key{ID: "k1", Secret: []byte("import-test-edge-secret-0123456789")}, Log: &wlog})
	if err != nil {
		t.Fatalf("starting workerd: %v\n%s", err, wlog.String())
	}
	t.Cleanup(func() { _ = rt.Close() })
	return rt, dir
}
