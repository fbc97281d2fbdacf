package directory

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
)

func intp(n int) *int { return &n }

func TestPlace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name      string
		load      map[string]int64 // counters before
		req       PlaceRequest
		cell      string
		failovers []string
	}{
		// Eligible: aws-use1 (us, 100), azure-weu (eu, 100), gcp-euw1 (eu,
		// 100), gcp-usc1 (us, 50); not the draining, down or weightless.
		{name: "empty: the first heaviest cell", cell: "aws-use1", failovers: []string{"gcp-usc1"}},
		{name: "the most spare share", load: map[string]int64{"aws-use1": 10, "azure-weu": 10, "gcp-euw1": 9, "gcp-usc1": 2}, cell: "gcp-usc1", failovers: []string{"aws-use1"}},
		{name: "weight counts", load: map[string]int64{"aws-use1": 10, "azure-weu": 10, "gcp-euw1": 10, "gcp-usc1": 5}, cell: "aws-use1", failovers: []string{"gcp-usc1"}},
		{name: "residency", req: PlaceRequest{Residency: "eu"}, cell: "azure-weu", failovers: []string{"gcp-euw1"}},
		{name: "residency and load", load: map[string]int64{"azure-weu": 3}, req: PlaceRequest{Residency: "eu"}, cell: "gcp-euw1", failovers: []string{"azure-weu"}},
		{name: "two failovers in the primary's geo", req: PlaceRequest{FailoverCount: intp(2)}, cell: "aws-use1", failovers: []string{"gcp-usc1"}},
		{name: "no failover", req: PlaceRequest{Residency: "eu", FailoverCount: intp(0)}, cell: "azure-weu"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, 0, nil)
			for cell, n := range tt.load {
				_ = f.mem.Put(ctx, CounterKey(cell), []byte(fmt.Sprint(n)), 0)
			}
			got, outcome, err := f.dir.Place(ctx, "acme", tt.req)
			if err != nil || outcome != OutcomeAdded {
				t.Fatalf("Place = %+v, %s, %v", got, outcome, err)
			}
			if got.Cell != tt.cell || !slices.Equal(got.Failover, tt.failovers) || got.Residency != tt.req.Residency || got.Epoch != 1 {
				t.Fatalf("Place = %s %v (residency %q, epoch %d), want %s %v", got.Cell, got.Failover, got.Residency, got.Epoch, tt.cell, tt.failovers)
			}
			// Recorded, counted, and idempotent: asked again (even with
			// other wishes) the entry comes back unchanged.
			stored, _, _ := f.dir.Get(ctx, "acme")
			if stored.Cell != tt.cell {
				t.Fatalf("stored %+v", stored)
			}
			if n, _ := f.dir.Counts(ctx, []string{tt.cell}); n[tt.cell] != tt.load[tt.cell]+1 {
				t.Errorf("counter of %s = %d, want %d", tt.cell, n[tt.cell], tt.load[tt.cell]+1)
			}
			again, outcome, err := f.dir.Place(ctx, "acme", PlaceRequest{Residency: "us"})
			if err != nil || outcome != OutcomeUnchanged || again.Epoch != 1 || again.Cell != tt.cell {
				t.Fatalf("placed again: %+v, %s, %v", again, outcome, err)
			}
		})
	}
}

// Placing many tenants spreads them by weight: the counters steer it.
func TestPlaceSpreads(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, 0, nil)
	per := map[string]int{}
	for i := range 350 {
		got, _, err := f.dir.Place(ctx, fmt.Sprintf("t%03d", i), PlaceRequest{})
		if err != nil {
			t.Fatal(err)
		}
		per[got.Cell]++
	}
	// Weights 100, 100, 100, 50 → 100, 100, 100, 50 tenants.
	want := map[string]int{"aws-use1": 100, "azure-weu": 100, "gcp-euw1": 100, "gcp-usc1": 50}
	for cell, n := range want {
		if per[cell] != n {
			t.Errorf("%s holds %d tenants, want %d (all: %v)", cell, per[cell], n, per)
		}
	}
}

func TestPlaceRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, 0, nil)
	_, _, err := f.dir.Place(ctx, "acme", PlaceRequest{Residency: "ap"})
	wantError(t, err, 422, ReasonNoEligibleCell, `in geo "ap" can take tenant "acme"`, `aws-use1 (geo "us")`, `add or activate a cell in "ap"`)
	_, _, err = f.dir.Place(ctx, "acme", PlaceRequest{FailoverCount: intp(8)})
	wantError(t, err, 422, ReasonInvalidEntry, "failoverCount 8", "0..7")
	_, _, err = f.dir.Place(ctx, "ACME", PlaceRequest{})
	wantError(t, err, 422, ReasonInvalidID)
	if f.mem.Len() != 0 {
		t.Errorf("refused placements wrote %d keys", f.mem.Len())
	}
}

func TestPlaceAtRequest(t *testing.T) {
	t.Parallel()
	s1 := testSnapshot(t)
	s2 := testSnapshot(t) // another isolate's copy of the same registry
	per := map[string]int{}
	for i := range 400 {
		id := fmt.Sprintf("new%03d", i)
		a, err := PlaceAtRequest(s1, id, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := PlaceAtRequest(s2, id, nil)
		if a.Cell != b.Cell || !slices.Equal(a.Failover, b.Failover) {
			t.Fatalf("%s placed on %s %v and %s %v by two copies of one registry", id, a.Cell, a.Failover, b.Cell, b.Failover)
		}
		if c, _ := s1.Cell(a.Cell); c.EffectiveState() != fabric.CellActive || c.Weight == 0 || len(a.Failover) != 1 || a.Failover[0] == a.Cell {
			t.Fatalf("%s placed on %s %v", id, a.Cell, a.Failover)
		}
		if err := s1.CheckTenant(&a); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		per[a.Cell]++
	}
	if per["gcp-usc1"] >= per["aws-use1"] || len(per) != 4 {
		t.Errorf("placements %v: the half-weight cell should take fewer", per)
	}
	// No active cell.
	reg := testRegistry()
	for i := range reg.Cells {
		reg.Cells[i].State = fabric.CellDraining
	}
	down, _ := router.Compile(reg)
	_, err := PlaceAtRequest(down, "acme", nil)
	wantError(t, err, 503, ReasonNoEligibleCell, `tenant "acme"`)
}

func TestRecordAtRequest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, 0, nil)
	want, _ := PlaceAtRequest(f.snap, "newbie", nil)
	got, outcome, err := f.dir.RecordAtRequest(ctx, "newbie")
	if err != nil || outcome != OutcomeAdded || got.Cell != want.Cell || got.Epoch != 1 {
		t.Fatalf("RecordAtRequest = %+v, %s, %v; want %s at epoch 1", got, outcome, err, want.Cell)
	}
	// An existing entry, whatever it says, stays.
	f.put(t, router.Tenant{ID: "moved", Cell: "azure-weu"})
	got, outcome, err = f.dir.RecordAtRequest(ctx, "moved")
	if err != nil || outcome != OutcomeUnchanged || got.Cell != "azure-weu" {
		t.Fatalf("an existing entry: %+v, %s, %v", got, outcome, err)
	}
}
