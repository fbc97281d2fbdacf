// Command evacuate measures a cell evacuation (BENCHMARKS.md "Moving
// tenants"): -tenants tenants of -keys keys each leave a reference cell
// whose store is the embedded adapter in memory for -targets cells whose
// stores are the embedded adapter on disk (an fsync'd log), through
// control/evacuate (what `cellfabric cells evacuate` runs), -parallel
// moves at once, all on loopback. It prints the elapsed time, moves/s,
// the write-unavailable window's percentiles and the load average, and
// checks that every tenant is on a target with every key and value, and
// refused as moved by the source.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"slices"
	"time"

	"github.com/cellfabric/cellfabric/bench/internal/moverig"
	"github.com/cellfabric/cellfabric/control/evacuate"
	"github.com/cellfabric/cellfabric/control/mover"
	"github.com/cellfabric/cellfabric/internal/movekit"
	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/embedded"
)

func main() {
	tenants := flag.Int("tenants", 1000, "tenants on the evacuated cell")
	keys := flag.Int("keys", 100, "keys per tenant")
	parallel := flag.Int("parallel", 16, "moves at once")
	targets := flag.Int("targets", 2, "target cells (embedded on disk)")
	flag.Parse()
	if err := run(*tenants, *keys, *parallel, *targets); err != nil {
		log.Fatal(err)
	}
}

func run(ntenants, nkeys, parallel, ntargets int) error {
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "bench-evacuate-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	specs := []movekit.CellSpec{{ID: "src", Geo: "eu", Backend: embedded.New()}}
	for i := range ntargets {
		dir := fmt.Sprintf("%s/t%d", tmp, i)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		b, err := embedded.Open(dir, nil)
		if err != nil {
			return err
		}
		specs = append(specs, movekit.CellSpec{ID: fmt.Sprintf("disk-%d", i), Geo: "eu", Backend: b})
	}
	k, err := movekit.Start(specs)
	if err != nil {
		return err
	}
	defer k.Close()
	ids := make([]string, ntenants)
	for i := range ids {
		ids[i] = fmt.Sprintf("tenant-%04d", i)
	}
	seeded := time.Now()
	if err := k.Seed(ctx, "src", "", ids, nkeys); err != nil {
		return err
	}
	fmt.Printf("seeded %d tenants × %d keys on src (embedded, memory) in %s; targets: %d cells on embedded (disk)\n", ntenants, nkeys, time.Since(seeded).Round(time.Millisecond), ntargets)
	m, err := mover.New(mover.Config{Directory: k.Dir, Registry: k.Registry, Health: k.Health,
		Cells: func(id string) (mover.CellState, error) { return k.CellAPI(id) }})
	if err != nil {
		return err
	}
	ev, err := evacuate.New(evacuate.Config{Directory: k.Dir, Mover: m, Registry: k.Registry, Health: k.Health})
	if err != nil {
		return err
	}
	fmt.Printf("load average before: %s\n", moverig.Loadavg())
	sum, err := ev.Run(ctx, evacuate.Options{Source: "src", Parallel: parallel, Checkpoint: tmp + "/checkpoint"})
	if err != nil {
		return err
	}
	fmt.Printf("load average after:  %s\n", moverig.Loadavg())
	windows := make([]time.Duration, 0, len(sum.Moved))
	moves := make([]time.Duration, 0, len(sum.Moved))
	per := map[string]int{}
	for _, mv := range sum.Moved {
		windows = append(windows, mv.WriteUnavailable)
		moves = append(moves, mv.Elapsed)
		per[mv.Target]++
	}
	slices.Sort(windows)
	slices.Sort(moves)
	fmt.Printf("evacuated %d tenants × %d keys with -parallel %d in %s: %.1f moves/s; per target %v; failed %d\n",
		len(sum.Moved), nkeys, parallel, sum.Elapsed.Round(time.Millisecond), sum.MovesPerSecond, per, len(sum.Failed))
	fmt.Printf("write-unavailable window (fence → switch): p50 %s  p99 %s  max %s\n", pct(windows, 50), pct(windows, 99), pct(windows, 100))
	fmt.Printf("one move's time:                          p50 %s  p99 %s  max %s\n", pct(moves, 50), pct(moves, 99), pct(moves, 100))
	for _, f := range sum.Failed {
		fmt.Printf("failed: %s: %s\n", f.Tenant, f.Reason)
	}
	// The zero-loss check: every key on the tenant's target, the source
	// refusing the tenant.
	lost := 0
	for _, mv := range sum.Moved {
		if err := k.CheckMoved(ctx, mv.Tenant, "src", mv.Target, nkeys); err != nil {
			lost++
			if lost <= 5 {
				fmt.Println("check:", err)
			}
		}
	}
	left := 0
	for _, id := range ids {
		if _, err := k.Cells["src"].Store.Get(ctx, id, movekit.Key(0)); err == nil || !isMoved(err) {
			left++
		}
	}
	fmt.Printf("check: %d tenants with a key missing or wrong, %d tenants still served by src\n", lost, left)
	if lost > 0 || left > 0 || len(sum.Failed) > 0 {
		return fmt.Errorf("the evacuation lost data or left tenants behind")
	}
	return nil
}

func isMoved(err error) bool { return errors.Is(err, state.ErrMoved) }

// pct is the p-th percentile of sorted ds.
func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	i := (len(ds)*p + 99) / 100
	i = min(max(i-1, 0), len(ds)-1)
	return ds[i].Round(time.Millisecond)
}
