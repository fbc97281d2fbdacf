//go:build !(js && wasm)

package main

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/router"
)

// A cell drained through the Worker's control API (cellfabric cells
// drain --api <Worker>) takes no tenant first seen at a request: the
// Worker's placement reads the flags from its DIRECTORY namespace. The
// tenant a request would have placed on it goes to the next cell of its
// rendezvous order; the registry's tenant on the drained cell is still
// routed to it.
func TestRuntimeDrainedCellTakesNoNewTenant(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a := startCell(t, "cell-a", "aws")
	b := startCell(t, "cell-b", "gcp")
	c := startCell(t, "cell-c", "azure")
	doc, place := placeRegistry(t, a, b, c)
	var reg router.Registry
	if err := json.Unmarshal(doc, &reg); err != nil {
		t.Fatal(err)
	}
	snap, err := router.Compile(&reg)
	if err != nil {
		t.Fatal(err)
	}
	open := place("newco")
	env := startEdge(t, envOptions{registry: doc, key: testKey, controlKey: runtimeControlKey})
	cl := controlClient(t, env)
	if _, err := cl.CloseCell(ctx, open.Cell, "drain test"); err != nil {
		t.Fatal(err)
	}
	if _, ok := env.dir.Get(directory.CellKey(open.Cell)); !ok {
		t.Fatalf("no flag for %s in the DIRECTORY namespace", open.Cell)
	}
	want, err := directory.PlaceAtRequest(snap, "newco", directory.ClosedCells{open.Cell: true})
	if err != nil || want.Cell == open.Cell {
		t.Fatalf("placement with %s closed: %+v, %v", open.Cell, want, err)
	}
	r := env.do("GET", "/kv/x", tenantHeader("newco"), "")
	if r.status != 404 || r.header.Get("X-Cell-ID") != want.Cell {
		t.Fatalf("first request of newco: %d from %q, want the cell's own 404 from %s (not the drained %s): %s", r.status, r.header.Get("X-Cell-ID"), want.Cell, open.Cell, r.body)
	}
	stored, err := cl.Get(ctx, "newco")
	if err != nil || stored.Cell != want.Cell {
		t.Fatalf("newco recorded as %+v, %v; want %s", stored, err, want.Cell)
	}
	// acme, the registry's tenant on cell-a, is routed as before.
	if r := env.do("GET", "/kv/x", tenantHeader("acme"), ""); r.header.Get("X-Cell-ID") != "cell-a" {
		t.Fatalf("acme: %d from %q, want cell-a", r.status, r.header.Get("X-Cell-ID"))
	}
	cells, err := cl.Cells(ctx)
	if err != nil || len(cells) != 3 {
		t.Fatalf("Cells through the Worker: %+v, %v", cells, err)
	}
	for _, p := range cells {
		if (p.ID == open.Cell) != (p.Placement == directory.PlacementClosed) {
			t.Fatalf("Cells through the Worker: %+v", cells)
		}
	}
}
