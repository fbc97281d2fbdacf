package server

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/health"
)

// benchFeed is a directory of n tenants spread over cells, as a feed
// serves it: loaded in batches, no changes.
type benchFeed struct {
	n     int
	cells []string
}

func benchTenantID(i int) string { return fmt.Sprintf("tn%010d", i) }

func (f benchFeed) Load(_ context.Context, each func([]router.Tenant) error) (string, error) {
	batch := make([]router.Tenant, 0, 10_000)
	for i := range f.n {
		p := i % len(f.cells)
		batch = append(batch, router.Tenant{ID: benchTenantID(i), Cell: f.cells[p], Failover: []string{f.cells[(p+1)%len(f.cells)]}, Epoch: 1})
		if len(batch) == cap(batch) {
			if err := each(batch); err != nil {
				return "", err
			}
			batch = batch[:0]
		}
	}
	return "0", each(batch)
}

func (benchFeed) Changes(_ context.Context, pos string) ([]router.TenantChange, string, error) {
	return nil, pos, nil
}

// BenchmarkServeDirectory1M: whole requests through Router.ServeHTTP to a
// loopback upstream, with a million tenants in the directory. The
// registry-tenant and directory-tenant cases compare what a directory
// lookup adds to a request (time and allocations); the latency cases time
// each request for directory tenants idle, while batches of 100 changes
// are applied every 10 ms (10,000 changes/s, as polls would bring them),
// and while one goroutine applies changes as fast as it can (on a 2-core
// machine that takes a core from the requests); they report p50 and p99.
// Run with a fixed count, e.g. -benchtime=20000x.
func BenchmarkServeDirectory1M(b *testing.B) {
	up := func() *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) }))
	}
	ua, ub := up(), up()
	defer ua.Close()
	defer ub.Close()
	cells := []router.Cell{
		{ID: "cell-a", Cloud: "aws", Region: "local", Endpoint: ua.URL, Weight: 100},
		{ID: "cell-b", Cloud: "gcp", Region: "local", Endpoint: ub.URL, Weight: 100},
	}
	store := router.NewStore(nil)
	if err := store.Install(registry(1, cells, router.Tenant{ID: "seeded", Cell: "cell-a", Failover: []string{"cell-b"}}), "bench"); err != nil {
		b.Fatal(err)
	}
	const tenants = 1_000_000
	rt, err := New(Config{Store: store, Health: health.New(health.Config{Interval: time.Hour}), DirectoryFeed: benchFeed{n: tenants, cells: []string{"cell-a", "cell-b"}}, DirectoryPoll: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); rt.dirDone.Wait() }()
	rt.startDirectory(ctx)
	for !rt.DirectoryStatus().Loaded {
		time.Sleep(10 * time.Millisecond)
	}
	ids := make([]string, 1<<16)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range ids {
		ids[i] = benchTenantID(r.IntN(tenants))
	}
	serve := func(id string) {
		req := httptest.NewRequest("GET", "http://router/x", nil)
		req.Header.Set("X-Tenant-ID", id)
		w := httptest.NewRecorder()
		rt.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("tenant %s: %d %s", id, w.Code, w.Body)
		}
	}
	b.Run("registry-tenant", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			serve("seeded")
		}
	})
	b.Run("directory-tenant", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			serve(ids[i&(len(ids)-1)])
			i++
		}
	})
	for _, bg := range []string{"idle", "applying-batches", "applying-flat-out"} {
		b.Run("latency-"+bg, func(b *testing.B) {
			var stop atomic.Bool
			var applied atomic.Int64
			done := make(chan struct{})
			go func() {
				defer close(done)
				r := rand.New(rand.NewPCG(3, 4))
				e := router.Tenant{Cell: "cell-b", Failover: []string{"cell-a"}}
				epoch := time.Now().UnixNano()
				apply := func() {
					e.ID = benchTenantID(r.IntN(tenants))
					epoch++
					e.Epoch = epoch
					if _, err := rt.Directory().Apply(router.TenantChange{ID: e.ID, Epoch: epoch, Entry: &e}); err != nil {
						panic(err)
					}
					applied.Add(1)
				}
				switch bg {
				case "applying-batches": // a poll bringing 100 changes every 10 ms
					tick := time.NewTicker(10 * time.Millisecond)
					defer tick.Stop()
					for !stop.Load() {
						<-tick.C
						for range 100 {
							apply()
						}
					}
				case "applying-flat-out": // as fast as one goroutine can
					for !stop.Load() {
						apply()
					}
				}
			}()
			samples := make([]time.Duration, 0, b.N)
			start := time.Now()
			for i := 0; b.Loop(); i++ {
				t0 := time.Now()
				serve(ids[i&(len(ids)-1)])
				samples = append(samples, time.Since(t0))
			}
			elapsed := time.Since(start)
			stop.Store(true)
			<-done
			slices.Sort(samples)
			q := func(f float64) float64 { return float64(samples[int(f*float64(len(samples)-1))]) }
			b.ReportMetric(q(0.5), "p50-ns")
			b.ReportMetric(q(0.99), "p99-ns")
			if bg != "idle" {
				b.ReportMetric(float64(applied.Load())/elapsed.Seconds(), "changes/s")
			}
		})
	}
}
