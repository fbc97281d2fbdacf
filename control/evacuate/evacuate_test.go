package evacuate

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/control/mover"
	"github.com/cellfabric/cellfabric/internal/movekit"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/workload/state"
)

// TestEvacuate: 20 tenants × 10 keys leave cell-a for cell-b (eu) and
// cell-c (us); the tenant that must stay in eu goes to cell-b, the others
// are spread evenly, every key arrives, cell-a refuses them as moved and
// is closed to new tenants, and the checkpoint is removed. With a target
// unhealthy or left out by To, the eu tenant fails with the reason and
// what to do, and the others move.
func TestEvacuate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		to        []string
		unhealthy string
		// wantFail is a part of the eu tenant's failure; "" when it moves.
		wantFail string
	}{
		{name: "two targets"},
		{name: "only the us cell allowed", to: []string{"cell-c"}, wantFail: `cell-c: in geo "us", the tenant must stay in "eu"`},
		{name: "the eu target unhealthy", unhealthy: "cell-b", wantFail: "cell-b: unhealthy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k := startKit(t)
			seed(t, k)
			if tc.unhealthy != "" {
				k.Cells[tc.unhealthy].SetHealthy(false)
			}
			cpPath := filepath.Join(t.TempDir(), "evacuate.checkpoint")
			var mu sync.Mutex
			var last Progress
			sum, err := newEvacuator(t, k).Run(context.Background(), Options{Source: "cell-a", To: tc.to, Parallel: 4, Checkpoint: cpPath, Move: moveOptions,
				OnProgress: func(p Progress) { mu.Lock(); last = p; mu.Unlock() }})
			if err != nil {
				t.Fatal(err)
			}
			perCell := map[string]int{}
			for _, m := range sum.Moved {
				perCell[m.Target]++
			}
			pl := placements(t, k)
			if tc.wantFail == "" {
				if len(sum.Moved) != 20 || len(sum.Failed) != 0 {
					t.Fatalf("moved %d, failed %+v; want 20 moved", len(sum.Moved), sum.Failed)
				}
				if pl["eu-only"] != "cell-b" {
					t.Errorf("the eu tenant is on %s, want cell-b", pl["eu-only"])
				}
				if d := perCell["cell-b"] - perCell["cell-c"]; d < -1 || d > 1 {
					t.Errorf("tenants per target %v: want them even", perCell)
				}
				if _, err := os.Stat(cpPath); !os.IsNotExist(err) || sum.Checkpoint != "" {
					t.Errorf("the checkpoint of a finished evacuation is left (%v, %q)", err, sum.Checkpoint)
				}
			} else {
				if len(sum.Moved) != 19 || len(sum.Failed) != 1 || sum.Failed[0].Tenant != "eu-only" {
					t.Fatalf("moved %d, failed %+v; want 19 moved and eu-only failed", len(sum.Moved), sum.Failed)
				}
				f := sum.Failed[0]
				if !strings.Contains(f.Reason, tc.wantFail) || !strings.Contains(f.Next, "run the evacuation again") {
					t.Errorf("failure %+v: want a reason with %q and what to do", f, tc.wantFail)
				}
				if pl["eu-only"] != "cell-a" {
					t.Errorf("the failed tenant is on %s, want cell-a", pl["eu-only"])
				}
				if perCell["cell-c"] != 19 {
					t.Errorf("tenants per target %v: want 19 on cell-c", perCell)
				}
				var cp Checkpoint
				data, err := os.ReadFile(cpPath)
				if err == nil {
					err = json.Unmarshal(data, &cp)
				}
				if err != nil || len(cp.Done) != 19 || cp.Failed["eu-only"].Reason == "" || len(cp.InFlight) != 0 || sum.Checkpoint != cpPath {
					t.Errorf("checkpoint after a failure: %v %+v", err, cp)
				}
			}
			if mu.Lock(); last.Moved != len(sum.Moved) || last.InFlight != 0 {
				t.Errorf("last progress %+v, want %d moved and none in flight", last, len(sum.Moved))
			}
			mu.Unlock()
			for id, cell := range pl {
				if cell == "cell-a" {
					continue
				}
				if err := k.CheckMoved(context.Background(), id, "cell-a", cell, seedKeys); err != nil {
					t.Error(err)
				}
			}
			cells, err := k.Directory.CellFlags(context.Background())
			if err != nil || cells["cell-a"].Placement != directory.PlacementClosed {
				t.Errorf("cell-a's placement flag: %v %+v, want closed", err, cells["cell-a"])
			}
		})
	}
}

