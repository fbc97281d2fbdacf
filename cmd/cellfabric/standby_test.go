package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/internal/testkit"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/workload/state"
)

// runStandby runs `standby run acme --to cell-b` against e until stop is
// called, which returns its exit code, stdout and stderr.
func (e *moveEnv) runStandby(t *testing.T, extra ...string) (out *testkit.Buffer, stop func() (int, string)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, errb := &testkit.Buffer{}, &testkit.Buffer{}
	done := make(chan int, 1)
	go func() {
		args := append([]string{"run", "acme", "--to", "cell-b", "--api", e.dirURL, "--key-file", e.keyFile, "--registry", e.regFile, "--report", "10ms"}, extra...)
		done <- standbyMain(ctx, args, out, errb, noEnv)
	}()
	var code int
	stopped := false
	stop = func() (int, string) {
		if !stopped {
			cancel()
			code, stopped = <-done, true
		}
		return code, errb.String()
	}
	t.Cleanup(func() { stop() })
	return out, stop
}

// waitUntil waits for cond, failing the test after a generous bound.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestStandbyRunThenPromote: `standby run` keeps cell-b current and
// prints the lag; interrupted, it exits 0; `tenants promote` then moves
// the tenant to cell-b without a copy, and writes there are accepted.
func TestStandbyRunThenPromote(t *testing.T) {
	e := newMoveEnv(t)
	out, stop := e.runStandby(t)
	waitUntil(t, "the standby to hold the data", func() bool {
		it, err := e.stores["cell-b"].Get(context.Background(), "acme", "k24")
		return err == nil && string(it.Value) == "v" && strings.Contains(out.String(), "0 records behind, age")
	})
	if _, _, err := e.stores["cell-b"].Put(context.Background(), "acme", "x", []byte("x"), state.Cond{}); err == nil {
		t.Error("a write on the standby was accepted, want it refused (fenced)")
	}
	if code, errs := stop(); code != 0 {
		t.Fatalf("standby run exited %d after the interrupt:\n%s", code, errs)
	}
	if !strings.Contains(out.String(), "following tenant acme: cell-a -> cell-b") {
		t.Errorf("standby run's output lacks the follower line:\n%s", out)
	}
	code, pout, errs := e.run(t, "promote", "acme", "--to", "cell-b")
	if code != 0 {
		t.Fatalf("promote: %d\n%s\n%s", code, pout, errs)
	}
	for _, want := range []string{"keys copied        0", "standby held       every record up to the source's position 25", "match true"} {
		if !strings.Contains(pout, want) {
			t.Errorf("promote's summary lacks %q:\n%s", want, pout)
		}
	}
	if got := e.entry(t); got.Cell != "cell-b" {
		t.Errorf("directory %+v: want cell-b", got)
	}
	if _, _, err := e.stores["cell-b"].Put(context.Background(), "acme", "x", []byte("x"), state.Cond{Epoch: e.entry(t).Epoch}); err != nil {
		t.Errorf("a write on the promoted cell: %v", err)
	}
}

