package firestore

import (
	"testing"

	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/statetest"
)

// TestConformance runs the state port's conformance suite against the
// Firestore emulator, a new client per Open (as a second cell instance
// would have).
func TestConformance(t *testing.T) {
	e := sharedEmulator(t)
	waitReady(t, openTest(t, e, Options{}))
	statetest.Run(t, statetest.Harness{
		Open: func(t *testing.T) state.Backend {
			b, err := Open(t.Context(), Options{Project: testProject, Database: testDatabase, Endpoint: e.addr})
			if err != nil {
				t.Fatal(err)
			}
			return b
		},
	})
}
