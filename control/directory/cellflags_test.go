package directory

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/router"
)

// A closed cell is never chosen, by Place or by PlaceAtRequest, as primary
// or failover; opened again, it is.
func TestClosedCellNotPlaced(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, 0, nil)
	// Empty counters: Place's first choice is aws-use1 (see TestPlace).
	if _, err := f.dir.CloseCell(ctx, "aws-use1", "hardware refresh"); err != nil {
		t.Fatal(err)
	}
	for i := range 60 {
		got, _, err := f.dir.Place(ctx, fmt.Sprintf("p%02d", i), PlaceRequest{FailoverCount: intp(2)})
		if err != nil {
			t.Fatal(err)
		}
		if got.Cell == "aws-use1" || slices.Contains(got.Failover, "aws-use1") {
			t.Fatalf("Place put %s on the closed cell: %s %v", got.ID, got.Cell, got.Failover)
		}
	}
	closed, err := f.dir.Closed(ctx)
	if err != nil || !closed["aws-use1"] || len(closed) != 1 {
		t.Fatalf("Closed = %v, %v", closed, err)
	}
	picked := 0
	for i := range 300 {
		id := fmt.Sprintf("r%03d", i)
		open, _ := PlaceAtRequest(f.snap, id, nil)
		got, err := PlaceAtRequest(f.snap, id, closed)
		if err != nil {
			t.Fatal(err)
		}
		if got.Cell == "aws-use1" || slices.Contains(got.Failover, "aws-use1") {
			t.Fatalf("PlaceAtRequest put %s on the closed cell: %s %v", id, got.Cell, got.Failover)
		}
		if open.Cell == "aws-use1" {
			picked++
		} else if got.Cell != open.Cell {
			// Closing one cell moves only the tenants that would have
			// gone to it.
			t.Fatalf("%s: %s with aws-use1 open, %s with it closed", id, open.Cell, got.Cell)
		}
	}
	if picked == 0 {
		t.Fatal("no tenant would have gone to aws-use1 while open: the test proves nothing")
	}
	// RecordAtRequest reads the flags from the store.
	rec, _, err := f.dir.RecordAtRequest(ctx, "newbie")
	if want, _ := PlaceAtRequest(f.snap, "newbie", closed); err != nil || rec.Cell != want.Cell {
		t.Fatalf("RecordAtRequest = %+v, %v; want %s", rec, err, want.Cell)
	}

	// Reopened: aws-use1 takes new tenants again (it holds the fewest).
	if err := f.dir.OpenCell(ctx, "aws-use1"); err != nil {
		t.Fatal(err)
	}
	got, _, err := f.dir.Place(ctx, "after", PlaceRequest{})
	if err != nil || got.Cell != "aws-use1" {
		t.Fatalf("after reopening: %+v, %v; want aws-use1", got, err)
	}
	if closed, _ := f.dir.Closed(ctx); len(closed) != 0 {
		t.Fatalf("after reopening, Closed = %v", closed)
	}
}

// With every eligible cell closed, placing fails with no_eligible_cell,
// naming the closed cells and the way to open one.
func TestAllEligibleClosed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, 0, nil)
	for _, c := range []string{"azure-weu", "gcp-euw1"} {
		if _, err := f.dir.CloseCell(ctx, c, ""); err != nil {
			t.Fatal(err)
		}
	}
	_, _, err := f.dir.Place(ctx, "acme", PlaceRequest{Residency: "eu"})
	wantError(t, err, 422, ReasonNoEligibleCell, `tenant "acme"`, "azure-weu (closed to new tenants)", "gcp-euw1 (closed to new tenants)", "cellfabric cells undrain")
	if _, found, _ := f.dir.Get(ctx, "acme"); found {
		t.Fatal("a refused placement was recorded")
	}
	// The us cells are still open.
	if got, _, err := f.dir.Place(ctx, "acme", PlaceRequest{}); err != nil || got.Cell != "aws-use1" {
		t.Fatalf("Place without residency = %+v, %v", got, err)
	}
	all := ClosedCells{"aws-use1": true, "azure-weu": true, "gcp-euw1": true, "gcp-usc1": true}
	_, err = PlaceAtRequest(f.snap, "newco", all)
	wantError(t, err, 503, ReasonNoEligibleCell, `tenant "newco"`, "aws-use1 (closed to new tenants)", "gcp-usc1 (closed to new tenants)")
}