// TestEvacuateResumesAfterCancel: an evacuation cancelled after a few
// moves leaves a checkpoint; run again with it, it skips the tenants
// moved, moves the rest, and every tenant is off cell-a with its data.
func TestEvacuateResumesAfterCancel(t *testing.T) {
	t.Parallel()
	k := startKit(t)
	seed(t, k)
	cpPath := filepath.Join(t.TempDir(), "evacuate.checkpoint")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := Options{Source: "cell-a", Parallel: 2, Checkpoint: cpPath, Move: moveOptions,
		OnProgress: func(p Progress) {
			if p.Moved >= 5 {
				cancel()
			}
		}}
	first, err := newEvacuator(t, k).Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Moved) < 5 || len(first.Moved) >= 20 || first.NotStarted == 0 || first.Checkpoint != cpPath {
		t.Fatalf("cancelled run: %d moved, %d not started, checkpoint %q; want some of each and the checkpoint", len(first.Moved), first.NotStarted, first.Checkpoint)
	}
	o.OnProgress = nil
	second, err := newEvacuator(t, k).Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if second.Skipped != len(first.Moved) || len(second.Moved) != 20-len(first.Moved) || len(second.Failed) != 0 {
		t.Errorf("rerun: skipped %d, moved %d, failed %+v; want %d skipped and the other %d moved", second.Skipped, len(second.Moved), second.Failed, len(first.Moved), 20-len(first.Moved))
	}
	checkAllMoved(t, k)
}

// TestEvacuateResumesInFlightMove: a move in flight when its evacuation
// was killed (its lock live, journaled at copy) is resumed by the id the
// checkpoint keeps, and finishes. Without the checkpoint the tenant is
// refused (another move holds it) and the others move.
func TestEvacuateResumesInFlightMove(t *testing.T) {
	t.Parallel()
	for _, withCheckpoint := range []bool{true, false} {
		name := "with the checkpoint"
		if !withCheckpoint {
			name = "without it"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			k := startKit(t)
			seed(t, k)
			crashedLock(t, k, "t03", "mv-killed", "cell-c")
			cpPath := filepath.Join(t.TempDir(), "evacuate.checkpoint")
			if withCheckpoint {
				cp := newCheckpoint("cell-a")
				cp.InFlight["t03"] = Entry{Target: "cell-c", MoveID: "mv-killed"}
				f := &checkpointFile{path: cpPath, cp: cp}
				if err := f.change(func(*Checkpoint) {}); err != nil {
					t.Fatal(err)
				}
			}
			sum, err := newEvacuator(t, k).Run(context.Background(), Options{Source: "cell-a", Parallel: 4, Checkpoint: cpPath, Move: moveOptions})
			if err != nil {
				t.Fatal(err)
			}
			if !withCheckpoint {
				if len(sum.Moved) != 19 || len(sum.Failed) != 1 || sum.Failed[0].Tenant != "t03" || !strings.Contains(sum.Failed[0].Reason, "mv-killed") {
					t.Fatalf("moved %d, failed %+v; want t03 refused, held by mv-killed", len(sum.Moved), sum.Failed)
				}
				return
			}
			if len(sum.Moved) != 20 || len(sum.Failed) != 0 {
				t.Fatalf("moved %d, failed %+v; want all 20", len(sum.Moved), sum.Failed)
			}
			for _, m := range sum.Moved {
				if m.Tenant == "t03" && (m.MoveID != "mv-killed" || m.Resumed != mover.StepCopy || m.Target != "cell-c") {
					t.Errorf("t03: %+v, want move mv-killed resumed from copy to cell-c", m)
				}
			}
			checkAllMoved(t, k)
		})
	}
}