// TestTenantsPromoteSourceDown: with the tenant's cell unreachable,
// promote exits 1 printing the standby's position and the exact command
// with --accept-loss; that command promotes and warns that the old cell
// was not told.
func TestTenantsPromoteSourceDown(t *testing.T) {
	var d dieAfterFence
	e := newMoveEnvWrapped(t, d.wrap)
	out, stop := e.runStandby(t)
	waitUntil(t, "the standby to catch up", func() bool { return strings.Contains(out.String(), "position 25, 0 records behind, age") })
	if code, errs := stop(); code != 0 {
		t.Fatalf("standby run: %d\n%s", code, errs)
	}
	d.down.Store(true)
	code, pout, errs := e.run(t, "promote", "acme", "--to", "cell-b")
	if code != 1 || !strings.Contains(errs, "the standby holds position 25") || !strings.Contains(errs, "cellfabric tenants promote acme --to cell-b --accept-loss") {
		t.Fatalf("promote with the source down: %d\n%s\n%s", code, pout, errs)
	}
	// The command to run next reaches the same cells: it carries the
	// flags this one was given.
	if want := "--accept-loss --api " + e.dirURL + " --key-file " + e.keyFile + " --registry " + e.regFile; !strings.Contains(errs, want) {
		t.Errorf("the --accept-loss command lacks %q:\n%s", want, errs)
	}
	// Through an edge Worker (here a dead one, as cell-a is down) with
	// the target named by --cell-api: the printed command keeps both, and
	// the warning names the Worker's route to the old cell's fence.
	dead := "http://127.0.0.1:9"
	cellB := "cell-b=" + e.cellURLs["cell-b"]
	code, pout, errs = e.run(t, "promote", "acme", "--to", "cell-b", "--via-edge", dead, "--cell-api", cellB)
	if want := "--accept-loss --api " + e.dirURL + " --key-file " + e.keyFile + " --registry " + e.regFile + " --via-edge " + dead + " --cell-api " + cellB; code != 1 || !strings.Contains(errs, want) {
		t.Fatalf("promote through the edge with the source down: %d, want the command %q:\n%s\n%s", code, want, pout, errs)
	}
	if got := e.entry(t); got.Cell != "cell-a" {
		t.Errorf("directory %+v: want it unchanged", got)
	}
	code, pout, errs = e.run(t, "promote", "acme", "--to", "cell-b", "--accept-loss", "--via-edge", dead, "--cell-api", cellB)
	if code != 0 || !strings.Contains(pout, "warning: cell cell-a was unreachable") {
		t.Fatalf("promote --accept-loss: %d\n%s\n%s", code, pout, errs)
	}
	if want := "PUT " + dead + "/_cellfabric/v1/cells/cell-a/state/acme/fence"; !strings.Contains(pout, want) {
		t.Errorf("the warning lacks the Worker's route %q:\n%s", want, pout)
	}
	if got := e.entry(t); got.Cell != "cell-b" {
		t.Errorf("directory %+v: want cell-b", got)
	}
}

// TestStandbyRunJSON: with -o json each lag report is one JSON object a
// line, and they reach the primary's position with nothing behind.
func TestStandbyRunJSON(t *testing.T) {
	e := newMoveEnv(t)
	out, stop := e.runStandby(t, "-o", "json")
	var last lagLine
	waitUntil(t, "a report of the standby caught up", func() bool {
		for _, line := range strings.Split(out.String(), "\n") {
			var l lagLine
			if json.Unmarshal([]byte(line), &l) == nil && l.Tenant == "acme" && l.Applied == 25 && l.Records == 0 && l.Current {
				last = l
				return true
			}
		}
		return false
	})
	if code, errs := stop(); code != 0 {
		t.Fatalf("standby run: %d\n%s", code, errs)
	}
	if last.Primary != "cell-a" || last.Standby != "cell-b" || last.AgeSeconds < 0 {
		t.Errorf("report %+v: want cell-a -> cell-b with an age", last)
	}
}

// TestStandbyRunErrors: usage errors exit 2, refusals 1, each saying why.
func TestStandbyRunErrors(t *testing.T) {
	e := newMoveEnv(t)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no tenant", []string{"run"}, 2, "name at least one tenant"},
		{"bad tenant", []string{"run", "Not A Tenant"}, 2, "not a tenant id"},
		{"bad report", []string{"run", "acme", "--report", "0s"}, 2, "--report must be positive"},
		{"no failover", []string{"run", "acme"}, 1, "no failover cell"},
		{"standby is the primary", []string{"run", "acme", "--to", "cell-a"}, 1, "a standby must be another cell"},
		{"unknown subcommand", []string{"follow"}, 2, "unknown subcommand"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if len(args) > 1 {
				args = append(args, "--api", e.dirURL, "--key-file", e.keyFile, "--registry", e.regFile)
			}
			var out, errb bytes.Buffer
			code := standbyMain(context.Background(), args, &out, &errb, noEnv)
			if code != tc.code || !strings.Contains(errb.String(), tc.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant %d and %q", code, errb.String(), tc.code, tc.want)
			}
		})
	}
}

// TestStandbyRunSeedsAStackFileTenant: a tenant of the stack file (in the
// registry, not in the directory) gets a standby as a tenant of the
// directory does: it is added to the directory as the registry places it,
// said so, and followed.
func TestStandbyRunSeedsAStackFileTenant(t *testing.T) {
	e := newMoveEnv(t)
	e.addStackTenant(t, router.Tenant{ID: "globex", Cell: "cell-a"})
	if _, _, err := e.stores["cell-a"].Put(context.Background(), "globex", "plan", []byte("gold"), state.Cond{}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, errb := &testkit.Buffer{}, &testkit.Buffer{}
	done := make(chan int, 1)
	go func() {
		done <- standbyMain(ctx, []string{"run", "globex", "--to", "cell-b", "--api", e.dirURL, "--key-file", e.keyFile, "--registry", e.regFile, "--report", "10ms"}, out, errb, noEnv)
	}()
	waitUntil(t, "the standby to hold globex's data", func() bool {
		select {
		case code := <-done:
			t.Fatalf("standby run exited %d: %s%s", code, out, errb)
		default:
		}
		it, err := e.stores["cell-b"].Get(context.Background(), "globex", "plan")
		return err == nil && string(it.Value) == "gold"
	})
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("interrupted: exit %d, want 0: %s", code, errb)
	}
	if !strings.Contains(out.String(), "tenant globex is a tenant of the stack file: added to the tenant directory") {
		t.Errorf("output does not say globex was added to the directory:\n%s", out)
	}
	if got, found, err := e.dir.Get(context.Background(), "globex"); err != nil || !found || got.Cell != "cell-a" {
		t.Errorf("directory: %+v %t %v, want globex on cell-a", got, found, err)
	}
}

