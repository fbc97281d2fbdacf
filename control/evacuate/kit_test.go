package evacuate

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/control/directory/dirhttp"
	"github.com/cellfabric/cellfabric/control/mover"
	"github.com/cellfabric/cellfabric/internal/movekit"
	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/embedded"
)

var _ Directory = (*dirhttp.Client)(nil)

// The test kit: cell-a (eu, embedded in memory) holds the tenants;
// cell-b (eu, embedded on disk) and cell-c (us, in memory) take them.

const seedKeys = 10

func startKit(t *testing.T) *movekit.Kit {
	t.Helper()
	disk, err := embedded.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	k, err := movekit.Start([]movekit.CellSpec{
		{ID: "cell-a", Geo: "eu", Backend: embedded.New()},
		{ID: "cell-b", Geo: "eu", Backend: disk},
		{ID: "cell-c", Geo: "us", Backend: embedded.New()},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Close)
	return k
}

// tenantIDs are n tenants t00..
func tenantIDs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("t%02d", i)
	}
	return out
}

// seed puts 19 tenants free to move anywhere and one, "eu-only", that
// must stay in eu, on cell-a.
func seed(t *testing.T, k *movekit.Kit) {
	t.Helper()
	ctx := context.Background()
	if err := k.Seed(ctx, "cell-a", "", tenantIDs(19), seedKeys); err != nil {
		t.Fatal(err)
	}
	if err := k.Seed(ctx, "cell-a", "eu", []string{"eu-only"}, seedKeys); err != nil {
		t.Fatal(err)
	}
}

func newEvacuator(t *testing.T, k *movekit.Kit) *Evacuator {
	t.Helper()
	m, err := mover.New(mover.Config{Directory: k.Dir, Registry: k.Registry, Health: k.Health,
		Cells: func(id string) (mover.CellState, error) { return k.CellAPI(id) }})
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(Config{Directory: k.Dir, Mover: m, Registry: k.Registry, Health: k.Health})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// moveOptions are the test sizes of each move.
var moveOptions = mover.Options{LagThreshold: 100, FollowDeadline: 5 * time.Second, LockTTL: 5 * time.Second}

// placements returns the cell of each tenant in the directory.
func placements(t *testing.T, k *movekit.Kit) map[string]string {
	t.Helper()
	out := map[string]string{}
	p, err := k.Directory.List(context.Background(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range p.Entries {
		out[e.ID] = e.Cell
	}
	return out
}

// checkAllMoved checks that every tenant left cell-a with its data.
func checkAllMoved(t *testing.T, k *movekit.Kit) {
	t.Helper()
	for id, cell := range placements(t, k) {
		if cell == "cell-a" {
			t.Errorf("tenant %s is still on cell-a", id)
			continue
		}
		if err := k.CheckMoved(context.Background(), id, "cell-a", cell, seedKeys); err != nil {
			t.Error(err)
		}
	}
}

// crashedLock leaves tenant locked on cell-a by move id to target,
// journaled at step copy, as a mover killed during its copy leaves it.
func crashedLock(t *testing.T, k *movekit.Kit, tenant, id, target string) {
	t.Helper()
	e, _, err := k.Directory.Get(context.Background(), tenant)
	if err != nil {
		t.Fatal(err)
	}
	l := state.MoveLock{ID: id, Owner: "a killed evacuation", Target: target,
		Step: fmt.Sprintf("step=copy e=%d f=0 from=cell-a", e.Epoch), Expires: time.Now().Add(time.Minute)}
	if _, err := k.Cells["cell-a"].API.Lock(context.Background(), tenant, l); err != nil {
		t.Fatal(err)
	}
}