// TestOptionsValidate: each rule refuses with what to fix.
func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"ok", Options{Source: "cell-a", To: []string{"cell-b"}, Parallel: 16}, ""},
		{"no source", Options{}, "source: required"},
		{"bad source", Options{Source: "Cell A"}, "is not a cell id"},
		{"parallel negative", Options{Source: "cell-a", Parallel: -1}, "give 1..256"},
		{"parallel too high", Options{Source: "cell-a", Parallel: 1000}, "give 1..256"},
		{"to the source", Options{Source: "cell-a", To: []string{"cell-a"}}, "to[0]: cell-a is the cell being evacuated"},
		{"bad to", Options{Source: "cell-a", To: []string{"b c"}}, `to[0]: "b c" is not a cell id`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.o.Validate()
			if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("Validate() = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestCheckpointOfAnotherCell: a checkpoint of another cell's evacuation
// is refused, and a damaged one too, with what to do.
func TestCheckpointOfAnotherCell(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	other := filepath.Join(dir, "other")
	f := &checkpointFile{path: other, cp: newCheckpoint("cell-z")}
	if err := f.change(func(*Checkpoint) {}); err != nil {
		t.Fatal(err)
	}
	damaged := filepath.Join(dir, "damaged")
	if err := os.WriteFile(damaged, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{other, "is of an evacuation of cell cell-z, not cell-a"},
		{damaged, "is damaged"},
	} {
		if _, _, err := ReadCheckpoint(tc.path, "cell-a"); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ReadCheckpoint(%s) = %v, want %q", tc.path, err, tc.want)
		}
	}
	if _, ok, err := ReadCheckpoint(filepath.Join(dir, "none"), "cell-a"); ok || err != nil {
		t.Errorf("a missing checkpoint: %t %v, want none and no error", ok, err)
	}
}

// TestCheckpointKeepsInterruptedMove: a move interrupted and undone stays
// in flight in the checkpoint, so the rerun resumes it by the same id (a
// lock request of it may land on a cell after the undo); a done or
// failed move leaves the in-flight set.
func TestCheckpointKeepsInterruptedMove(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "cp")
	f := &checkpointFile{path: path, cp: newCheckpoint("cell-a")}
	for _, tn := range []string{"t1", "t2", "t3"} {
		if err := f.started(tn, Entry{Target: "cell-b", MoveID: "mv-" + tn}); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		tenant       string
		done, failed bool
	}{{"t1", true, false}, {"t2", false, true}, {"t3", false, false}}
	for _, s := range steps {
		if err := f.ended(s.tenant, Entry{Target: "cell-b", MoveID: "mv-" + s.tenant, Reason: "r"}, s.done, s.failed); err != nil {
			t.Fatal(err)
		}
	}
	cp, ok, err := ReadCheckpoint(path, "cell-a")
	if !ok || err != nil {
		t.Fatalf("ReadCheckpoint: %t %v", ok, err)
	}
	if got := cp.resumes(); len(got) != 1 || got["t3"].MoveID != "mv-t3" {
		t.Errorf("resumed by id: %+v, want only t3 by mv-t3 (interrupted)", got)
	}
	if _, ok := cp.Done["t1"]; !ok {
		t.Errorf("done: %+v, want t1", cp.Done)
	}
	if e := cp.Failed["t2"]; e.Reason != "r" {
		t.Errorf("failed: %+v, want t2 with its reason", cp.Failed)
	}
}

// TestEvacuateStackFileTenants: a tenant of the stack file (in the
// registry, not yet in the directory) whose cell is evacuated is planned
// like the others, added to the directory as the registry places it, and
// moved with its data; the dry run's plan names it and adds nothing.
func TestEvacuateStackFileTenants(t *testing.T) {
	t.Parallel()
	k := startKit(t)
	seed(t, k)
	ctx := context.Background()
	for i := range seedKeys {
		if _, _, err := k.Cells["cell-a"].Store.Put(ctx, "stackco", movekit.Key(i), []byte(movekit.Value("stackco", i)), state.Cond{}); err != nil {
			t.Fatal(err)
		}
	}
	k.Registry.Tenants = append(k.Registry.Tenants, router.Tenant{ID: "stackco", Cell: "cell-a", Residency: "eu"})
	e := newEvacuator(t, k)
	p, err := e.Plan(ctx, Options{Source: "cell-a", Move: moveOptions}, nil)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(p.Moves, func(a Assignment) bool { return a.Tenant == "stackco" })
	if i < 0 || p.Moves[i].Seed == nil || p.Moves[i].Target != "cell-b" {
		t.Fatalf("plan %+v: want stackco seeded from the stack file, to cell-b (eu)", p.Moves)
	}
	if _, ok := placements(t, k)["stackco"]; ok {
		t.Fatal("the plan added stackco to the directory")
	}
	sum, err := e.Run(ctx, Options{Source: "cell-a", Parallel: 4, Checkpoint: filepath.Join(t.TempDir(), "cp"), Move: moveOptions})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Moved) != 21 || len(sum.Failed) != 0 {
		t.Fatalf("moved %d, failed %+v; want 21 moved", len(sum.Moved), sum.Failed)
	}
	if err := k.CheckMoved(ctx, "stackco", "cell-a", "cell-b", seedKeys); err != nil {
		t.Error(err)
	}
}
