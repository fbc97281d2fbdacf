// Command reloads measures failed requests while the router takes registry
// reloads under load: workers send requests for 100 tenants and a shared
// route without pause while the registry file is rewritten (atomically) and
// re-read 100 times. Each reload moves every tenant between two cells and
// adds or removes a third cell, so transports and health state are created
// and retired during the run. Target: 0 failed requests.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cellfabric/cellfabric/bench/internal/kit"
	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/source"
)

func main() {
	reloads := flag.Int("reloads", 100, "registry reloads")
	workers := flag.Int("workers", 32, "concurrent client workers")
	pause := flag.Duration("pause", 20*time.Millisecond, "pause between reloads")
	flag.Parse()
	if err := run(*reloads, *workers, *pause); err != nil {
		fmt.Fprintf(os.Stderr, "reloads: %v\n", err)
		os.Exit(1)
	}
}

func registry(epoch int64, cells []*kit.Cell) *router.Registry {
	a, b, c := cells[0], cells[1], cells[2]
	reg := &router.Registry{Version: router.SchemaVersion, Epoch: epoch, UnknownTenants: fabric.PolicyReject,
		Cells: []router.Cell{a.RegistryCell(), b.RegistryCell()}}
	shared := []router.WeightedCell{{Cell: a.ID, Weight: 100}, {Cell: b.ID, Weight: 100}}
	if epoch%2 == 0 {
		reg.Cells = append(reg.Cells, c.RegistryCell())
		shared = append(shared, router.WeightedCell{Cell: c.ID, Weight: 100})
	}
	reg.SharedRoutes = []router.SharedRoute{{Prefix: "/shared", Cells: shared}}
	for i := range 100 {
		p, f := a.ID, b.ID
		if (int64(i)+epoch)%2 == 1 {
			p, f = f, p
		}
		reg.Tenants = append(reg.Tenants, router.Tenant{ID: fmt.Sprintf("t%03d", i), Cell: p, Failover: []string{f}})
	}
	return reg
}

func writeAtomic(path string, reg *router.Registry) error {
	data, err := json.Marshal(reg)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func run(reloads, workers int, pause time.Duration) error {
	var cells []*kit.Cell
	for _, id := range []string{"cell-a", "cell-b", "cell-c"} {
		c, err := kit.StartCell(id)
		if err != nil {
			return err
		}
		defer c.Kill()
		cells = append(cells, c)
	}
	dir, err := os.MkdirTemp("", "cellfabric-reloads-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "registry.json")
	if err := writeAtomic(path, registry(1, cells)); err != nil {
		return err
	}
	store := router.NewStore(nil)
	w := source.NewWatcher(store, source.NewFile(path), source.Options{Interval: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := w.Load(ctx); err != nil {
		return err
	}
	w.Start(ctx)
	rt, err := kit.StartRouter(store, 200*time.Millisecond)
	if err != nil {
		return err
	}
	defer rt.Stop()

	var sent, failed atomic.Int64
	var firstMu sync.Mutex
	var first []string
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := kit.Client(workers)
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(i), 1))
			for {
				select {
				case <-stop:
					return
				default:
				}
				url, tenant := rt.URL+"/", fmt.Sprintf("t%03d", r.IntN(100))
				if r.IntN(10) == 0 {
					url, tenant = rt.URL+"/shared/x", ""
				}
				status, err := kit.Get(client, url, tenant)
				sent.Add(1)
				if err != nil || status != 200 {
					failed.Add(1)
					firstMu.Lock()
					if len(first) < 5 {
						first = append(first, kit.Failure(status, err))
					}
					firstMu.Unlock()
				}
			}
		}()
	}
	time.Sleep(500 * time.Millisecond) // under load before the first reload
	start := time.Now()
	for r := 2; r <= reloads+1; r++ {
		if err := writeAtomic(path, registry(int64(r), cells)); err != nil {
			return err
		}
		w.Trigger()
		deadline := time.Now().Add(5 * time.Second)
		for store.Snapshot().Epoch() != int64(r) {
			if time.Now().After(deadline) {
				return fmt.Errorf("reload to epoch %d not taken within 5s (stats %+v)", r, store.Stats())
			}
			time.Sleep(time.Millisecond)
		}
		time.Sleep(pause)
	}
	took := time.Since(start)
	time.Sleep(500 * time.Millisecond) // and under load after the last
	close(stop)
	wg.Wait()
	st := store.Stats()
	fmt.Printf("%d reloads accepted in %s (refused: %v) while %d workers sent %d requests: %d failed (target 0)\n",
		st.Accepted-1, took.Round(time.Millisecond), st.Refused, workers, sent.Load(), failed.Load())
	for _, f := range first {
		fmt.Printf("  failure: %s\n", f)
	}
	fmt.Printf("RESULT\treloads\t%d\t%d\t%d\n", st.Accepted-1, sent.Load(), failed.Load())
	return nil
}
