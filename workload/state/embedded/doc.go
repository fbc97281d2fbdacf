// Package embedded is the state port's embedded adapter: a state.Backend
// that keeps every tenant's meta record and items in the process's memory
// (New), and with a data directory also in an append-only log on local
// disk (Open), so `cellfabric local --data-dir` and `cellfabric cell
// --data-dir` keep tenant data across restarts. A cloud cell never uses it
// (its disk is gone at every restart); tests and local runs do.
//
// # Memory
//
// Each tenant has a meta record and a map of items (tombstones included)
// with two sorted indexes, by key and by sequence number, for the ordered
// scans. Versions are a counter of the process: they change with every
// write and mean nothing after a restart (the core reads a record's
// version before it writes it). Values and pending copies together are
// bounded by MaxStoreBytes: a write that does not fit fails with
// state.ErrFull when it is ordered, never once it is ordered (its tenant's
// next write would have to complete it, and could not).
//
// # The log
//
// With a data directory DIR, DIR/kv.log holds a header and one record per
// successful PutMeta or PutItem: the whole meta record (sequence number and
// pending write with its value) or the whole item (key, sequence number,
// deleted, value), framed by its length and a CRC-32C (record.go has the
// layout). A write is checked, appended and fsync'd under the store's lock
// before it is applied in memory and acknowledged, so the log's order is
// the memory's. Opening replays the log: the last record of each meta
// record and item is the state. A torn last record (a crash in the middle
// of an append, never acknowledged) is cut off; damage anywhere else
// refuses to open, so acknowledged data is never dropped silently.
//
// When the log has grown past CompactMinBytes and to more than twice what
// the live records take, it is rewritten: every meta record and item,
// tombstones included (the change feed needs them), goes to
// DIR/kv.log.tmp, which is fsync'd and renamed over kv.log before the
// directory is fsync'd, so a crash leaves either the old log or the new
// one. Writes wait for a compaction; reads go on.
//
// After a failed append or fsync the file's state is unknown: the store
// refuses every later write with an error wrapping state.ErrUnavailable
// and Ping reports it until the process restarts; reads of acknowledged
// data go on. One store has a directory open at a time: Open takes an
// exclusive flock on DIR/kv.lock (on Linux, macOS and the BSDs; elsewhere
// that is the operator's to ensure).
//
// The log's format is version 3 (header "cellfabric-kv-v3"): version 2
// with a third kind of record, a meta record with the tenant's fence and
// move lock (written only for a tenant that has one). A version 2 log is a
// version 3 log with an older header: opening one rewrites the header's
// digit in place and keeps every record (testdata/v2.log, written by the
// version 2 store, is opened by the tests). A version 1 log, written by the
// reference cell's own store before the state port, is converted when
// opened: its live keys get sequence numbers 1, 2, ... per tenant in key
// order, the original is kept as DIR/kv.log.v1, and the new log replaces
// it by the same temporary file and rename.
//
// The package imports the standard library, fabric and workload/state
// only: no cloud SDK, no Pulumi, nothing of the router.
package embedded
