package dynamo

import (
	"bytes"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/workload/state"
)

// BenchmarkPutGet measures a PUT and a GET of a 1 KiB value through the
// state port (the core's write protocol over this backend) on dynalite:
// ops/s and the 99th percentile latency, one client, then eight clients on
// eight tenants (one tenant's writes are serialised by the protocol). An
// emulator is not DynamoDB: the figures compare, they do not predict.
//
//	go test -run '^$' -bench BenchmarkPutGet -benchtime 2000x ./workload/state/dynamo
func BenchmarkPutGet(b *testing.B) {
	st := state.New(openTest(b, testOptions(shared.Endpoint(), newTable(b, shared.Endpoint(), nil))))
	defer st.Close()
	value := bytes.Repeat([]byte("v"), 1024)
	const keys = 100
	for _, clients := range []int{1, 8} {
		put := func(c, i int) error {
			_, _, err := st.Put(b.Context(), fmt.Sprintf("bench-%d", c), fmt.Sprintf("k%d", i%keys), value, state.Cond{})
			return err
		}
		get := func(c, i int) error {
			_, err := st.Get(b.Context(), fmt.Sprintf("bench-%d", c), fmt.Sprintf("k%d", i%keys))
			return err
		}
		b.Run(fmt.Sprintf("put/clients=%d", clients), func(b *testing.B) { measure(b, clients, put) })
		b.Run(fmt.Sprintf("get/clients=%d", clients), func(b *testing.B) {
			for c := range clients {
				for i := range keys {
					if err := put(c, i); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ResetTimer()
			measure(b, clients, get)
		})
	}
}

// measure runs b.N calls of op spread over clients goroutines (client c
// makes calls c, c+clients, ...) and reports ops/s and p99 latency.
func measure(b *testing.B, clients int, op func(client, i int) error) {
	lat := make([]time.Duration, b.N)
	var wg sync.WaitGroup
	start := time.Now()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := c; i < b.N; i += clients {
				t0 := time.Now()
				if err := op(c, i); err != nil {
					b.Error(err)
					return
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "ops/s")
	b.ReportMetric(float64(lat[(len(lat)*99)/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
}
