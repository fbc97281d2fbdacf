// Package firestore is the state port's Backend over a Cloud Firestore
// database in Native mode (GCP cells), with cloud.google.com/go/firestore.
//
// # What it stores where
//
// Everything lives in the cell's database (Options.Database) under the
// root collection contract.FirestoreTenants: a tenant's document (its id is
// the tenant id) is the tenant's meta record, and its subcollection
// contract.FirestoreItems holds one document per key ever written, with the
// id contract.FirestoreItemPrefix + key. contract/firestore.go spells out
// the fields. A user key can never name the meta record (it is another
// collection), and item ids sort as the keys do, byte by byte (keys are
// ASCII).
//
// # Consistency
//
// Firestore reads of a document and queries are strongly consistent. A
// record's version is the document's update time, which Firestore changes
// on every write that changes the document: a conditional write is an
// update with an update-time precondition (FAILED_PRECONDITION when the
// document moved on), and a write "only if absent" is a create
// (ALREADY_EXISTS). No transaction is used. Both scans are single queries:
// ScanKeys orders by document id between cursors, ScanSeq ranges over seq,
// which Firestore's automatic single-field index serves.
//
// Errors: a lost condition is state.ErrConflict; every other failure —
// the store unreachable, a call over Options.Timeout, throttling, a denied
// permission — wraps state.ErrUnavailable. A conditional write whose first
// attempt failed in transit and whose retry (the SDK retries Commit on
// UNAVAILABLE) then found the document changed may have been applied by
// that first attempt: it is reported as state.ErrUnavailable, never as a
// conflict, since a conflict tells the core that nothing was written.
//
// # Permissions
//
// datastore.entities.get, .list, .create and .update on the database
// (contract.FirestorePermissions, call by call in contract.FirestoreCalls);
// the tests record the calls the adapter makes and check them against that
// list. In the cloud the client authenticates with Application Default
// Credentials: on Cloud Run, the service's account through the metadata
// server.
//
// # Tests and the emulator
//
// The tests start Google's Cloud Firestore emulator (the jar of the Debian
// package google-cloud-cli-firestore-emulator, which the machine image
// ships; emulator.mk checks it is there) through workload/state/emulator,
// the launcher `cellfabric local --store firestore` uses, on a free
// 127.0.0.1 port, run the
// state port's conformance suite, kill and restart it, and record the
// calls the adapter makes. The Node emulator on npm,
// @firestore-emulator/server 0.3.15, serves the Go client's reads, creates
// and plain queries, but cannot stand in for Firestore here: it ignores
// update-time preconditions (a stale one succeeds), stamps update times in
// milliseconds (two writes in one millisecond share a version), ignores
// ordering by document id and query cursors (start-after returns the
// cursor's own document), matches nothing with a filter on the document
// id, gives transactions no isolation, and listens on every interface.
//
// The package imports the state port, its contract and Google's Firestore
// client only: no Pulumi, no other cloud's SDK.
package firestore