// Closing a cell changes no entry and no routing: its tenants are still
// sent to it.
func TestClosedCellKeepsTenants(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, 0, nil)
	before := f.put(t, router.Tenant{ID: "acme", Cell: "aws-use1", Failover: []string{"gcp-usc1"}})
	if _, err := f.dir.CloseCell(ctx, "aws-use1", "drain"); err != nil {
		t.Fatal(err)
	}
	after, found, err := f.dir.Get(ctx, "acme")
	if err != nil || !found || after.Cell != "aws-use1" || after.Epoch != before.Epoch {
		t.Fatalf("entry after closing its cell: %+v %v %v; want it unchanged (%+v)", after, found, err, before)
	}
	for _, method := range []string{"GET", "POST"} {
		d := f.snap.DecideFor(router.Request{Method: method, Tenant: "acme"}, &after, nil)
		if d.Status != 0 || d.Len() == 0 || d.Cell(0).ID != "aws-use1" || d.Via != router.ViaPrimary {
			t.Fatalf("%s for acme: status %d via %s first %v; want aws-use1 as primary", method, d.Status, d.Via, d.Len())
		}
	}
	// Placing it again leaves it where it is.
	again, outcome, err := f.dir.Place(ctx, "acme", PlaceRequest{})
	if err != nil || outcome != OutcomeUnchanged || again.Cell != "aws-use1" {
		t.Fatalf("Place of an existing tenant on a closed cell: %+v %s %v", again, outcome, err)
	}
}

func TestCellFlagValidation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name      string
		cell      string
		reason    string
		open      bool
		status    int
		errReason string
		fragments []string
	}{
		{name: "close a registry cell", cell: "aws-use1", reason: "maintenance"},
		{name: "close a draining cell", cell: "aws-euc1"},
		{name: "reason of 200 characters", cell: "aws-use1", reason: strings.Repeat("é", MaxFlagReason)},
		{name: "close an unknown cell", cell: "aws-nowhere", status: 422, errReason: ReasonUnknownCell, fragments: []string{`cell "aws-nowhere" is not in the registry`, "aws-use1, azure-weu"}},
		{name: "close a bad id", cell: "AWS/x", status: 422, errReason: ReasonUnknownCell},
		{name: "reason too long", cell: "aws-use1", reason: strings.Repeat("x", MaxFlagReason+1), status: 422, errReason: ReasonInvalidFlag, fragments: []string{"201 characters", "at most 200"}},
		{name: "reason not UTF-8", cell: "aws-use1", reason: "\xff", status: 422, errReason: ReasonInvalidFlag},
		{name: "open an open cell", cell: "gcp-usc1", open: true},
		{name: "open an unknown cell without a flag", cell: "aws-nowhere", open: true, status: 422, errReason: ReasonUnknownCell},
		{name: "open a bad id", cell: "AWS/x", open: true, status: 422, errReason: ReasonUnknownCell},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, 0, nil)
			var err error
			if tt.open {
				err = f.dir.OpenCell(ctx, tt.cell)
			} else {
				var fl CellFlag
				fl, err = f.dir.CloseCell(ctx, tt.cell, tt.reason)
				if err == nil && (fl.Placement != PlacementClosed || fl.Reason != tt.reason || fl.Since != f.clock.Now().Unix()) {
					t.Fatalf("CloseCell = %+v", fl)
				}
			}
			if tt.status != 0 {
				wantError(t, err, tt.status, tt.errReason, tt.fragments...)
				if f.mem.Len() != 0 {
					t.Errorf("a refused flag wrote %d keys", f.mem.Len())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			closed, _ := f.dir.Closed(ctx)
			if closed[tt.cell] == tt.open {
				t.Fatalf("after the call, Closed = %v", closed)
			}
		})
	}
}

