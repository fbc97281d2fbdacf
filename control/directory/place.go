package directory

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
)

// DefaultFailoverCount is how many failover cells a placement chooses when
// the caller does not say.
const DefaultFailoverCount = 1

// PlaceRequest is what Place is asked: the body of POST
// /tenants/<id>/place. Both fields are optional.
type PlaceRequest struct {
	// Residency is the geography the tenant's data must stay in: only
	// cells whose geo equals it are chosen. Zero: any cell.
	Residency string `json:"residency,omitempty"`
	// FailoverCount is how many failover cells to choose, 0..
	// router.MaxFailover; fewer are chosen when fewer cells qualify. Nil:
	// DefaultFailoverCount.
	FailoverCount *int `json:"failoverCount,omitempty"`
}

// Place chooses cells for tenant id and records the choice: the primary is
// the eligible cell (active, weight > 0, not closed to new placements —
// the flags are read from the store at each call —, geo equal to the
// residency when one is given) with the most spare share — the fewest
// tenants for its weight, by the cell counters, the registry's order
// breaking ties — and the failovers are the next eligible cells in the
// primary's geo. An existing entry is returned unchanged
// (OutcomeUnchanged): placing is idempotent. The error is an *Error
// (ReasonNoEligibleCell: 422).
func (d *Directory) Place(ctx context.Context, id string, req PlaceRequest) (router.Tenant, Outcome, error) {
	if err := checkID(id); err != nil {
		return router.Tenant{}, "", err
	}
	n := DefaultFailoverCount
	if req.FailoverCount != nil {
		n = *req.FailoverCount
	}
	if n < 0 || n > router.MaxFailover {
		return router.Tenant{}, "", errorf(422, ReasonInvalidEntry, id, "failoverCount %d for tenant %q is out of range: choose 0..%d failover cells", n, id, router.MaxFailover)
	}
	return d.placeNew(ctx, id, func(snap *router.Snapshot) (router.Tenant, error) {
		closed, err := d.Closed(ctx)
		if err != nil {
			return router.Tenant{}, err
		}
		eligible := placeable(snap, req.Residency, closed)
		ids := make([]string, len(eligible))
		for i, c := range eligible {
			ids[i] = c.ID
		}
		load, err := d.Counts(ctx, ids)
		if err != nil {
			return router.Tenant{}, err
		}
		return choosePlacement(snap, id, req.Residency, closed, eligible, load, n)
	})
}

// placeNew records the entry choose computes for tenant id from the
// directory's registry, unless the directory has an entry for id: that
// one is returned unchanged, whatever it says. The write is an add: if the
// tenant was written since it was read here, that entry stands too.
func (d *Directory) placeNew(ctx context.Context, id string, choose func(*router.Snapshot) (router.Tenant, error)) (router.Tenant, Outcome, error) {
	snap, err := d.snapshot(id)
	if err != nil {
		return router.Tenant{}, "", err
	}
	if existing, found, err := d.get(ctx, id); err != nil || found {
		return existing, OutcomeUnchanged, err
	}
	t, err := choose(snap)
	if err != nil {
		return router.Tenant{}, "", err
	}
	c := counts{}
	defer d.applyCounts(ctx, c)
	stored, outcome, err := d.write(ctx, snap, t, PutOptions{IfAbsent: true}, c)
	if err != nil && AsError(err).Reason == ReasonExists {
		return stored, OutcomeUnchanged, nil
	}
	return stored, outcome, err
}

// placeable returns the cells a new tenant may be placed on, in registry
// order: active, with a positive weight, not closed, in the residency's geo
// when one is given.
func placeable(snap *router.Snapshot, residency string, closed ClosedCells) []*router.Cell {
	var out []*router.Cell
	cells := snap.Cells()
	for i := range cells {
		c := &cells[i]
		if c.EffectiveState() == fabric.CellActive && c.Weight > 0 && !closed[c.ID] && (residency == "" || c.Geo == residency) {
			out = append(out, c)
		}
	}
	return out
}

