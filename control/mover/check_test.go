package mover

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/workload/state"
)

// exportOnly is a target whose export holds n keys; the check calls
// nothing else on it.
type exportOnly struct {
	CellState
	n int
}

func (e exportOnly) Export(_ context.Context, _ string, fn func(state.Record) error) (uint64, error) {
	for i := range e.n {
		if err := fn(state.Record{Key: "k", Seq: uint64(i + 1)}); err != nil {
			return 0, err
		}
	}
	return uint64(e.n), nil
}

// TestProblems: one case per rule of the check step, each refused with a
// sentence that says what to do, and the move that passes them all.
func TestProblems(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	reg := &router.Registry{Cells: []router.Cell{
		{ID: "a", Geo: "eu"}, {ID: "b", Geo: "eu"}, {ID: "us", Geo: "us"},
		{ID: "down", Geo: "eu", State: fabric.CellDown}, {ID: "draining", Geo: "eu", State: fabric.CellDraining},
	}}
	entry := router.Tenant{ID: "acme", Cell: "a", Residency: "eu", Epoch: 4}
	other := &state.MoveLock{ID: "mv-other", Expires: now.Add(time.Minute)}
	tests := []struct {
		name         string
		target       string
		entry        func(*router.Tenant)
		smeta, tmeta state.TenantMeta
		targetKeys   int
		force        bool
		unhealthy    bool
		want         string
	}{
		{name: "passes", target: "b"},
		{name: "unknown cell", target: "z", want: "not in the registry"},
		{name: "down cell", target: "down", want: "is down in the registry"},
		{name: "draining cell", target: "draining", want: "is draining in the registry"},
		{name: "residency", target: "us", want: `must stay in "eu"`},
		{name: "already there", target: "a", want: "on cell a already"},
		{name: "migrating", target: "b", entry: func(e *router.Tenant) { e.State = fabric.TenantMigrating }, want: "is migrating in the directory"},
		{name: "unhealthy target", target: "b", unhealthy: true, want: "not healthy"},
		{name: "source moved", target: "b", smeta: state.TenantMeta{FenceState: state.FenceState{Moved: true, MovedTo: "b"}}, want: "fix the directory entry"},
		{name: "source fenced", target: "b", smeta: state.TenantMeta{FenceState: state.FenceState{FenceAll: true}}, want: "lift the fence"},
		{name: "target locked", target: "b", tmeta: state.TenantMeta{Lock: other}, want: "mv-other"},
		{name: "target data", target: "b", tmeta: state.TenantMeta{Position: 3}, targetKeys: 3, want: "holds 3 live keys"},
		{name: "target data, forced", target: "b", tmeta: state.TenantMeta{Position: 3}, targetKeys: 3, force: true},
		{name: "target copy left by a move", target: "b", tmeta: state.TenantMeta{Position: 3, FenceState: state.FenceState{Moved: true, MovedTo: "a", Fence: 6}}, targetKeys: 3},
		{name: "target data, all deleted", target: "b", tmeta: state.TenantMeta{Position: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := &Mover{cfg: Config{Registry: reg, Now: func() time.Time { return now }, Health: healthCheck(tt.unhealthy)}}
			e := entry
			if tt.entry != nil {
				tt.entry(&e)
			}
			errs := m.problems(context.Background(), Options{Tenant: "acme", Target: tt.target, ForceOverwrite: tt.force}, e, tt.smeta, tt.tmeta, exportOnly{n: tt.targetKeys}, "mv-1")
			got := errors.Join(errs...)
			switch {
			case tt.want == "" && got != nil:
				t.Errorf("problems: %v, want none", got)
			case tt.want != "" && (got == nil || !strings.Contains(got.Error(), tt.want)):
				t.Errorf("problems: %v, want %q", got, tt.want)
			}
		})
	}
}

// healthCheck is a Config.Health that fails when unhealthy.
func healthCheck(unhealthy bool) func(context.Context, string) error {
	return func(context.Context, string) error {
		if unhealthy {
			return errors.New("healthz answered 503")
		}
		return nil
	}
}
