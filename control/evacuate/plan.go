package evacuate

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
)

// Plan is what an evacuation will do: a target per tenant, or why none.
type Plan struct {
	// Source is the cell evacuated.
	Source string `json:"source"`
	// Moves are the tenants to move, in tenant id order: moves resumed
	// from the checkpoint first.
	Moves []Assignment `json:"moves"`
	// Skipped counts tenants an earlier run moved (the checkpoint's).
	Skipped int `json:"skipped"`
	// Targets are the registry's other cells: how many tenants each holds,
	// how many the plan sends it, or why it takes none.
	Targets []Target `json:"targets"`
}

// Assignment is one tenant's planned move.
type Assignment struct {
	Tenant string `json:"tenant"`
	// Target is the cell the tenant moves to; "" when none can take it.
	Target string `json:"target,omitempty"`
	// MoveID is the move resumed (from the checkpoint); "" for a new one.
	MoveID string `json:"moveId,omitempty"`
	// Problem is why no cell can take the tenant.
	Problem string `json:"problem,omitempty"`
	// Seed is a tenant of the stack file (the registry's) that the
	// directory does not hold yet: it is added to the directory as the
	// registry places it (epoch 0) before its move, which raises the epoch.
	Seed *router.Tenant `json:"seed,omitempty"`
}

// Target is a candidate target cell.
type Target struct {
	ID  string `json:"id"`
	Geo string `json:"geo"`
	// Tenants is the directory's (approximate) count of its tenants.
	Tenants int64 `json:"tenants"`
	// Planned is how many tenants the plan moves to it.
	Planned int `json:"planned"`
	// Excluded is why it takes no tenant; "" when it may.
	Excluded string `json:"excluded,omitempty"`
}

// Plan lists the tenants whose primary is o.Source and picks a target for
// each, changing nothing (the cell is not drained). cp, when not nil, is
// an earlier run's checkpoint: tenants it has done are skipped, its moves
// in flight keep their targets and ids.
func (e *Evacuator) Plan(ctx context.Context, o Options, cp *Checkpoint) (Plan, error) {
	if err := o.Validate(); err != nil {
		return Plan{}, fmt.Errorf("evacuation options: %w", err)
	}
	if cp == nil {
		cp = newCheckpoint(o.Source)
	}
	targets, err := e.targets(ctx, o)
	if err != nil {
		return Plan{}, err
	}
	p := Plan{Source: o.Source}
	resumes := cp.resumes()
	var tenants []router.Tenant
	listed := map[string]bool{}
	if _, err := directory.LoadPages(ctx, e.cfg.Directory.List, func(page []router.Tenant) error {
		for _, t := range page {
			listed[t.ID] = true
			if t.Cell == o.Source {
				tenants = append(tenants, t)
			}
		}
		return nil
	}); err != nil {
		return Plan{}, fmt.Errorf("listing the tenants of cell %s: %w", o.Source, err)
	}
	// Tenants of the stack file live in the registry until something adds
	// them to the directory: the cell's are evacuated too.
	seeds := map[string]*router.Tenant{}
	for _, t := range e.cfg.Registry.Tenants {
		if t.Cell == o.Source && !listed[t.ID] {
			t.Epoch = 0
			seeds[t.ID] = &t
			tenants = append(tenants, t)
		}
	}
	// Resumed moves first: they keep their targets (even when the tenant
	// is listed on its target already: it switched before the stop).
	ids := make([]string, 0, len(resumes))
	for id := range resumes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		r := resumes[id]
		p.Moves = append(p.Moves, Assignment{Tenant: id, Target: r.Target, MoveID: r.MoveID})
		if t := findTarget(targets, r.Target); t != nil {
			t.Planned++
		}
	}
	for _, t := range tenants {
		if _, ok := resumes[t.ID]; ok {
			continue
		}
		// Done by an earlier run, yet on the source again: moved back
		// since, so it is moved again.
		delete(cp.Done, t.ID)
		a := assign(t, targets)
		a.Seed = seeds[t.ID]
		p.Moves = append(p.Moves, a)
	}
	p.Skipped = len(cp.Done)
	for _, t := range targets {
		p.Targets = append(p.Targets, *t)
	}
	return p, nil
}

// targets reads the registry's other cells with the directory's counts
// and flags and their health.
func (e *Evacuator) targets(ctx context.Context, o Options) ([]*Target, error) {
	reg := e.cfg.Registry
	if !slices.ContainsFunc(reg.Cells, func(c router.Cell) bool { return c.ID == o.Source }) {
		return nil, fmt.Errorf("cell %s is not in the registry: name one of its cells (cellfabric cells list)", o.Source)
	}
	for _, id := range o.To {
		if !slices.ContainsFunc(reg.Cells, func(c router.Cell) bool { return c.ID == id }) {
			return nil, fmt.Errorf("--to names cell %s, which the registry does not hold: name its cells (cellfabric cells list)", id)
		}
	}
	flags, err := e.cfg.Directory.Cells(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the cells' placement flags and counts: %w", err)
	}
	byID := map[string]directory.CellPlacement{}
	for _, f := range flags {
		byID[f.ID] = f
	}
	var out []*Target
	for _, c := range reg.Cells {
		if c.ID == o.Source || (len(o.To) > 0 && !slices.Contains(o.To, c.ID)) {
			continue
		}
		f := byID[c.ID]
		t := &Target{ID: c.ID, Geo: c.Geo, Tenants: f.Tenants}
		switch {
		case c.EffectiveState() != fabric.CellActive:
			t.Excluded = fmt.Sprintf("%s in the registry", c.EffectiveState())
		case f.Placement == directory.PlacementClosed:
			t.Excluded = "closed to new tenants (cellfabric cells undrain " + c.ID + " opens it)"
		case e.cfg.Health != nil:
			if err := e.cfg.Health(ctx, c.ID); err != nil {
				t.Excluded = "unhealthy: " + err.Error()
			}
		}
		out = append(out, t)
	}
	return out, nil
}

func findTarget(ts []*Target, id string) *Target {
	for _, t := range ts {
		if t.ID == id {
			return t
		}
	}
	return nil
}

// assign picks t's target among ts: in its residency, not excluded, the
// fewest tenants (counted with what the plan sends each so far), then the
// lowest id.
func assign(t router.Tenant, ts []*Target) Assignment {
	var best *Target
	var why []string
	for _, c := range ts {
		switch {
		case c.Excluded != "":
			why = append(why, c.ID+": "+c.Excluded)
		case t.Residency != "" && c.Geo != t.Residency:
			why = append(why, fmt.Sprintf("%s: in geo %q, the tenant must stay in %q", c.ID, c.Geo, t.Residency))
		case best == nil || c.Tenants+int64(c.Planned) < best.Tenants+int64(best.Planned):
			best = c
		}
	}
	if best == nil {
		if len(why) == 0 {
			why = append(why, "the registry holds no other cell")
		}
		return Assignment{Tenant: t.ID, Problem: "no cell can take it: " + strings.Join(why, "; ")}
	}
	best.Planned++
	return Assignment{Tenant: t.ID, Target: best.ID}
}
