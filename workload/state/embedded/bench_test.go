package embedded

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/workload/state"
)

// BenchmarkPutGet measures a PUT and a GET of a 1 KiB value through the
// port, in memory and over a data directory (every PUT is three fsync'd
// appends: the pending write, the item, the cleared meta record). It
// reports ops/s and the 99th percentile latency.
//
//	go test -run XXX -bench PutGet -benchtime 2s ./workload/state/embedded/
func BenchmarkPutGet(b *testing.B) {
	value := make([]byte, 1<<10)
	for i := range value {
		value[i] = byte('a' + i%26)
	}
	for _, mode := range []string{"memory", "durable"} {
		dir := ""
		if mode == "durable" {
			dir = b.TempDir()
		}
		be, err := Open(dir, quiet)
		if err != nil {
			b.Fatal(err)
		}
		st := state.New(be)
		key := func(i int) string { return fmt.Sprintf("key-%04d", i%1000) }
		b.Run(mode+"/put", func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			for i := 0; b.Loop(); i++ {
				start := time.Now()
				if _, _, err := st.Put(b.Context(), "bench", key(i), value, state.Cond{}); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
			report(b, lat)
		})
		b.Run(mode+"/get", func(b *testing.B) {
			for i := range 1000 {
				if _, _, err := st.Put(b.Context(), "bench", key(i), value, state.Cond{}); err != nil {
					b.Fatal(err)
				}
			}
			lat := make([]time.Duration, 0, b.N)
			for i := 0; b.Loop(); i++ {
				start := time.Now()
				if _, err := st.Get(b.Context(), "bench", key(i)); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
			report(b, lat)
		})
		if err := st.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// report adds ops/s and the p99 latency to a benchmark's result.
func report(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	var total time.Duration
	for _, d := range lat {
		total += d
	}
	slices.Sort(lat)
	b.ReportMetric(float64(len(lat))/total.Seconds(), "ops/s")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
