package state

import (
	"context"
	"errors"
)

// Backend is what an adapter gives the core: single-record reads and
// conditional single-record writes in a tenant's partition, and two ordered
// scans. Everything else — sequence numbers, preconditions, tombstones,
// the pending write, the feed's horizon, limits — is the core's, so it
// behaves alike on every cloud. A Backend must be safe for concurrent use;
// reads must be strongly consistent.
//
// A tenant's partition holds one meta record and one item per key that was
// ever written (tombstones included). Versions are opaque tokens the
// backend gives out: a DynamoDB version attribute, an Azure ETag, a
// Firestore update time.
type Backend interface {
	// GetMeta reads the tenant's meta record. found is false when the tenant
	// has none (no write yet).
	GetMeta(ctx context.Context, tenant string) (m Meta, v Version, found bool, err error)
	// PutMeta writes the meta record if its version is still expect (only
	// if absent when expect is NoVersion), returning ErrConflict otherwise.
	PutMeta(ctx context.Context, tenant string, m Meta, expect Version) (Version, error)
	// GetItem reads one key's item, tombstones included.
	GetItem(ctx context.Context, tenant, key string) (r Record, v Version, found bool, err error)
	// PutItem writes one key's item if its version is still expect (only if
	// absent when expect is NoVersion), returning ErrConflict otherwise.
	PutItem(ctx context.Context, tenant string, r Record, expect Version) (Version, error)
	// ScanKeys returns up to limit items (tombstones included) whose key
	// starts with prefix and sorts after after (both may be ""), in key
	// order. A shorter page than limit means there are no more.
	ScanKeys(ctx context.Context, tenant, prefix, after string, limit int) ([]Record, error)
	// ScanSeq returns up to limit items (tombstones included) with since <
	// Seq <= upTo, in sequence order.
	ScanSeq(ctx context.Context, tenant string, since, upTo uint64, limit int) ([]Record, error)
	// Ping checks that the store answers.
	Ping(ctx context.Context) error
	// Close releases the backend.
	Close() error
}

// Meta is a tenant's meta record.
type Meta struct {
	// Seq is the last sequence number given out.
	Seq uint64
	// Pending is the write ordered as Seq but perhaps not yet stored in its
	// item; nil when every write up to Seq is stored.
	Pending *Record
	// FenceState is the tenant's fence (zero: none). Adapters persist its
	// fields with the record; a record written before fencing existed
	// reads as no fence.
	FenceState
	// Lock is the tenant's move lock, nil when none is held.
	Lock *MoveLock
}

// Version is a backend's opaque record version.
type Version string

// NoVersion is the version of a record that does not exist.
const NoVersion Version = ""

// ErrConflict is what a Backend returns when a conditional write finds the
// record at another version. The core retries; it never reaches callers.
var ErrConflict = errors.New("record changed since it was read")
