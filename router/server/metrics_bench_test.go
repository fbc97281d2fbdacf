package server

import (
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/router"
)

// BenchmarkObserve measures the per-request metric update: what every
// proxied request pays for its status counter and latency bucket. It must
// stay at 0 allocs/op.
func BenchmarkObserve(b *testing.B) {
	m := newMetrics()
	cell := &router.Cell{ID: "cell-a", Cloud: "aws"}
	m.cell(cell.ID, string(cell.Cloud))
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m.observe(cell, 200, 3*time.Millisecond)
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				m.observe(cell, 200, 3*time.Millisecond)
			}
		})
	})
}
