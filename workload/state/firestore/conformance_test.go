package firestore

import (
	"testing"

	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/statetest"
)

// TestConformance runs the state port's conformance suite against the
// Firestore emulator, a new client per Open (as a second cell instance
// would have). Every call the clients make is recorded, and when the
// suite is done the calls must map exactly onto the permissions declared
// in contract/firestore.go.
func TestConformance(t *testing.T) {
	e := sharedEmulator(t)
	rec := newCallRecorder()
	opts := Options{Project: testProject, Database: testDatabase, Endpoint: e, ClientOptions: rec.options()}
	ping := openTest(t, e, opts)
	waitReady(t, ping)
	// Parallel subtests finish after this function returns; cleanups run
	// after them.
	t.Cleanup(func() {
		if !t.Failed() {
			checkPermissions(t, rec)
		}
	})
	statetest.Run(t, statetest.Harness{
		Open: func(t *testing.T) state.Backend {
			b, err := Open(t.Context(), opts)
			if err != nil {
				t.Fatal(err)
			}
			return b
		},
	})
}
