package firestore

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/workload/state"
)

// BenchmarkPutGet measures a PUT and a GET of a 1 KiB value through the
// state port (the core's write protocol over this backend) against the
// emulator, one request at a time, over 1000 keys of one tenant. It
// reports ops/s and the 99th percentile latency. An emulator is not the
// cloud: compare the figures with other adapters' on their emulators, not
// with Firestore's.
//
//	go test -run '^$' -bench PutGet -benchtime 2000x ./workload/state/firestore
func BenchmarkPutGet(b *testing.B) {
	e := sharedEmulator(b)
	be := openTest(b, e, Options{})
	waitReady(b, be)
	st := state.New(be)
	tn := fmt.Sprintf("bench-%d", time.Now().UnixNano()%1_000_000)
	value := make([]byte, 1024)
	for i := range value {
		value[i] = byte(i)
	}
	key := func(i int) string { return fmt.Sprintf("key-%04d", i%1000) }
	ctx := context.Background()
	b.Run("Put", func(b *testing.B) {
		lat := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for i := range b.N {
			t0 := time.Now()
			if _, _, err := st.Put(ctx, tn, key(i), value, state.Cond{}); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
		report(b, lat)
	})
	b.Run("Get", func(b *testing.B) {
		// Every key the gets read exists.
		for i := range min(b.N, 1000) {
			if _, _, err := st.Put(ctx, tn, key(i), value, state.Cond{}); err != nil {
				b.Fatal(err)
			}
		}
		lat := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for i := range b.N {
			t0 := time.Now()
			if _, err := st.Get(ctx, tn, key(i%min(b.N, 1000))); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
		report(b, lat)
	})
}

// report adds ops/s and the p99 latency to a benchmark's results.
func report(b *testing.B, lat []time.Duration) {
	b.StopTimer()
	if len(lat) == 0 {
		return
	}
	var total time.Duration
	for _, d := range lat {
		total += d
	}
	slices.Sort(lat)
	b.ReportMetric(float64(len(lat))/total.Seconds(), "ops/s")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