// TestStandbyRunCell: --cell follows every tenant whose primary is the
// cell, the directory's and the stack file's, onto --to; a cell the
// registry does not hold, or one with no tenant, is refused.
func TestStandbyRunCell(t *testing.T) {
	e := newMoveEnv(t)
	e.addStackTenant(t, router.Tenant{ID: "globex", Cell: "cell-a"})
	if _, _, err := e.stores["cell-a"].Put(context.Background(), "globex", "plan", []byte("gold"), state.Cond{}); err != nil {
		t.Fatal(err)
	}
	base := []string{"--api", e.dirURL, "--key-file", e.keyFile, "--registry", e.regFile}
	for _, tc := range []struct {
		cell, want string
	}{
		{"cell-z", "--cell cell-z: the registry holds no such cell"},
		{"cell-b", "cell cell-b holds no tenant"},
	} {
		var out, errb bytes.Buffer
		code := standbyMain(context.Background(), append([]string{"run", "--cell", tc.cell}, base...), &out, &errb, noEnv)
		if code != 1 || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("--cell %s: exit %d, %q; want 1 and %q", tc.cell, code, errb.String(), tc.want)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, errb := &testkit.Buffer{}, &testkit.Buffer{}
	done := make(chan int, 1)
	go func() {
		done <- standbyMain(ctx, append([]string{"run", "--cell", "cell-a", "--to", "cell-b", "--report", "10ms"}, base...), out, errb, noEnv)
	}()
	waitUntil(t, "the standby to hold both tenants' data", func() bool {
		select {
		case code := <-done:
			t.Fatalf("standby run exited %d: %s%s", code, out, errb)
		default:
		}
		a, aerr := e.stores["cell-b"].Get(context.Background(), "acme", "k24")
		g, gerr := e.stores["cell-b"].Get(context.Background(), "globex", "plan")
		return aerr == nil && gerr == nil && string(a.Value) == "v" && string(g.Value) == "gold"
	})
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("interrupted: exit %d, want 0: %s", code, errb)
	}
	for _, want := range []string{"following tenant acme: cell-a -> cell-b", "following tenant globex: cell-a -> cell-b"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestStandbyRunCellSkipsTenantsWithoutFailover: with --cell and no --to,
// a tenant of the cell with no failover cell is skipped, said so, and the
// others are followed onto their first failover.
func TestStandbyRunCellSkipsTenantsWithoutFailover(t *testing.T) {
	e := newMoveEnv(t) // acme on cell-a, no failover
	e.addStackTenant(t, router.Tenant{ID: "globex", Cell: "cell-a", Failover: []string{"cell-b"}})
	if _, _, err := e.stores["cell-a"].Put(context.Background(), "globex", "plan", []byte("gold"), state.Cond{}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, errb := &testkit.Buffer{}, &testkit.Buffer{}
	done := make(chan int, 1)
	go func() {
		done <- standbyMain(ctx, []string{"run", "--cell", "cell-a", "--api", e.dirURL, "--key-file", e.keyFile, "--registry", e.regFile, "--report", "10ms"}, out, errb, noEnv)
	}()
	waitUntil(t, "the standby to hold globex's data", func() bool {
		select {
		case code := <-done:
			t.Fatalf("standby run exited %d: %s%s", code, out, errb)
		default:
		}
		it, err := e.stores["cell-b"].Get(context.Background(), "globex", "plan")
		return err == nil && string(it.Value) == "gold"
	})
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("interrupted: exit %d, want 0: %s", code, errb)
	}
	for _, want := range []string{"skipping tenant acme of cell cell-a: it has no failover cell", "following tenant globex: cell-a -> cell-b"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
