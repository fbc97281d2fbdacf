package firestore

import (
	"testing"

	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/statetest"
)

// BenchmarkPutGet measures a PUT and a GET of a 1 KiB value through the
// state port (statetest.BenchPutGet) against the emulator. An emulator is
// not the cloud: compare the figures with other adapters' on their
// emulators, not with Firestore's.
//
//	go test -run '^$' -bench PutGet -benchtime 2000x ./workload/state/firestore
func BenchmarkPutGet(b *testing.B) {
	be := openTest(b, sharedEmulator(b), Options{})
	waitReady(b, be)
	statetest.BenchPutGet(b, state.New(be))
}
