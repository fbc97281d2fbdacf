package aztable

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/workload/state"
)

// BenchmarkPutGet writes and reads back a 1 KiB value through the state
// port on azurite, one op at a time: a Put is the core's whole write
// protocol (about five requests), a Get one request. It reports each
// kind's rate and 99th percentile latency. azurite is not Azure: compare
// figures with each other, not with the cloud.
//
//	go test -run '^$' -bench PutGet -benchtime 2000x ./workload/state/aztable
func BenchmarkPutGet(b *testing.B) {
	emu := sharedEmulator(b)
	const table = "bench"
	createTable(b, emu.Endpoint(), table)
	st := state.New(openBackend(b, emulatorOptions(emu.Endpoint(), table)))
	ctx := context.Background()
	value := bytes.Repeat([]byte{0xA5}, 1024)
	puts := make([]time.Duration, 0, b.N)
	gets := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		key := fmt.Sprintf("key-%03d", i%100)
		start := time.Now()
		if _, _, err := st.Put(ctx, "tenant-bench", key, value, state.Cond{}); err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		if _, err := st.Get(ctx, "tenant-bench", key); err != nil {
			b.Fatal(err)
		}
		puts = append(puts, mid.Sub(start))
		gets = append(gets, time.Since(mid))
	}
	b.StopTimer()
	report(b, "put", puts)
	report(b, "get", gets)
}

func report(b *testing.B, kind string, d []time.Duration) {
	slices.Sort(d)
	var total time.Duration
	for _, x := range d {
		total += x
	}
	if total > 0 {
		b.ReportMetric(float64(len(d))/total.Seconds(), kind+"/s")
	}
	b.ReportMetric(float64(d[(len(d)*99)/100].Microseconds())/1000, kind+"-p99-ms")
}