// Closing a closed cell keeps when it was closed; a flag that does not
// decode counts as closed; a flag of a cell the registry lost is listed
// and can be opened.
func TestCellFlagsStored(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, 0, nil)
	first, _ := f.dir.CloseCell(ctx, "aws-use1", "one")
	f.clock.Advance(time.Hour)
	second, err := f.dir.CloseCell(ctx, "aws-use1", "two")
	if err != nil || second.Since != first.Since || second.Reason != "two" {
		t.Fatalf("closed again: %+v (first %+v), %v", second, first, err)
	}
	_ = f.mem.Put(ctx, CellKey("gcp-usc1"), []byte("{not json"), 0)
	_ = f.mem.Put(ctx, CellKey("aws-old1"), []byte(`{"placement":"closed","since":5}`), 0)
	_ = f.mem.Put(ctx, CounterKey("azure-weu"), []byte("7"), 0)
	cells, err := f.dir.Cells(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range cells {
		got = append(got, fmt.Sprintf("%s:%s:%s:%d:%v", c.ID, c.Placement, c.State, c.Tenants, c.NotInRegistry))
	}
	want := []string{
		"aws-use1:closed:active:0:false", "azure-weu:open:active:7:false", "gcp-euw1:open:active:0:false",
		"gcp-usc1:closed:active:0:false", "aws-euc1:open:draining:0:false", "azure-eus:open:down:0:false",
		"gcp-use4:open:active:0:false", "aws-old1:closed::0:true",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Cells =\n%v\nwant\n%v", got, want)
	}
	if cells[0].Since != first.Since || cells[0].Reason != "two" {
		t.Errorf("aws-use1 listed as %+v", cells[0])
	}
	if _, err := f.dir.CloseCell(ctx, "aws-old1", ""); AsError(err).Reason != ReasonUnknownCell {
		t.Errorf("closing a cell the registry lost: %v", err)
	}
	if err := f.dir.OpenCell(ctx, "aws-old1"); err != nil {
		t.Fatalf("opening the flag of a cell the registry lost: %v", err)
	}
	if closed, _ := f.dir.Closed(ctx); closed["aws-old1"] || !closed["gcp-usc1"] {
		t.Fatalf("Closed = %v", closed)
	}
}

// A store that fails makes placement fail rather than ignore the flags.
func TestCellFlagsStoreFailure(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, 0, func(kv KV) KV {
		return faultyKV{KV: kv, fail: func(op, key string) error {
			if op == "list" && key == CellPrefix {
				return fmt.Errorf("kv down")
			}
			return nil
		}}
	})
	_, _, err := f.dir.Place(ctx, "acme", PlaceRequest{})
	wantError(t, err, 503, ReasonStore, "placement flags")
	_, _, err = f.dir.RecordAtRequest(ctx, "acme")
	wantError(t, err, 503, ReasonStore)
	if _, found, _ := f.dir.Get(ctx, "acme"); found {
		t.Fatal("a placement was recorded without reading the flags")
	}
}

// Without a registry, flags are neither written nor listed.
func TestCellFlagsNoRegistry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, 0, nil)
	f.snap = nil
	_, err := f.dir.CloseCell(ctx, "aws-use1", "")
	wantError(t, err, 503, ReasonNoRegistry, `cannot check cell "aws-use1"`)
	wantError(t, f.dir.OpenCell(ctx, "aws-use1"), 503, ReasonNoRegistry)
	_, err = f.dir.Cells(ctx)
	wantError(t, err, 503, ReasonNoRegistry, "cannot check the cells")
	if f.mem.Len() != 0 {
		t.Errorf("wrote %d keys", f.mem.Len())
	}
}
