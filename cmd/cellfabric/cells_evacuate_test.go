package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/control/evacuate"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/workload/refcell"
	"github.com/cellfabric/cellfabric/workload/state"
)

// runEvacuate runs `cellfabric cells evacuate args...` against the move
// kit's directory, registry and cells.
func (e *moveEnv) runEvacuate(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	args = append([]string{"evacuate"}, args...)
	args = append(args, "--api", e.dirURL, "--key-file", e.keyFile, "--registry", e.regFile, "--router", "")
	var out, errb bytes.Buffer
	code := cellsMain(context.Background(), args, &out, &errb, noEnv)
	if strings.Contains(out.String()+errb.String(), string(tenantsTestKey.Secret)) {
		t.Fatal("the control key's secret was printed")
	}
	return code, out.String(), errb.String()
}

// addTenants puts tenants t0..t<n-1> with 5 keys each on cell-a.
func (e *moveEnv) addTenants(t *testing.T, n int) {
	t.Helper()
	for i := range n {
		id := "t" + strconv.Itoa(i)
		if _, _, err := e.dir.Put(context.Background(), router.Tenant{ID: id, Cell: "cell-a"}, directory.PutOptions{IfAbsent: true}); err != nil {
			t.Fatal(err)
		}
		for k := range 5 {
			if _, _, err := e.stores["cell-a"].Put(context.Background(), id, "k"+strconv.Itoa(k), []byte("v"), state.Cond{}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestCellsEvacuate: a dry run prints tenant → target and changes
// nothing; the evacuation drains cell-a, moves every tenant to cell-b and
// prints the summary; the checkpoint is gone.
func TestCellsEvacuate(t *testing.T) {
	t.Parallel()
	e := newMoveEnv(t)
	e.addTenants(t, 5)
	cp := filepath.Join(t.TempDir(), "evac.checkpoint")
	code, out, errs := e.runEvacuate(t, "cell-a", "--dry-run", "--checkpoint", cp)
	if code != 0 || !strings.Contains(out, "6 tenants to move") || !strings.Contains(out, "acme → cell-b") || !strings.Contains(out, "nothing was drained or moved") {
		t.Fatalf("dry run: %d\n%s\n%s", code, out, errs)
	}
	if closed, _ := e.dir.Closed(context.Background()); closed["cell-a"] || e.entry(t).Cell != "cell-a" {
		t.Fatalf("a dry run changed something: closed %v, acme %+v", closed, e.entry(t))
	}
	code, out, errs = e.runEvacuate(t, "cell-a", "--parallel", "3", "--checkpoint", cp, "-o", "json")
	if code != 0 {
		t.Fatalf("evacuate: %d\n%s\n%s", code, out, errs)
	}
	var sum evacuate.Summary
	if err := json.Unmarshal([]byte(out), &sum); err != nil || len(sum.Moved) != 6 || len(sum.Failed) != 0 {
		t.Fatalf("summary %v: %s", err, out)
	}
	if closed, _ := e.dir.Closed(context.Background()); !closed["cell-a"] {
		t.Error("cell-a is not drained after its evacuation")
	}
	if got := e.entry(t); got.Cell != "cell-b" {
		t.Errorf("acme after the evacuation: %+v", got)
	}
	if _, err := os.Stat(cp); !os.IsNotExist(err) {
		t.Errorf("the checkpoint is left after a complete evacuation: %v", err)
	}
	code, out, errs = e.runEvacuate(t, "cell-a", "--checkpoint", cp)
	if code != 0 || !strings.Contains(out, "0 moved, 0 failed") || !strings.Contains(out, "holds no tenant now") {
		t.Errorf("evacuating an empty cell: %d\n%s\n%s", code, out, errs)
	}
}

// TestCellsEvacuateFailure: a tenant another move holds is not moved: the
// summary says why and what to do, the exit status is 1, the checkpoint
// stays for a rerun; the other tenants move.
func TestCellsEvacuateFailure(t *testing.T) {
	t.Parallel()
	e := newMoveEnv(t)
	e.addTenants(t, 3)
	if _, err := e.stores["cell-a"].Lock(context.Background(), "t1", state.MoveLock{ID: "mv-other", Owner: "someone else", Target: "cell-b", Step: "mine", Expires: time.Now().Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(t.TempDir(), "evac.checkpoint")
	code, out, errs := e.runEvacuate(t, "cell-a", "--checkpoint", cp)
	if code != 1 || !strings.Contains(out, "3 moved, 1 failed") || !strings.Contains(out, "failed: tenant t1:") || !strings.Contains(out, "mv-other") ||
		!strings.Contains(out, "next: ") || !strings.Contains(out, "run the same command again") {
		t.Fatalf("evacuate: %d\n%s\n%s", code, out, errs)
	}
	if _, err := os.Stat(cp); err != nil {
		t.Errorf("the checkpoint of a failed evacuation: %v", err)
	}
}

// TestCellsEvacuateFlags: bad flags are refused (status 2) with what to
// fix.
func TestCellsEvacuateFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no cell", nil, "the CELL is required"},
		{"bad cell", []string{"Cell A"}, "is not a cell id"},
		{"parallel zero", []string{"cell-a", "--parallel", "0"}, "--parallel 0 is out of range: give 1..256"},
		{"parallel too high", []string{"cell-a", "--parallel", "999"}, "--parallel 999 is out of range"},
		{"parallel not a number", []string{"cell-a", "--parallel", "many"}, "invalid value"},
		{"bad to", []string{"cell-a", "--to", "cell-b,b c"}, `--to: "b c" is not a cell id`},
		{"to the source", []string{"cell-a", "--to", "cell-a"}, "--to names cell-a, the cell being evacuated"},
		{"long reason", []string{"cell-a", "--reason", strings.Repeat("x", 201)}, "give at most 200"},
		{"negative wait", []string{"cell-a", "--when-unhealthy", "-5m"}, "--when-unhealthy -5m0s is negative"},
		{"wait and dry run", []string{"cell-a", "--when-unhealthy", "5m", "--dry-run"}, "--when-unhealthy and --dry-run together: pick one"},
		{"no check interval", []string{"cell-a", "--when-unhealthy", "5m", "--check-every", "0s"}, "--check-every 0s: give a positive interval"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out, errb bytes.Buffer
			code := cellsMain(context.Background(), append([]string{"evacuate"}, tc.args...), &out, &errb, noEnv)
			if code != 2 || !strings.Contains(errb.String(), tc.want) {
				t.Errorf("status %d, stderr %q; want 2 and %q", code, errb.String(), tc.want)
			}
		})
	}
}

// TestCellsEvacuateWhenUnhealthy: with --when-unhealthy the command waits
// for the cell's health URL to fail for the duration, says so, then
// evacuates it; while another evacuation holds the directory's guard it
// is refused and nothing moves.
func TestCellsEvacuateWhenUnhealthy(t *testing.T) {
	t.Parallel()
	e := newMoveEnvWrapped(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == refcell.HealthPath {
				http.Error(w, "down for the test", http.StatusServiceUnavailable)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	e.addTenants(t, 2)
	cp := filepath.Join(t.TempDir(), "evac.checkpoint")
	ctx := context.Background()
	if _, err := e.dir.TakeEvacuationGuard(ctx, directory.GuardRequest{Owner: "another trigger", Cell: "cell-b", TTLSeconds: 60}); err != nil {
		t.Fatal(err)
	}
	code, out, errs := e.runEvacuate(t, "cell-a", "--when-unhealthy", "20ms", "--check-every", "2ms", "--checkpoint", cp)
	if code != 1 || !strings.Contains(errs, "evacuation_running") || !strings.Contains(errs, "another trigger") || e.entry(t).Cell != "cell-a" {
		t.Fatalf("evacuate while guarded: %d\n%s\n%s", code, out, errs)
	}
	if err := e.dir.ReleaseEvacuationGuard(ctx, "another trigger"); err != nil {
		t.Fatal(err)
	}
	code, out, errs = e.runEvacuate(t, "cell-a", "--when-unhealthy", "20ms", "--check-every", "2ms", "--checkpoint", cp)
	if code != 0 || !strings.Contains(errs, "waiting until cell cell-a has been unhealthy for 20ms") || !strings.Contains(errs, "evacuating it") ||
		!strings.Contains(out, "3 moved, 0 failed") {
		t.Fatalf("evacuate when unhealthy: %d\n%s\n%s", code, out, errs)
	}
	if got := e.entry(t); got.Cell != "cell-b" {
		t.Errorf("acme after the evacuation: %+v", got)
	}
}
