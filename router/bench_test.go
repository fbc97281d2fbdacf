package router

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router/jsonkeys"
)

const benchTenants = 1_000_000

var (
	benchOnce sync.Once
	benchDoc  []byte
	benchIDs  []string
)

// benchRegistry builds a 1,000,000-tenant registry over 8 cells (each tenant
// with a primary and two failovers) and its JSON.
func benchRegistry(b *testing.B) ([]byte, []string) {
	benchOnce.Do(func() {
		reg := &Registry{Version: SchemaVersion, Epoch: 1, UnknownTenants: fabric.PolicyPlace}
		for i := 0; i < 8; i++ {
			id := fmt.Sprintf("cell-%d", i)
			reg.Cells = append(reg.Cells, Cell{ID: id, Cloud: "aws", Region: "us-east-1", Endpoint: "https://" + id + ".example.com", HealthURL: "https://" + id + ".example.com/healthz", Weight: 100, State: fabric.CellActive})
		}
		r := rand.New(rand.NewPCG(1, 2))
		reg.Tenants = make([]Tenant, benchTenants)
		benchIDs = make([]string, benchTenants)
		for i := range reg.Tenants {
			p := r.IntN(8)
			reg.Tenants[i] = Tenant{
				ID:       fmt.Sprintf("tenant-%07d", i),
				Cell:     reg.Cells[p].ID,
				Failover: []string{reg.Cells[(p+1)%8].ID, reg.Cells[(p+2)%8].ID},
				State:    fabric.TenantActive,
			}
			benchIDs[i] = reg.Tenants[i].ID
		}
		r.Shuffle(len(benchIDs), func(i, j int) { benchIDs[i], benchIDs[j] = benchIDs[j], benchIDs[i] })
		// Lay the request strings out contiguously in visiting order: a
		// request's tenant id is in cache (it was just parsed), so the
		// benchmark should pay for the registry lookup, not for fetching
		// its own input from a random address.
		arena := make([]byte, 0, benchTenants*14)
		for _, id := range benchIDs {
			arena = append(arena, id...)
		}
		all := string(arena)
		for i, off := 0, 0; i < len(benchIDs); i++ {
			n := len(benchIDs[i])
			benchIDs[i] = all[off : off+n]
			off += n
		}
		var err error
		if benchDoc, err = json.Marshal(reg); err != nil {
			panic(err)
		}
	})
	return benchDoc, benchIDs
}

// BenchmarkDecide1MRandom: one routing decision against a 1,000,000-tenant
// registry, tenants visited in random order (cache-unfriendly).
func BenchmarkDecide1MRandom(b *testing.B) {
	doc, ids := benchRegistry(b)
	reg, err := Parse(doc)
	if err != nil {
		b.Fatal(err)
	}
	s, err := Compile(reg)
	if err != nil {
		b.Fatal(err)
	}
	h := HealthMap{"cell-3": false}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d := s.Decide(Request{Method: "GET", Tenant: ids[i%len(ids)]}, h)
		if !d.Forward() {
			b.Fatal(d.Message())
		}
	}
}

// BenchmarkDecide1MHot: the same registry, one tenant over and over (the
// best case: everything in cache).
func BenchmarkDecide1MHot(b *testing.B) {
	doc, ids := benchRegistry(b)
	reg, _ := Parse(doc)
	s, _ := Compile(reg)
	h := HealthMap{"cell-3": false}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if d := s.Decide(Request{Method: "GET", Tenant: ids[0]}, h); !d.Forward() {
			b.Fatal(d.Message())
		}
	}
}

// BenchmarkDecide1MZipf: the same registry with tenants drawn from a Zipf
// distribution (s=1.1), the usual shape of traffic across tenants: a few are
// busy, most are quiet.
func BenchmarkDecide1MZipf(b *testing.B) {
	doc, ids := benchRegistry(b)
	reg, _ := Parse(doc)
	s, _ := Compile(reg)
	h := HealthMap{"cell-3": false}
	z := rand.NewZipf(rand.New(rand.NewPCG(3, 4)), 1.1, 1, benchTenants-1)
	order := make([]string, 1<<20)
	for i := range order {
		order[i] = ids[z.Uint64()]
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if d := s.Decide(Request{Method: "GET", Tenant: order[i&(1<<20-1)]}, h); !d.Forward() {
			b.Fatal(d.Message())
		}
	}
}

// BenchmarkDecidePlacement: an unknown tenant placed by rendezvous hashing
// over 8 cells.
func BenchmarkDecidePlacement(b *testing.B) {
	doc, _ := benchRegistry(b)
	reg, _ := Parse(doc)
	s, _ := Compile(reg)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if d := s.Decide(Request{Method: "GET", Tenant: "somebody-new"}, AllHealthy{}); !d.Forward() {
			b.Fatal(d.Message())
		}
	}
}

// BenchmarkLoadRegistry1M: parse, validate and compile a 1,000,000-tenant
// registry; reports the heap the resulting snapshot keeps per tenant.
func BenchmarkLoadRegistry1M(b *testing.B) {
	doc, _ := benchRegistry(b)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	var retained float64
	for i := 0; i < b.N; i++ {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		reg, err := Parse(doc)
		if err != nil {
			b.Fatal(err)
		}
		s, err := Compile(reg)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		retained = float64(after.HeapAlloc-before.HeapAlloc) / benchTenants
		runtime.KeepAlive(s)
		b.StartTimer()
	}
	b.ReportMetric(retained, "retained-B/tenant")
	b.ReportMetric(float64(len(doc))/benchTenants, "json-B/tenant")
}

// BenchmarkDuplicateKeys1M: the duplicate-key pass alone (part of
// LoadRegistry1M) over the 1,000,000-tenant registry.
func BenchmarkDuplicateKeys1M(b *testing.B) {
	doc, _ := benchRegistry(b)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := jsonkeys.Check(doc); err != nil {
			b.Fatal(err)
		}
	}
}
