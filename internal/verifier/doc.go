// Package verifier proves that no acknowledged write is lost: writer
// goroutines write keys of one tenant continuously, each remembering the
// last value a write of each key was acknowledged with (and the values of
// writes that failed since, which may or may not have landed); when they
// stop, every key is read back and counted as ok, lost (acknowledged, then
// missing) or mismatched (a value no write of it since its last
// acknowledgement carried).
//
// It is the zero-loss check of issue 13 ("0 acknowledged writes lost" under
// a tenant move): the load generator of the local walkthrough
// (bench/kvwriter) runs it through `cellfabric local`'s router, and the
// mover's tests run it while they move a tenant. Writes and reads go
// through a Target: KV is the reference cell's key/value API (PUT and GET
// /kv/<key> with X-Tenant-ID), through a router or anything that speaks
// it; a test may give its own (a state.Store, say).
//
// Each writer owns its keys (no two writers write one key), so a key's
// expected value never depends on how writers interleave.
//
// The package imports the standard library only.
package verifier
