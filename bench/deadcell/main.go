// Command deadcell measures how long the router keeps choosing a cell after
// the cell dies: a tenant's primary cell is killed (listener and
// connections closed at once, as in a crash) at a random moment relative to
// the health-check schedule, and the time until the router's health view
// reports it unhealthy — from then on no decision picks it — is recorded.
// Two cases: idle (only active checks can notice) and under load (the
// requests that hit the dead cell are retried on the failover cell and
// count towards passive ejection). Target: at most 2 check intervals.
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cellfabric/cellfabric/bench/internal/kit"
	"github.com/cellfabric/cellfabric/router"
)

func main() {
	trials := flag.Int("trials", 10, "trials per case")
	interval := flag.Duration("interval", 500*time.Millisecond, "active health check interval")
	rate := flag.Int("rate", 500, "requests per second in the loaded case")
	flag.Parse()
	for _, loaded := range []bool{false, true} {
		if err := measure(*trials, *interval, loaded, *rate); err != nil {
			fmt.Fprintf(os.Stderr, "deadcell: %v\n", err)
			os.Exit(1)
		}
	}
}

func measure(trials int, interval time.Duration, loaded bool, rate int) error {
	name := "idle"
	if loaded {
		name = fmt.Sprintf("load %d/s", rate)
	}
	var times []time.Duration
	var failedTotal, sentTotal int64
	for range trials {
		d, sent, failed, err := trial(interval, loaded, rate)
		if err != nil {
			return err
		}
		times = append(times, d)
		sentTotal += sent
		failedTotal += failed
	}
	slices.Sort(times)
	med, worst := times[len(times)/2], times[len(times)-1]
	in := func(d time.Duration) float64 { return float64(d) / float64(interval) }
	fmt.Printf("%s: dead cell out of rotation after median %v (%.2f intervals), worst %v (%.2f intervals) of %d trials; interval %v; client-visible failures %d of %d requests\n",
		name, med.Round(time.Millisecond), in(med), worst.Round(time.Millisecond), in(worst), trials, interval, failedTotal, sentTotal)
	fmt.Printf("RESULT\tdeadcell\t%s\t%.0f\t%.2f\t%.0f\t%.2f\t%d\t%d\n", name, float64(med)/1e6, in(med), float64(worst)/1e6, in(worst), failedTotal, sentTotal)
	return nil
}

func trial(interval time.Duration, loaded bool, rate int) (time.Duration, int64, int64, error) {
	a, err := kit.StartCell("cell-a")
	if err != nil {
		return 0, 0, 0, err
	}
	defer a.Kill()
	b, err := kit.StartCell("cell-b")
	if err != nil {
		return 0, 0, 0, err
	}
	defer b.Kill()
	store := router.NewStore(nil)
	reg := &router.Registry{Version: router.SchemaVersion, Epoch: 1,
		Cells:   []router.Cell{a.RegistryCell(), b.RegistryCell()},
		Tenants: []router.Tenant{{ID: "acme", Cell: a.ID, Failover: []string{b.ID}}}}
	if err := store.Install(reg, "bench"); err != nil {
		return 0, 0, 0, err
	}
	rt, err := kit.StartRouter(store, interval)
	if err != nil {
		return 0, 0, 0, err
	}
	defer rt.Stop()
	h := rt.Router.Health()
	// Let a few checks pass, then kill at a random phase of the schedule.
	time.Sleep(2*interval + rand.N(interval))
	if !h.Healthy(a.ID) {
		return 0, 0, 0, fmt.Errorf("cell a is not healthy before the kill")
	}
	var sent, failed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	if loaded {
		client := kit.Client(16)
		tick := time.NewTicker(time.Second / time.Duration(rate))
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer tick.Stop()
			var inner sync.WaitGroup
			defer inner.Wait()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				inner.Add(1)
				go func() {
					defer inner.Done()
					status, err := kit.Get(client, rt.URL+"/", "acme")
					sent.Add(1)
					if err != nil || status != 200 {
						failed.Add(1)
					}
				}()
			}
		}()
		time.Sleep(100 * time.Millisecond)
	}
	a.Kill()
	killed := time.Now()
	for h.Healthy(a.ID) {
		if time.Since(killed) > 10*interval+5*time.Second {
			close(stop)
			wg.Wait()
			return 0, 0, 0, fmt.Errorf("cell a still healthy %v after it died", time.Since(killed))
		}
		time.Sleep(200 * time.Microsecond)
	}
	took := time.Since(killed)
	time.Sleep(100 * time.Millisecond)
	close(stop)
	wg.Wait()
	return took, sent.Load(), failed.Load(), nil
}
