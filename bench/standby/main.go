// Command standby measures a warm standby's RPO under load (BENCHMARKS.md
// "Moving tenants"): a tenant of -keys keys is written by -writers
// clients through a server router on cell-a while a follower
// (control/mover's Follower, what `cellfabric standby run` runs) applies
// its change feed to cell-b. Every -every for -duration it samples the
// follower's lag: the age it reports (the time since the standby was last
// known to hold every acknowledged write) and, from the writers' own
// acknowledgements, the true age of the oldest acknowledged write the
// standby did not hold yet. At the end it prints both distributions and,
// once the writers stop and the standby catches up, checks that it holds
// every acknowledged write with its value and seq.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cellfabric/cellfabric/bench/internal/moverig"
	"github.com/cellfabric/cellfabric/control/mover"
)

const tenant = "acme"

func main() {
	keys := flag.Int("keys", 10000, "keys of the tenant")
	writers := flag.Int("writers", 32, "clients writing the tenant through the router")
	duration := flag.Duration("duration", 30*time.Second, "how long to sample the lag under load")
	every := flag.Duration("every", 100*time.Millisecond, "how often to sample it")
	flag.Parse()
	if err := run(*keys, *writers, *duration, *every); err != nil {
		log.Fatal(err)
	}
}

// sample is one reading of the lag.
type sample struct {
	at       time.Time
	applied  uint64
	reported time.Duration
}

func run(nkeys, writers int, duration, every time.Duration) error {
	rig, err := moverig.Start(moverig.Config{Tenant: tenant, Failover: []string{"cell-b"}, Keys: nkeys, Clients: writers + 4})
	if err != nil {
		return err
	}
	defer rig.Close()
	a, b := rig.Cells["cell-a"], rig.Cells["cell-b"]
	ctx := context.Background()
	m, err := rig.Mover()
	if err != nil {
		return err
	}
	f, err := m.Follower(ctx, mover.StandbyOptions{Tenant: tenant})
	if err != nil {
		return err
	}
	fctx, stopFollower := context.WithCancel(ctx)
	defer stopFollower()
	followed := make(chan error, 1)
	go func() { followed <- f.Run(fctx) }()

	w := newWorkload(rig.Client, rig.Router.URL, nkeys, writers)
	for f.Lag().CurrentAt.IsZero() { // seeded
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Printf("tenant %s: %d keys (100-byte values); cell-a → cell-b, both embedded (memory); %d writers through a server router; load average at start %s\n", tenant, nkeys, writers, moverig.Loadavg())
	var samples []sample
	t := time.NewTicker(every)
	end := time.Now().Add(duration)
	ackedAtStart := w.acked.Load()
	for now := range t.C {
		l := f.Lag()
		samples = append(samples, sample{at: now, applied: l.Applied, reported: l.Age})
		if now.After(end) {
			break
		}
	}
	t.Stop()
	acked := w.acked.Load() - ackedAtStart
	la := moverig.Loadavg()
	w.Stop()
	pos, err := a.Store.Position(ctx, tenant)
	if err != nil {
		return err
	}
	caught := time.Now()
	for f.Lag().Applied < pos {
		time.Sleep(5 * time.Millisecond)
		if time.Since(caught) > time.Minute {
			return fmt.Errorf("the standby never caught up with position %d (at %d)", pos, f.Lag().Applied)
		}
	}
	stopFollower()
	if err := <-followed; err != nil {
		return fmt.Errorf("follower: %w", err)
	}

	// The true RPO of each sample: the age of the oldest write acknowledged
	// by then whose seq the standby did not hold.
	acks := w.acks()
	truth := make([]time.Duration, len(samples))
	reported := make([]time.Duration, len(samples))
	under := 0
	for i, s := range samples {
		for _, a := range acks {
			if a.seq > s.applied && !a.at.After(s.at) {
				truth[i] = max(truth[i], s.at.Sub(a.at))
			}
		}
		reported[i] = s.reported
		if s.reported < truth[i] {
			under++
		}
	}
	lost, err := w.last.Lost(b.Store, tenant)
	if err != nil {
		return err
	}
	pct := func(ds []time.Duration, p float64) time.Duration {
		ds = slices.Clone(ds)
		slices.Sort(ds)
		return ds[min(len(ds)-1, int(p*float64(len(ds))))]
	}
	r := func(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
	fmt.Printf("%d samples over %s, %d writes acknowledged meanwhile (%.0f/s); load average at the end %s\n", len(samples), duration, acked, float64(acked)/duration.Seconds(), la)
	fmt.Printf("RPO reported by the follower (age since last current): p50 %s, p99 %s, max %s\n", r(pct(reported, 0.5)), r(pct(reported, 0.99)), r(pct(reported, 1)))
	fmt.Printf("RPO from the writers' acks (oldest acknowledged write not on the standby): p50 %s, p99 %s, max %s\n", r(pct(truth, 0.5)), r(pct(truth, 0.99)), r(pct(truth, 1)))
	fmt.Printf("samples where the follower reported less than the truth: %d\n", under)
	fmt.Printf("after the writers stopped: the standby caught up with position %d; acknowledged writes missing on it: %d of %d keys\n", pos, lost, w.last.Keys())
	if lost > 0 || under > 0 {
		return fmt.Errorf("%d acknowledged writes missing on the standby, %d samples under-reported", lost, under)
	}
	return nil
}

// ack is an acknowledged write's seq and when it was acknowledged.
type ack struct {
	seq uint64
	at  time.Time
}

type workload struct {
	*moverig.Load
	acked atomic.Int64
	last  moverig.Acked
	mu    sync.Mutex
	all   []ack
}

// newWorkload starts the writers (moverig.Load.Writers) and keeps every
// acknowledgement with its time.
func newWorkload(hc *http.Client, url string, nkeys, writers int) *workload {
	w := &workload{Load: moverig.NewLoad()}
	w.Writers(hc, url, tenant, nkeys, writers, func(key, value string, status int, seq uint64, err error) {
		if err != nil || (status != 200 && status != 201) {
			return
		}
		w.last.Add(key, value, seq)
		w.mu.Lock()
		w.all = append(w.all, ack{seq: seq, at: time.Now()})
		w.mu.Unlock()
		w.acked.Add(1)
	})
	return w
}

func (w *workload) acks() []ack {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.all
}
