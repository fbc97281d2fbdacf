// Package state is the cell contract's state port: the tenant-scoped
// key/value store every cell's workload keeps tenant data in, defined once
// (Store) and implemented once (New) over a small Backend that each cloud's
// adapter provides. The adapters differ only in I/O:
//
//   - state/embedded: in memory, optionally with an append-only log on local
//     disk (`cellfabric local`, tests);
//   - state/dynamo: an Amazon DynamoDB table (aws-sdk-go-v2);
//   - state/aztable: an Azure Storage table (aztables, managed identity);
//   - state/firestore: a Cloud Firestore database.
//
// Open picks one from the environment the cell components set
// (CELLFABRIC_STATE_KIND and the store's name and endpoint).
//
// # Data model
//
// A tenant's data is a set of keys, each with a value of up to
// MaxValueBytes, in its own partition of the store (the tenant is the
// partition key, or the parent document): no operation for one tenant can
// read, list or change another's keys. Every write of a tenant gets the next
// number of the tenant's sequence (Item.Seq, Record.Seq); the number is the
// key's version (its ETag) and orders the tenant's change feed. A delete
// leaves a tombstone, so the feed can carry it.
//
// # The write protocol
//
// No cloud store offers, on every emulator this project tests against,
// transactions across two items, so the protocol needs only what all of
// them have: a strongly consistent read of one item and a write of one item
// on the condition that it is still at the version read (DynamoDB condition
// expressions, Azure ETags, Firestore update-time preconditions).
//
// Each tenant has a meta record: the last sequence number given out and, at
// most, one pending write (key, value or deletion). A write
//
//  1. reads the meta record; if a write is pending it completes that write
//     first (step 4 on its behalf, clearing it) and goes on from the
//     cleared record, or reads it again when the clear lost a race;
//  2. reads the key's item and checks the request's precondition (If-Match,
//     If-None-Match) against it;
//  3. writes the meta record with the next sequence number and the write as
//     pending, on the condition that the meta record is unchanged: this is
//     the moment the write is ordered, and a concurrent write that lost the
//     race starts again at step 1;
//  4. writes the item (on the condition that it is at the version read, or
//     older than the pending write when another writer completes it), then
//     clears the pending write.
//
// The pending write holds the value, so whoever finds it — a concurrent
// writer, a reader of the feed, the same writer after a crash — can finish
// it: a write acknowledged to a client is never lost, and none that was not
// ordered appears. Writes to one tenant are thereby serialised (about five
// round trips each); writes to different tenants never wait for each other.
//
// # Export, change feed, import
//
// Export streams a tenant's live keys whose sequence number is at most the
// tenant's position P when the export began, and returns P. Changes(since
// P) then returns every key whose sequence number is above P — its latest
// value, or a tombstone — in sequence order, each once per call, up to the
// highest number no pending write can still fill. Together they deliver
// every key exactly once at its state at the end of the feed: nothing
// missing, nothing twice, each key's versions in order. Import applies
// records keeping their sequence numbers, a record only when it is newer
// than what the store holds, so it can be repeated and interrupted; the
// tenant's sequence continues above the highest number imported. A batch
// holding a number above MaxSeq, the largest every store keeps, is refused
// whole before anything is written. The
// mover (cellfabric tenants move) is built from these three.
//
// # Fencing and move locks
//
// A tenant that moves between cells must never take writes on two cells,
// whatever routers still believe, so the stores enforce it. The meta
// record also holds the tenant's FenceState and its MoveLock, and every
// adapter persists them with it:
//
//   - Fence: a write (Put, Delete) carries the placement epoch it was
//     routed with (Cond.Epoch, 0 when none) and is refused with a
//     StaleEpochError (ErrStaleEpoch) when the epoch is below Fence; a
//     fence of 0 accepts every write, as before fencing.
//   - FenceAll refuses every write while the tenant is being moved; reads
//     go on.
//   - Moved (with MovedTo, the cell) refuses Get, List, Put and Delete with
//     a MovedError (ErrMoved); Export, Changes, Position, Meta and Import
//     keep working, for the mover.
//   - The move lock (Lock, Renew, Unlock): of two movers of one tenant,
//     exactly one holds it (a LockedError, ErrLocked, names the holder to
//     the other); once it expires, by the store's clock, another move may
//     take it over.
//
// All of it is checked on the meta record the write is ordered against
// (step 3 of the write protocol) and changed by the same conditional write
// of that record: a fence set while a write is in flight makes the write's
// ordering fail, and its next attempt sees the fence. So every write
// acknowledged at an older epoch is ordered before the fence — its
// sequence number is at most the position SetFence returns, where the
// mover's drain of the change feed finds it — and none is ordered after.
// Setting a fence completes a pending write first, like any change of the
// meta record, and a cell whose mover is down keeps its fence: a fenced
// tenant stays fenced (reads work), other tenants are untouched.
//
// The package imports the standard library and fabric only; adapters
// import their cloud's SDK. Nothing here imports Pulumi or the router.
package state
