package main

// `tenants move --via-edge` through the edge Worker in workerd: the cells'
// state APIs are reached only through the Worker's route to them.

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/control/mover"
	"github.com/cellfabric/cellfabric/router"
)

// TestTenantsMoveViaEdge: with the registry the command reads naming the
// cells at a dead port, a move succeeds only through the Worker
// (--via-edge), whose registry has their endpoints; without --via-edge
// the same command fails at the target's health check; --cell-api wins
// over --via-edge for the cell it names, whose health is then read from
// its state API too (the registry's health URLs are unreachable in a
// deployment, as here).
func TestTenantsMoveViaEdge(t *testing.T) {
	t.Parallel()
	e := newMoveEnv(t)
	doc, err := os.ReadFile(e.regFile)
	if err != nil {
		t.Fatal(err)
	}
	rt, _ := startWorker(t, doc, tenantsTestKey)
	var reg router.Registry
	if err := json.Unmarshal(doc, &reg); err != nil {
		t.Fatal(err)
	}
	for i := range reg.Cells {
		reg.Cells[i].Endpoint = "http://127.0.0.1:9"
		reg.Cells[i].HealthURL = "http://127.0.0.1:9/healthz"
	}
	dead, err := reg.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.regFile, dead, 0o644); err != nil {
		t.Fatal(err)
	}

	code, out, errs := e.run(t, "move", "acme", "--to", "cell-b")
	if code == 0 || !strings.Contains(out+errs, "127.0.0.1:9") {
		t.Fatalf("a move to a dead endpoint without --via-edge: %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = e.run(t, "move", "acme", "--to", "cell-b", "--via-edge", rt.URL)
	if code != 0 || !strings.Contains(out, "s] "+padStep(mover.StepCheck)+" ok: ") {
		t.Fatalf("move through the Worker: %d\n%s\n%s", code, out, errs)
	}
	if got := e.entry(t); got.Cell != "cell-b" || got.Epoch != 3 {
		t.Fatalf("directory %+v: want cell-b at epoch 3", got)
	}
	if it, err := e.stores["cell-b"].Get(context.Background(), "acme", "k7"); err != nil || string(it.Value) != "v" {
		t.Fatalf("k7 on cell-b: %+v, %v", it, err)
	}
	// Back to cell-a, which --cell-api names directly; cell-b (the source)
	// is still reached through the Worker.
	code, out, errs = e.run(t, "move", "acme", "--to", "cell-a", "--via-edge", rt.URL, "--cell-api", "cell-a="+e.cellURLs["cell-a"])
	if code != 0 {
		t.Fatalf("move back: %d\n%s\n%s", code, out, errs)
	}
	if got := e.entry(t); got.Cell != "cell-a" || got.Epoch != 5 {
		t.Fatalf("directory %+v: want cell-a at epoch 5", got)
	}
	pe := &mover.PendingError{Tenant: "acme", Target: "cell-b", MoveID: "mv-1", Step: mover.StepDrain, Abortable: true}
	if got := nextSteps(pe, moveFlags{registry: defaultMoveRegistry, viaEdge: rt.URL}, apiOptions{api: defaultAPI}); !strings.Contains(got, "--move-id mv-1 --via-edge "+rt.URL) {
		t.Fatalf("next steps lack --via-edge:\n%s", got)
	}
}
