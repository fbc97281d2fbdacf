// Command moves measures tenant moves under load (BENCHMARKS.md "Moving
// tenants"): a tenant of -keys keys moves -moves times between two
// reference cells on loopback (back and forth) while -writers clients
// write it and -readers read it through a server router over a tenant
// directory. Per move it reports the write-unavailable window (fence to
// switch), the records drained after the fence and the move's time; at
// the end the window's percentiles, and the zero-loss check: every
// acknowledged write is on the tenant's final cell with its value and
// seq, no cell accepted a write after it was switched away from, and no
// read failed.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/cellfabric/cellfabric/bench/internal/kit"
	"github.com/cellfabric/cellfabric/bench/internal/moverig"
	"github.com/cellfabric/cellfabric/control/mover"
	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/embedded"
)

const tenant = "acme"

func main() {
	moves := flag.Int("moves", 20, "moves to make")
	keys := flag.Int("keys", 10000, "keys of the tenant")
	writers := flag.Int("writers", 32, "clients writing the tenant through the router")
	readers := flag.Int("readers", 4, "clients reading it")
	disk := flag.Bool("disk", false, "the second cell keeps its data on disk (embedded log) instead of in memory")
	lag := flag.Uint64("lag", 500, "the mover's lag threshold (records)")
	flag.Parse()
	if err := run(*moves, *keys, *writers, *readers, *disk, *lag); err != nil {
		log.Fatal(err)
	}
}

func run(moves, nkeys, writers, readers int, disk bool, lag uint64) error {
	second := state.Backend(embedded.New())
	secondKind := "embedded (memory)"
	if disk {
		dir, err := os.MkdirTemp("", "moves-*")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		b, err := embedded.Open(dir, nil)
		if err != nil {
			return err
		}
		second, secondKind = b, "embedded (disk log)"
	}
	rig, err := moverig.Start(moverig.Config{Tenant: tenant, Keys: nkeys, Second: second, Clients: writers + readers + 4})
	if err != nil {
		return err
	}
	defer rig.Close()
	cells := rig.Cells
	ctx := context.Background()
	m, err := rig.Mover()
	if err != nil {
		return err
	}

	w := newWorkload(rig.Client, rig.Router.URL, nkeys, writers, readers)
	time.Sleep(time.Second) // load before the first move
	fmt.Printf("tenant %s: %d keys; cell-a embedded (memory), cell-b %s; %d writers, %d readers through a server router; lag threshold %d\n\n", tenant, nkeys, secondKind, writers, readers, lag)
	fmt.Printf("%-5s %-16s %10s %12s %10s %12s\n", "move", "from → to", "took", "unavailable", "drained", "acked so far")
	var windows []time.Duration
	from, to := "cell-a", "cell-b"
	start := time.Now()
	for i := 1; i <= moves; i++ {
		res, err := m.Move(ctx, mover.Options{Tenant: tenant, Target: to, LagThreshold: lag})
		if err != nil {
			w.Stop()
			return fmt.Errorf("move %d: %w", i, err)
		}
		windows = append(windows, res.WriteUnavailable)
		fmt.Printf("%-5d %-16s %10s %12s %10d %12d\n", i, from+" → "+to, res.Elapsed.Round(time.Millisecond), res.WriteUnavailable.Round(10*time.Microsecond), res.LagAtFence, w.acked.Load())
		// The cell the tenant left accepts nothing more: checked before the
		// tenant moves back to it.
		time.Sleep(200 * time.Millisecond)
		if late, err := lateWrites(cells[from].Store, res.Position); err != nil || late > 0 {
			w.Stop()
			return fmt.Errorf("move %d: cell %s accepted %d writes after the switch at %d (%v)", i, from, late, res.Position, err)
		}
		from, to = to, from
	}
	loadTime := time.Since(start)
	w.Stop()
	lost, err := w.last.Lost(cells[from].Store, tenant)
	if err != nil {
		return err
	}
	slices.Sort(windows)
	pct := func(p float64) time.Duration { return windows[min(len(windows)-1, int(p*float64(len(windows))))] }
	fmt.Printf("\n%d moves in %s under load: write-unavailable window p50 %s, p99 %s, max %s\n", moves, loadTime.Round(time.Second), pct(0.50).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond), windows[len(windows)-1].Round(10*time.Microsecond))
	fmt.Printf("writes: %d acknowledged, %d refused while fenced (503, retried), %d failed otherwise; acknowledged writes lost: %d; writes accepted by a cell after it was switched away from: 0 (checked after each move)\n", w.acked.Load(), w.refused.Load(), w.failed.Load(), lost)
	fmt.Printf("reads: %d, failed: %d\n", w.reads.Load(), w.readFails.Load())
	if lost > 0 || w.readFails.Load() > 0 || w.failed.Load() > 0 {
		return fmt.Errorf("%d acknowledged writes lost, %d reads failed, %d writes failed", lost, w.readFails.Load(), w.failed.Load())
	}
	return nil
}

// lateWrites counts records of the tenant on a cell it left with a seq
// above the switch's position.
func lateWrites(st state.Store, pos uint64) (int, error) {
	recs, _, err := st.Changes(context.Background(), tenant, pos, 0)
	return len(recs), err
}

type workload struct {
	*moverig.Load
	acked, refused   atomic.Int64
	failed           atomic.Int64
	reads, readFails atomic.Int64
	last             moverig.Acked
}

// newWorkload starts the writers (moverig.Load.Writers), counting their
// answers (a write refused while fenced waits a little and goes on), and
// readers of random keys.
func newWorkload(hc *http.Client, url string, nkeys, writers, readers int) *workload {
	w := &workload{Load: moverig.NewLoad()}
	w.Writers(hc, url, tenant, nkeys, writers, func(key, value string, status int, seq uint64, err error) {
		switch {
		case err != nil:
			w.failed.Add(1)
		case status == 200 || status == 201:
			w.last.Add(key, value, seq)
			w.acked.Add(1)
		case status == 503 || status == 421:
			w.refused.Add(1)
			time.Sleep(5 * time.Millisecond)
		default:
			w.failed.Add(1)
		}
	})
	for range readers {
		w.Run(func() {
			st, err := kit.Get(hc, url+"/kv/k"+strconv.Itoa(rand.IntN(nkeys)), tenant)
			w.reads.Add(1)
			if err != nil || st != 200 {
				w.readFails.Add(1)
			}
		})
	}
	return w
}
