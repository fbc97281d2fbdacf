package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/control/directory/dirhttp"
	"github.com/cellfabric/cellfabric/control/mover"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/workload/refcell"
	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/embedded"
)

// moveEnv is two reference cells with their state admin APIs on, a
// tenant directory whose registry names them, and the registry as a file:
// what `tenants move` needs, on loopback.
type moveEnv struct {
	dir      *directory.Directory
	dirURL   string
	keyFile  string
	regFile  string
	stores   map[string]state.Store
	cellURLs map[string]string
}

func newMoveEnv(t *testing.T) *moveEnv { return newMoveEnvWrapped(t, nil) }

// newMoveEnvWrapped is newMoveEnv with wrapA, when set, in front of
// cell-a.
func newMoveEnvWrapped(t *testing.T, wrapA func(http.Handler) http.Handler) *moveEnv {
	t.Helper()
	edge := edgeauth.Key{ID: "edge", Secret: []byte("an-edge-secret-for-the-tests")}
	e := &moveEnv{stores: map[string]state.Store{}, cellURLs: map[string]string{}}
	reg := &router.Registry{Version: router.SchemaVersion, Epoch: 1}
	for _, id := range []string{"cell-a", "cell-b"} {
		st := state.New(embedded.New())
		c, err := refcell.New(refcell.Config{CellID: id, Cloud: "aws", Keys: []edgeauth.Key{edge}, ControlKeys: []edgeauth.Key{tenantsTestKey}, Store: st})
		if err != nil {
			t.Fatal(err)
		}
		var h http.Handler = c
		if id == "cell-a" && wrapA != nil {
			h = wrapA(c)
		}
		srv := httptest.NewServer(h)
		t.Cleanup(func() { srv.Close(); _ = c.Close() })
		e.stores[id], e.cellURLs[id] = st, srv.URL
		reg.Cells = append(reg.Cells, router.Cell{ID: id, Cloud: "aws", Region: "r1", Endpoint: srv.URL, HealthURL: srv.URL + refcell.HealthPath, Weight: 100, Geo: "eu"})
	}
	snap, err := router.Compile(reg)
	if err != nil {
		t.Fatal(err)
	}
	if e.dir, err = directory.New(directory.Config{KV: directory.NewMemory(nil), Registry: func() *router.Snapshot { return snap }}); err != nil {
		t.Fatal(err)
	}
	v, err := edgeauth.NewVerifier([]edgeauth.Key{tenantsTestKey}, edgeauth.VerifierOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ds := httptest.NewServer(dirhttp.Handler(e.dir, v))
	t.Cleanup(ds.Close)
	e.dirURL = ds.URL
	dirTmp := t.TempDir()
	e.keyFile = filepath.Join(dirTmp, "control.key")
	if err := os.WriteFile(e.keyFile, []byte(tenantsTestKey.ID+"="+string(tenantsTestKey.Secret)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	doc, err := reg.Encode()
	if err != nil {
		t.Fatal(err)
	}
	e.regFile = filepath.Join(dirTmp, "registry.json")
	if err := os.WriteFile(e.regFile, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.dir.Put(context.Background(), router.Tenant{ID: "acme", Cell: "cell-a"}, directory.PutOptions{IfAbsent: true}); err != nil {
		t.Fatal(err)
	}
	for i := range 25 {
		if _, _, err := e.stores["cell-a"].Put(context.Background(), "acme", "k"+strconv.Itoa(i), []byte("v"), state.Cond{}); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// addStackTenant adds tn to the registry file only: a tenant of the stack
// file, which the directory does not hold.
func (e *moveEnv) addStackTenant(t *testing.T, tn router.Tenant) {
	t.Helper()
	data, err := os.ReadFile(e.regFile)
	if err != nil {
		t.Fatal(err)
	}
	var reg router.Registry
	if err := json.Unmarshal(data, &reg); err != nil {
		t.Fatal(err)
	}
	reg.Tenants = append(reg.Tenants, tn)
	if data, err = reg.Encode(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.regFile, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func (e *moveEnv) run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	// The kit's flags first: a test's own flags after them win.
	args = append([]string{args[0], "--api", e.dirURL, "--key-file", e.keyFile, "--registry", e.regFile, "--router", ""}, args[1:]...)
	var out, errb bytes.Buffer
	code := tenantsMain(context.Background(), args, &out, &errb, noEnv)
	if strings.Contains(out.String()+errb.String(), string(tenantsTestKey.Secret)) {
		t.Fatal("the control key's secret was printed")
	}
	return code, out.String(), errb.String()
}

func (e *moveEnv) entry(t *testing.T) router.Tenant {
	t.Helper()
	got, _, err := e.dir.Get(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestTenantsMove: a dry run prints the plan and changes nothing; the
// move prints each step with its elapsed time and a summary, and the
// tenant is on the target with its data.
func TestTenantsMove(t *testing.T) {
	e := newMoveEnv(t)
	code, out, errs := e.run(t, "move", "acme", "--to", "cell-b", "--dry-run")
	if code != 0 || !strings.Contains(out, "25 live keys") || !strings.Contains(out, "target health: ok") || !strings.Contains(out, "6. switch") {
		t.Fatalf("dry run: %d\n%s\n%s", code, out, errs)
	}
	if got := e.entry(t); got.Cell != "cell-a" || got.Epoch != 1 {
		t.Errorf("a dry run changed the directory: %+v", got)
	}
	code, out, errs = e.run(t, "move", "acme", "--to", "cell-b")
	if code != 0 {
		t.Fatalf("move: %d\n%s\n%s", code, out, errs)
	}
	for _, s := range mover.Steps {
		if !strings.Contains(out, "s] "+padStep(s)+" ok: ") {
			t.Errorf("no line for step %s in:\n%s", s, out)
		}
	}
	for _, want := range []string{"keys copied        25", "lag at fence", "writes unavailable", "verify             25 keys, sha256", "match true", "placement epoch    3"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if got := e.entry(t); got.Cell != "cell-b" || got.Epoch != 3 {
		t.Errorf("directory %+v: want cell-b at epoch 3", got)
	}
	if it, err := e.stores["cell-b"].Get(context.Background(), "acme", "k7"); err != nil || string(it.Value) != "v" {
		t.Errorf("k7 on cell-b: %+v, %v", it, err)
	}
	code, out, errs = e.run(t, "move", "acme", "--to", "cell-a", "-o", "json")
	var res mover.Result
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || res.Target != "cell-a" || res.KeysCopied != 25 {
		t.Errorf("move back, json: %d %+v\n%s\n%s", code, res, out, errs)
	}
}

func padStep(s mover.Step) string { return string(s) + strings.Repeat(" ", 6-len(s)) }

// TestTenantsMoveErrors: usage errors, refusals and what a stopped move
// tells the user to run.
func TestTenantsMoveErrors(t *testing.T) {
	e := newMoveEnv(t)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no target", []string{"move", "acme"}, 2, "--to is required"},
		{"no tenant", []string{"move", "--to", "cell-b"}, 2, "the tenant ID is required"},
		{"abort and dry run", []string{"move", "acme", "--abort", "--dry-run"}, 2, "pick one"},
		{"bad cell api", []string{"move", "acme", "--to", "cell-b", "--cell-api", "cell-b"}, 2, "CELL=http"},
		{"unknown cell", []string{"move", "acme", "--to", "cell-z"}, 1, "cell cell-z is not in the registry"},
		{"to its own cell", []string{"move", "acme", "--to", "cell-a"}, 1, "on cell cell-a already"},
		{"nothing to abort", []string{"move", "acme", "--abort"}, 1, "nothing to abort"},
		{"registry missing", []string{"move", "acme", "--to", "cell-b", "--registry", "/nonexistent/registry.json"}, 1, "pass --registry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := e.run(t, tt.args...)
			if code != tt.code || !strings.Contains(out+errs, tt.want) {
				t.Errorf("%v: %d, want %d with %q\n%s%s", tt.args, code, tt.code, tt.want, out, errs)
			}
		})
	}
	if got := e.entry(t); got.Cell != "cell-a" || got.Epoch != 1 {
		t.Errorf("a refused command changed the directory: %+v", got)
	}
}

// TestTenantsMoveNextSteps: a stopped move's message names the exact
// commands that resume it and, before its switch, abort it, with the
// flags the move was given.
func TestTenantsMoveNextSteps(t *testing.T) {
	pe := &mover.PendingError{Tenant: "acme", Target: "cell-b", MoveID: "mv-1", Step: mover.StepDrain, Fenced: true, Abortable: true}
	got := nextSteps(pe, moveFlags{registry: "reg.json", cellAPI: cellAPIFlag{"cell-a": "http://127.0.0.1:1"}}, apiOptions{api: defaultAPI, keyFile: "k"})
	for _, want := range []string{
		"tenant acme is fenced",
		"cellfabric tenants move acme --to cell-b --move-id mv-1 --key-file k --registry reg.json --cell-api cell-a=http://127.0.0.1:1",
		"cellfabric tenants move acme --abort --key-file k --registry reg.json --cell-api cell-a=http://127.0.0.1:1",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("next steps lack %q:\n%s", want, got)
		}
	}
	pe.Abortable, pe.Step = false, mover.StepVerify
	if got := nextSteps(pe, moveFlags{registry: defaultMoveRegistry}, apiOptions{api: defaultAPI}); strings.Contains(got, "--abort") {
		t.Errorf("a switched move offers an abort:\n%s", got)
	}
}

// dieAfterFence is a cell that dies (drops every connection) once it has
// been fenced the first time, until revived.
type dieAfterFence struct{ down, fenced atomic.Bool }

func (d *dieAfterFence) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d.down.Load() {
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close()
					return
				}
			}
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		next.ServeHTTP(w, r)
		if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/fence") && !d.fenced.Swap(true) {
			d.down.Store(true)
		}
	})
}

// TestTenantsMoveSourceDownAfterFence: the source cell dies right after
// the fence; the command fails saying the tenant is fenced and printing
// the exact command to resume it (and to abort it); once the cell is
// back, that command finishes the move.
func TestTenantsMoveSourceDownAfterFence(t *testing.T) {
	var d dieAfterFence
	e := newMoveEnvWrapped(t, d.wrap)
	code, out, errs := e.run(t, "move", "acme", "--to", "cell-b")
	if code != 1 || !strings.Contains(errs, "tenant acme is fenced") || !strings.Contains(errs, "--abort") || strings.Contains(errs, "undoing it failed") {
		t.Fatalf("move with the source dying after the fence: %d\n%s\n%s", code, out, errs)
	}
	if got := e.entry(t); got.State != "migrating" || got.Cell != "cell-a" {
		t.Errorf("directory %+v: want cell-a, migrating", got)
	}
	var resume []string
	for _, line := range strings.Split(errs, "\n") {
		if strings.Contains(line, "--move-id") {
			resume = strings.Fields(line)
		}
	}
	if len(resume) < 4 || resume[0] != "cellfabric" || resume[1] != "tenants" {
		t.Fatalf("no resume command in:\n%s", errs)
	}
	d.down.Store(false)
	var rout, rerr bytes.Buffer
	if code := tenantsMain(context.Background(), append(resume[2:], "--router", ""), &rout, &rerr, noEnv); code != 0 {
		t.Fatalf("the printed resume command %q: %d\n%s\n%s", resume, code, rout.String(), rerr.String())
	}
	// The source died renewing the lock for drain: the journal says fence.
	if !strings.Contains(errs, "stopped at step fence") || !strings.Contains(rout.String(), "resumed from       fence") {
		t.Errorf("the stopped move and its resumption do not both say fence:\n%s\nfirst run:\n%s", rout.String(), errs)
	}
	if got := e.entry(t); got.Cell != "cell-b" || got.State != "active" {
		t.Errorf("directory %+v: want cell-b, active", got)
	}
	if it, err := e.stores["cell-b"].Get(context.Background(), "acme", "k24"); err != nil || string(it.Value) != "v" {
		t.Errorf("k24 on cell-b: %+v, %v", it, err)
	}
}

// TestTenantsMoveSeedsAStackFileTenant: a tenant the registry lists (the
// stack file's seed) but the directory does not is added to the directory
// as the registry places it, then moved; a dry run only says it would be.
func TestTenantsMoveSeedsAStackFileTenant(t *testing.T) {
	e := newMoveEnv(t)
	e.addStackTenant(t, router.Tenant{ID: "globex", Cell: "cell-a"})
	if _, _, err := e.stores["cell-a"].Put(context.Background(), "globex", "plan", []byte("gold"), state.Cond{}); err != nil {
		t.Fatal(err)
	}
	absent := func(what string) {
		t.Helper()
		if got, found, err := e.dir.Get(context.Background(), "globex"); err != nil || found {
			t.Fatalf("%s: directory holds globex: %+v, %v", what, got, err)
		}
	}

	code, out, errs := e.run(t, "move", "globex", "--to", "cell-b", "--dry-run")
	if code != 0 || !strings.Contains(out, "would be added to the directory as the registry places it (cell cell-a)") || !strings.Contains(out, "1 live keys") {
		t.Fatalf("dry run: %d\n%s\n%s", code, out, errs)
	}
	absent("after the dry run")

	code, out, errs = e.run(t, "move", "globex", "--to", "cell-b")
	if code != 0 || !strings.Contains(out, "added to the directory as the registry places it (cell cell-a)") {
		t.Fatalf("move: %d\n%s\n%s", code, out, errs)
	}
	got, _, err := e.dir.Get(context.Background(), "globex")
	if err != nil || got.Cell != "cell-b" || got.Epoch != 3 {
		t.Errorf("directory %+v, %v: want globex on cell-b at epoch 3 (added at 1, fenced at 2, switched at 3)", got, err)
	}
	if it, err := e.stores["cell-b"].Get(context.Background(), "globex", "plan"); err != nil || string(it.Value) != "gold" {
		t.Errorf("plan on cell-b: %+v, %v", it, err)
	}

	// A tenant in neither is not invented.
	absentID := "nobody"
	if code, _, errs := e.run(t, "move", absentID, "--to", "cell-b"); code == 0 || !strings.Contains(errs, "not in the directory") {
		t.Errorf("unknown tenant: %d %s", code, errs)
	}
}

// TestMoveFlagsAgainIsStable: the flags a printed next command repeats
// list --cell-api in cell order, so the same move prints the same command
// every time (map order would shuffle them).
func TestMoveFlagsAgainIsStable(t *testing.T) {
	f := moveFlags{registry: defaultMoveRegistry, cellAPI: cellAPIFlag{"cell-c": "http://c", "cell-a": "http://a", "cell-b": "http://b"}}
	want := " --cell-api cell-a=http://a --cell-api cell-b=http://b --cell-api cell-c=http://c"
	for range 20 {
		if got := f.again(apiOptions{api: defaultAPI}); got != want {
			t.Fatalf("again() = %q, want %q", got, want)
		}
		if got := f.cellAPI.String(); got != "cell-a=http://a,cell-b=http://b,cell-c=http://c" {
			t.Fatalf("--cell-api's String() = %q, want the cells in order", got)
		}
	}
}
