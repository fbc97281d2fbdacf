package router

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/fabric"
)

// The tenant directory at a million tenants: 12-character ids, each with a
// primary and one failover cell among 8. Run with -benchtime=1x for the
// memory figure and a fixed count (say 2000000x) for the latency ones; see
// BENCHMARKS.md, "Tenant directory (server router)".

const dirBenchTenants = 1_000_000

var (
	dirBenchOnce sync.Once
	dirBenchDir  *Directory
	dirBenchIDs  []string // shuffled, laid out back to back
	dirBenchSnap *Snapshot
)

// dirBenchID is tenant i's id: 12 characters.
func dirBenchID(i int) string { return fmt.Sprintf("tn%010d", i) }

func dirBenchCells() []Cell {
	var cells []Cell
	for i := range 8 {
		id := fmt.Sprintf("cell-%d", i)
		cells = append(cells, Cell{ID: id, Cloud: "aws", Region: "us-east-1", Endpoint: "https://" + id + ".example.com", Weight: 100, State: fabric.CellActive})
	}
	return cells
}

// loadDirBench fills d with the million tenants in batches of 10,000, as a
// feed would.
func loadDirBench(tb testing.TB, d *Directory) {
	r := rand.New(rand.NewPCG(5, 6))
	if _, err := d.Load(func(add func([]Tenant) error) error {
		batch := make([]Tenant, 0, 10_000)
		for i := range dirBenchTenants {
			p := r.IntN(8)
			batch = append(batch, Tenant{ID: dirBenchID(i), Cell: fmt.Sprintf("cell-%d", p), Failover: []string{fmt.Sprintf("cell-%d", (p+1)%8)}, Epoch: 1})
			if len(batch) == cap(batch) {
				if err := add(batch); err != nil {
					return err
				}
				batch = batch[:0]
			}
		}
		return add(batch)
	}); err != nil {
		tb.Fatal(err)
	}
}

func dirBench(b *testing.B) (*Directory, []string, *Snapshot) {
	dirBenchOnce.Do(func() {
		dirBenchDir = NewDirectory()
		loadDirBench(b, dirBenchDir)
		arena := make([]byte, 0, dirBenchTenants*12)
		for i := range dirBenchTenants {
			arena = append(arena, dirBenchID(i)...)
		}
		all := string(arena)
		dirBenchIDs = make([]string, dirBenchTenants)
		for i := range dirBenchIDs {
			dirBenchIDs[i] = all[i*12 : i*12+12]
		}
		rand.New(rand.NewPCG(7, 8)).Shuffle(len(dirBenchIDs), func(i, j int) { dirBenchIDs[i], dirBenchIDs[j] = dirBenchIDs[j], dirBenchIDs[i] })
		var err error
		dirBenchSnap, err = Compile(&Registry{Version: SchemaVersion, Epoch: 1, Cells: dirBenchCells(), Tenants: []Tenant{}})
		if err != nil {
			panic(err)
		}
	})
	return dirBenchDir, dirBenchIDs, dirBenchSnap
}

// BenchmarkDirectoryMemory1M: the heap a Directory of a million tenants
// keeps, per tenant, measured after a GC (run with -benchtime=1x).
func BenchmarkDirectoryMemory1M(b *testing.B) {
	var perTenant float64
	for range b.N {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		d := NewDirectory()
		loadDirBench(b, d)
		runtime.GC()
		runtime.ReadMemStats(&after)
		if d.Len() != dirBenchTenants {
			b.Fatalf("%d tenants loaded", d.Len())
		}
		perTenant = float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / dirBenchTenants
		runtime.KeepAlive(d)
	}
	b.ReportMetric(perTenant, "heap-B/tenant")
}

