package dirhttp

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/router"
)

// BenchmarkImport is the import path without the CLI: batches of 1000 new
// entries through the Client, signed, over loopback HTTP to the Handler,
// into a Directory over Memory, four batches in flight (the CLI's default
// --parallel). It reports entries/s.
func BenchmarkImport(b *testing.B) {
	s := newServer(b, nil)
	c := s.client(b, nil)
	ctx := context.Background()
	var next atomic.Int64
	b.SetParallelism(4) // × GOMAXPROCS goroutines; each sends one batch at a time
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		entries := make([]router.Tenant, directory.MaxBatch)
		for pb.Next() {
			base := next.Add(directory.MaxBatch)
			for i := range entries {
				entries[i] = router.Tenant{ID: fmt.Sprintf("b%09d", base+int64(i)), Cell: "aws-use1", Failover: []string{"gcp-usc1"}}
			}
			res, err := c.Batch(ctx, entries, directory.ModeUpsert)
			if err != nil {
				b.Error(err)
				return
			}
			if res[0].Outcome != directory.OutcomeAdded {
				b.Errorf("result %+v", res[0])
				return
			}
		}
	})
	b.ReportMetric(float64(b.N*directory.MaxBatch)/b.Elapsed().Seconds(), "entries/s")
}
