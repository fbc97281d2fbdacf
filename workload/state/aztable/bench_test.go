package aztable

import (
	"testing"

	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/statetest"
)

// BenchmarkPutGet measures a PUT and a GET of a 1 KiB value through the
// state port (statetest.BenchPutGet) on azurite: a Put is the core's whole
// write protocol (about five requests), a Get one request. azurite is not
// Azure: compare figures with each other, not with the cloud.
//
//	go test -run '^$' -bench PutGet -benchtime 2000x ./workload/state/aztable
func BenchmarkPutGet(b *testing.B) {
	statetest.BenchPutGet(b, state.New(sharedTable(b, "bench")))
}
