package dynamo

import (
	"testing"

	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/statetest"
)

// BenchmarkPutGet measures a PUT and a GET of a 1 KiB value through the
// state port (statetest.BenchPutGet) on dynalite, one client, then eight
// clients on eight tenants (one tenant's writes are serialised by the
// protocol). An emulator is not DynamoDB: the figures compare, they do not
// predict.
//
//	go test -run '^$' -bench PutGet -benchtime 2000x ./workload/state/dynamo
func BenchmarkPutGet(b *testing.B) {
	st := state.New(openTest(b, testOptions(shared.Endpoint(), newTable(b, shared.Endpoint(), nil))))
	defer st.Close()
	statetest.BenchPutGet(b, st, 1, 8)
}
