package embedded

import (
	"testing"

	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/statetest"
)

// BenchmarkPutGet measures a PUT and a GET of a 1 KiB value through the
// port (statetest.BenchPutGet), in memory and over a data directory (every
// PUT is three fsync'd appends: the pending write, the item, the cleared
// meta record).
//
//	go test -run '^$' -bench PutGet -benchtime 2000x ./workload/state/embedded
func BenchmarkPutGet(b *testing.B) {
	for _, mode := range []string{"memory", "durable"} {
		b.Run(mode, func(b *testing.B) {
			be, _ := openMode(b, mode == "durable")
			statetest.BenchPutGet(b, state.New(be))
		})
	}
}