// BenchmarkDirectoryApply: one change to a random tenant of the million
// (an update to a new epoch), as the server applies a polled change.
func BenchmarkDirectoryApply(b *testing.B) {
	d, ids, _ := dirBench(b)
	entries := make([]Tenant, 1024)
	for i := range entries {
		entries[i] = Tenant{ID: ids[i], Cell: fmt.Sprintf("cell-%d", i%8), Failover: []string{fmt.Sprintf("cell-%d", (i+3)%8)}}
	}
	epoch := int64(1) << 32 // above anything other benchmarks wrote
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		e := &entries[i&1023]
		epoch++
		e.Epoch = epoch
		if _, err := d.Apply(TenantChange{ID: e.ID, Epoch: epoch, Entry: e}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDirectoryDecide1MRandom: look a tenant up among a million, in
// random order, and decide its request (Lookup, Placement.Tenant,
// Snapshot.DecideFor) — what the server does per request. Compare with
// BenchmarkDecide1MRandom (the same through the registry).
func BenchmarkDirectoryDecide1MRandom(b *testing.B) {
	d, ids, snap := dirBench(b)
	h := HealthMap{"cell-3": false}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		id := ids[i%len(ids)]
		p, ok := d.Lookup(id)
		if !ok {
			b.Fatal("not found")
		}
		t := p.Tenant()
		if !snap.DecideFor(Request{Method: "GET", Tenant: id}, &t, h).Forward() {
			b.Fatal("not forwarded") // no Message: it would move the decision, t and p to the heap
		}
	}
}

// BenchmarkDirectoryLookupLatency: the latency of each lookup-and-decide
// among a million tenants, idle and while another goroutine applies
// changes as fast as it can (every change takes a shard's write lock) or
// loads the whole million again and again (building and swapping in a new
// index). Reports p50, p99 and p999 in ns (each includes two clock reads).
// Run with a fixed count, e.g. -benchtime=2000000x.
func BenchmarkDirectoryLookupLatency(b *testing.B) {
	d, ids, snap := dirBench(b)
	h := HealthMap{"cell-3": false}
	for _, bg := range []string{"idle", "applying", "loading"} {
		b.Run(bg, func(b *testing.B) {
			var stop atomic.Bool
			var changes atomic.Int64
			done := make(chan struct{})
			go func() {
				defer close(done)
				switch bg {
				case "applying":
					r := rand.New(rand.NewPCG(9, 10))
					entry := Tenant{Cell: "cell-1", Failover: []string{"cell-2"}}
					epoch := time.Now().UnixNano() // above whatever an earlier run wrote
					for !stop.Load() {
						entry.ID = ids[r.IntN(len(ids))]
						epoch++
						entry.Epoch = epoch
						if _, err := d.Apply(TenantChange{ID: entry.ID, Epoch: epoch, Entry: &entry}); err != nil {
							panic(err)
						}
						changes.Add(1)
					}
				case "loading":
					for !stop.Load() {
						loadDirBench(b, d)
						changes.Add(1)
					}
				}
			}()
			samples := make([]time.Duration, b.N)
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				id := ids[i%len(ids)]
				t0 := time.Now()
				p, ok := d.Lookup(id)
				if !ok {
					b.Fatal("not found")
				}
				t := p.Tenant()
				fwd := snap.DecideFor(Request{Method: "GET", Tenant: id}, &t, h).Forward()
				samples[i] = time.Since(t0)
				if !fwd {
					b.Fatal("not forwarded")
				}
			}
			elapsed := time.Since(start)
			b.StopTimer()
			stop.Store(true)
			<-done
			slices.Sort(samples)
			q := func(f float64) float64 { return float64(samples[int(f*float64(len(samples)-1))]) }
			b.ReportMetric(q(0.5), "p50-ns")
			b.ReportMetric(q(0.99), "p99-ns")
			b.ReportMetric(q(0.999), "p999-ns")
			if bg != "idle" {
				unit := "changes/s"
				if bg == "loading" {
					unit = "loads/s"
				}
				b.ReportMetric(float64(changes.Load())/elapsed.Seconds(), unit)
			}
		})
	}
}
