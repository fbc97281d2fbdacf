package statetest

import (
	"bytes"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/workload/state"
)

// benchKeys is how many keys each client of BenchPutGet writes and reads.
const benchKeys = 100

// BenchPutGet measures a PUT and a GET of a 1 KiB value through the state
// port over st (the core's whole write protocol over the adapter's
// backend): for each number of clients (1 when none is given), the
// sub-benchmarks put/clients=N and get/clients=N, each client on a tenant
// of its own (one tenant's writes are serialised by the protocol) cycling
// over 100 keys. It reports ops/s (b.N over the wall time) and the 50th
// and 99th percentile latency in milliseconds. Every adapter's
// BenchmarkPutGet calls it, so their figures compare (BENCHMARKS.md).
func BenchPutGet(b *testing.B, st state.Store, clients ...int) {
	if len(clients) == 0 {
		clients = []int{1}
	}
	value := bytes.Repeat([]byte("v"), 1024)
	run := uniqueRun()
	tenant := func(c int) string { return fmt.Sprintf("bench-%s-%d", run, c) }
	key := func(i int) string { return fmt.Sprintf("key-%03d", i%benchKeys) }
	put := func(c, i int) error {
		_, _, err := st.Put(b.Context(), tenant(c), key(i), value, state.Cond{})
		return err
	}
	get := func(c, i int) error {
		_, err := st.Get(b.Context(), tenant(c), key(i))
		return err
	}
	for _, n := range clients {
		b.Run(fmt.Sprintf("put/clients=%d", n), func(b *testing.B) { measure(b, n, put) })
		b.Run(fmt.Sprintf("get/clients=%d", n), func(b *testing.B) {
			// Every key the gets read exists.
			for c := range n {
				for i := range benchKeys {
					if err := put(c, i); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ResetTimer()
			measure(b, n, get)
		})
	}
}

// measure runs b.N calls of op spread over clients goroutines (client c
// makes calls c, c+clients, ...) and reports ops/s and the p50 and p99
// latency.
func measure(b *testing.B, clients int, op func(client, i int) error) {
	lat := make([]time.Duration, b.N)
	var wg sync.WaitGroup
	start := time.Now()
	for c := range clients {
		wg.Go(func() {
			for i := c; i < b.N; i += clients {
				t0 := time.Now()
				if err := op(c, i); err != nil {
					b.Error(err)
					return
				}
				lat[i] = time.Since(t0)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "ops/s")
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