// choosePlacement is Place's choice among the placeable cells, given their
// tenant counts: a pure function of the registry, the counts and its
// arguments. It reorders eligible.
func choosePlacement(snap *router.Snapshot, id, residency string, closed ClosedCells, eligible []*router.Cell, load map[string]int64, failovers int) (router.Tenant, error) {
	if len(eligible) == 0 {
		return router.Tenant{}, noEligibleCell(snap, id, residency, closed)
	}
	// Fewest tenants per unit of weight after adding this one first:
	// (n_a+1)/w_a < (n_b+1)/w_b, compared without division.
	slices.SortStableFunc(eligible, func(a, b *router.Cell) int {
		l := (load[a.ID] + 1) * int64(b.Weight)
		r := (load[b.ID] + 1) * int64(a.Weight)
		switch {
		case l < r:
			return -1
		case l > r:
			return 1
		}
		return 0
	})
	primary := eligible[0]
	t := router.Tenant{ID: id, Cell: primary.ID, Residency: residency, State: fabric.TenantActive}
	for _, c := range eligible[1:] {
		if len(t.Failover) == failovers {
			break
		}
		if c.Geo == primary.Geo {
			t.Failover = append(t.Failover, c.ID)
		}
	}
	return t, nil
}

// noEligibleCell says why no cell can take a new tenant, listing the
// registry's cells and what keeps each out.
func noEligibleCell(snap *router.Snapshot, id, residency string, closed ClosedCells) *Error {
	var why []string
	for _, c := range snap.Cells() {
		switch {
		case residency != "" && c.Geo != residency:
			why = append(why, fmt.Sprintf("%s (geo %q)", c.ID, c.Geo))
		case c.EffectiveState() != fabric.CellActive:
			why = append(why, fmt.Sprintf("%s (%s)", c.ID, c.EffectiveState()))
		case c.Weight <= 0:
			why = append(why, fmt.Sprintf("%s (weight 0)", c.ID))
		case closed[c.ID]:
			why = append(why, fmt.Sprintf("%s (closed to new tenants)", c.ID))
		}
	}
	where := "active cell with a positive weight"
	fix := "activate a cell or give one a weight, or open a closed one (cellfabric cells undrain)"
	if residency != "" {
		where = fmt.Sprintf("active cell with a positive weight in geo %q", residency)
		fix = fmt.Sprintf("add or activate a cell in %q, open a closed one (cellfabric cells undrain), or place the tenant with another residency", residency)
	}
	return errorf(422, ReasonNoEligibleCell, id, "no %s can take tenant %q (cells: %s): %s", where, id, strings.Join(why, ", "), fix)
}

// PlaceAtRequest is the placement of a tenant first seen by a request when
// the registry's policy for unknown tenants is place: the first cells of
// the registry's weighted rendezvous order over its active cells that are
// not closed (router.Snapshot.RendezvousExcept, health not considered),
// primary and DefaultFailoverCount failovers, residency unknown. Every
// router and isolate holding the same registry and closed cells computes
// the same entry, so two placing the same tenant at once agree; the caller
// records it (RecordAtRequest) so that it never changes under the tenant.
// Epoch is left 0: the write sets it. The error is an *Error
// (ReasonNoEligibleCell, 503) when no cell is active and open.
//
// closed is the set of cells closed by their c/ flags (Directory.Closed);
// a caller far from the store keeps it for a while (ClosedCache) like the
// registry, instead of listing c/ for every new tenant. Two placers holding different closed sets for a moment may
// choose differently; the add that records the placement keeps the first
// one written.
func PlaceAtRequest(snap *router.Snapshot, id string, closed ClosedCells) (router.Tenant, error) {
	if err := checkID(id); err != nil {
		return router.Tenant{}, err
	}
	cells := snap.RendezvousExcept(id, closed)
	if len(cells) == 0 {
		e := noEligibleCell(snap, id, "", closed)
		e.Status, e.RetryAfter = 503, 5
		return router.Tenant{}, e
	}
	t := router.Tenant{ID: id, Cell: cells[0], State: fabric.TenantActive}
	if n := min(len(cells)-1, DefaultFailoverCount); n > 0 {
		t.Failover = slices.Clone(cells[1 : 1+n])
	}
	return t, nil
}

// RecordAtRequest records the placement PlaceAtRequest computes for tenant
// id on the directory's registry and the closed cells read from its store
// (listed once per Config.ClosedTTL, at every call when it is 0), as an
// add: an existing entry is returned unchanged, whatever it says.
func (d *Directory) RecordAtRequest(ctx context.Context, id string) (router.Tenant, Outcome, error) {
	if err := checkID(id); err != nil {
		return router.Tenant{}, "", err
	}
	return d.placeNew(ctx, id, func(snap *router.Snapshot) (router.Tenant, error) {
		closed, err := d.closed.Get(ctx)
		if err != nil {
			return router.Tenant{}, err
		}
		return PlaceAtRequest(snap, id, closed)
	})
}
