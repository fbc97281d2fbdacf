// Package statetest is the state port's conformance suite: one set of tests
// that every adapter's backend passes against a real implementation of its
// store (the embedded store, dynalite for DynamoDB, azurite for Azure Table
// Storage, the Firestore emulator), so the port behaves alike on every
// cloud.
//
// An adapter's test calls Run with a Harness that opens its backend.
package statetest

import (
	"testing"

	"github.com/cellfabric/cellfabric/workload/state"
)

// Harness opens the backend under test.
type Harness struct {
	// Open returns a backend over the store under test. Every call opens a
	// new client over the same store (another cell instance, as a second
	// process would): what one writes, the next must read. The suite
	// closes what it opens. Required.
	Open func(t *testing.T) state.Backend
	// Keys is how many keys the pagination test stores. Zero: 10,000.
	Keys int
	// Writes is how many writes each of the four writers of the
	// export-and-feed test makes. Zero: 250.
	Writes int
}

// Run runs the conformance suite. Each test uses tenants of its own, so the
// store may be shared with other tests.
func Run(t *testing.T, h Harness) {
	if h.Keys == 0 {
		h.Keys = 10_000
	}
	if h.Writes == 0 {
		h.Writes = 250
	}
	s := &suite{h: h, run: uniqueRun()}
	tests := []struct {
		name string
		fn   func(t *testing.T)
	}{
		{"RoundTripAtLimits", s.roundTripAtLimits},
		{"InvalidInputStoresNothing", s.invalidInput},
		{"NotFoundAndTombstones", s.notFoundAndTombstones},
		{"Preconditions", s.preconditions},
		{"ConditionalWriteRace", s.conditionalRace},
		{"CreateRace", s.createRace},
		{"TenantIsolation", s.tenantIsolation},
		{"TwoInstancesOneStore", s.twoInstances},
		{"Pagination", s.pagination},
		{"ExportAndFeedUnderWrites", s.exportAndFeed},
		{"ImportIsIdempotent", s.importIdempotent},
		{"ImportRefusesSequenceOverflow", s.importSeqBound},
		{"CrashedWriterIsCompleted", s.crashedWriter},
		{"FenceRefusesStaleEpochs", s.staleEpoch},
		{"FenceAllRefusesWritesNotReads", s.fenceAll},
		{"MovedRefusesReadsAndWrites", s.moved},
		{"FenceRacesWrites", s.fenceRace},
		{"LockRaceHasOneWinner", s.lockRace},
		{"LockExpiryRenewAndUnlock", s.lockLifecycle},
		{"FenceAndLockInvalidStoreNothing", s.fenceInvalid},
		{"FenceAndLockPersist", s.fencePersists},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t)
		})
	}
}
