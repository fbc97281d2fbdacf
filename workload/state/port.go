package state

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Limits of the state port, the same on every adapter: a value the port
// accepts can be stored by every cloud's store.
const (
	// MaxKeyBytes is the longest key.
	MaxKeyBytes = 256
	// MaxValueBytes is the largest value. DynamoDB caps an item at 400 KB
	// with its names and attributes; Azure Table Storage caps a property at
	// 64 KiB and an entity at 1 MiB (the Azure adapter splits a value over
	// properties); Firestore caps a document at 1 MiB. 256 KiB fits each
	// with room for the pending copy the write protocol keeps.
	MaxValueBytes = 256 << 10
	// DefaultListLimit and MaxListLimit bound one page of List.
	DefaultListLimit = 1000
	MaxListLimit     = 1000
	// MaxChangesLimit bounds one call of Changes.
	MaxChangesLimit = 1000
	// MaxImportBatch bounds one call of Import.
	MaxImportBatch = 1000
	// MaxSeq is the largest sequence number a tenant reaches: the largest
	// every store keeps as a number (Azure Table's Edm.Int64, Firestore's
	// integer; DynamoDB's numbers go further). Import refuses a record
	// above it, and a write that would go past it fails with ErrFull.
	MaxSeq = math.MaxInt64
)

// Errors of the port. Adapters wrap their own errors in ErrUnavailable;
// every other error reaches callers only from the core, so the same request
// gets the same error on every cloud.
var (
	// ErrNotFound: the key does not exist (or was deleted).
	ErrNotFound = errors.New("no such key")
	// ErrPrecondition: an If-Match or If-None-Match condition did not hold
	// (a lost race, or a stale ETag).
	ErrPrecondition = errors.New("precondition failed")
	// ErrInvalid: a tenant, key, value, limit or record the port refuses.
	ErrInvalid = errors.New("invalid request")
	// ErrUnavailable: the store could not be reached, timed out or is
	// throttling; nothing was acknowledged, the request may be retried.
	ErrUnavailable = errors.New("store unavailable")
	// ErrFull: the store has no room (the embedded store's memory bound).
	ErrFull = errors.New("store full")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("store closed")
)

// Item is one key's current value.
type Item struct {
	Key   string
	Value []byte
	// Seq is the tenant sequence number of the write that stored the
	// value: the key's version.
	Seq uint64
}

// ETag is the item's entity tag: its sequence number, quoted. It changes
// with every write and moves with the tenant to another cell.
func (it Item) ETag() string { return ETagOf(it.Seq) }

// ETagOf returns the entity tag of sequence number seq.
func ETagOf(seq uint64) string { return `"` + strconv.FormatUint(seq, 10) + `"` }

// ParseETag returns the sequence number of an entity tag ETag made.
// It accepts a weak tag (W/"...") too, which compares alike.
func ParseETag(tag string) (uint64, bool) {
	tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
	if len(tag) < 3 || tag[0] != '"' || tag[len(tag)-1] != '"' {
		return 0, false
	}
	n, err := strconv.ParseUint(tag[1:len(tag)-1], 10, 64)
	return n, err == nil && n > 0
}

// Cond is a write's precondition. The zero value: none.
type Cond struct {
	// IfMatch are entity tags; the write happens only if the key exists
	// and its tag is one of them ("*": if it exists at all).
	IfMatch []string
	// IfNoneMatch, when true, writes only if the key does not exist
	// (If-None-Match: *).
	IfNoneMatch bool
	// Epoch is the placement epoch the write was routed with (the edge's
	// X-Tenant-Epoch); 0: none given. The write is refused with a
	// StaleEpochError when it is below the tenant's fence here, or when the
	// tenant is fenced for every write (FenceState).
	Epoch int64
}

// Page is one page of a listing.
type Page struct {
	// Keys are in byte order.
	Keys []string
	// Next is the cursor of the next page (pass it as after), "" on the
	// last page.
	Next string
}

// Record is one key's state in an export, a change feed or an import.
type Record struct {
	Key   string
	Value []byte
	// Seq is the write's tenant sequence number.
	Seq uint64
	// Deleted marks a tombstone: the key was deleted by write Seq.
	Deleted bool
}

// Store is the state port. Every method is safe for concurrent use, and
// every instance over the same backing store sees the same data at once:
// reads are strongly consistent, so two cell instances behind one load
// balancer answer alike.
type Store interface {
	// Get returns the key's item, or ErrNotFound. Get, List, Put and
	// Delete of a tenant that moved away fail with a MovedError.
	Get(ctx context.Context, tenant, key string) (Item, error)
	// Put stores value under key if c holds (ErrPrecondition otherwise)
	// and c.Epoch passes the tenant's fence (a StaleEpochError otherwise),
	// and reports whether the key is new.
	Put(ctx context.Context, tenant, key string, value []byte, c Cond) (Item, bool, error)
	// Delete removes key if c holds; ErrNotFound when it does not exist.
	Delete(ctx context.Context, tenant, key string, c Cond) error
	// List returns up to limit (DefaultListLimit when 0) of the tenant's
	// keys that start with prefix and sort after after, in byte order.
	List(ctx context.Context, tenant, prefix, after string, limit int) (Page, error)
	// Export calls fn with every live key of the tenant whose sequence
	// number is at most the position it returns, in key order; the keys
	// written later come from Changes(since that position).
	Export(ctx context.Context, tenant string, fn func(Record) error) (uint64, error)
	// Changes returns up to limit records whose sequence number is above
	// since, in sequence order, and the position to ask from next. Fewer
	// than limit records means the feed was read to its end.
	Changes(ctx context.Context, tenant string, since uint64, limit int) ([]Record, uint64, error)
	// Position returns the tenant's last sequence number (0 for a tenant
	// with no writes).
	Position(ctx context.Context, tenant string) (uint64, error)
	// Import applies records, each only when newer than the key's current
	// state; repeating an import changes nothing.
	Import(ctx context.Context, tenant string, recs []Record) error
	// SetFence replaces the tenant's fence (FenceState) and returns the
	// tenant's meta as the fence took effect: every write acknowledged
	// before it has a sequence number at most Position, and no write
	// ordered after it breaks the fence.
	SetFence(ctx context.Context, tenant string, f FenceState) (TenantMeta, error)
	// Lock takes the tenant's move lock for l.ID: when no lock is held,
	// when l.ID holds it already, or when the held one expired. Otherwise it
	// fails with a LockedError naming the holder.
	Lock(ctx context.Context, tenant string, l MoveLock) (TenantMeta, error)
	// Renew replaces the lock l.ID holds (its step, expiry, owner and
	// target); a LockedError when l.ID does not hold it (taken over after
	// it expired, or released).
	Renew(ctx context.Context, tenant string, l MoveLock) (TenantMeta, error)
	// Unlock releases the lock l.ID holds; nothing to do when no lock is
	// held; a LockedError when another move holds it.
	Unlock(ctx context.Context, tenant string, l MoveLock) (TenantMeta, error)
	// Meta returns the tenant's fence, move lock and position.
	Meta(ctx context.Context, tenant string) (TenantMeta, error)
	// Ping checks that the backing store answers.
	Ping(ctx context.Context) error
	// Close releases the store's resources.
	Close() error
}

// ValidKey returns what is wrong with a key, or nil. Keys are 1 to
// MaxKeyBytes letters, digits, '.', '_', '-', '~' or ':' (not "." or ".."),
// a set every cloud's store takes in a row key or document id as it is.
func ValidKey(key string) error {
	if key == "" {
		return fmt.Errorf("%w: empty key", ErrInvalid)
	}
	if len(key) > MaxKeyBytes {
		return fmt.Errorf("%w: key is %d bytes, over the %d byte limit", ErrInvalid, len(key), MaxKeyBytes)
	}
	if key == "." || key == ".." {
		return fmt.Errorf(`%w: "." and ".." are not keys`, ErrInvalid)
	}
	for i := 0; i < len(key); i++ {
		if !keyByte(key[i]) {
			return fmt.Errorf("%w: key has the character %q at byte %d: use letters, digits, '.', '_', '-', '~' or ':'", ErrInvalid, key[i], i)
		}
	}
	return nil
}

func keyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' || c == '~' || c == ':'
}

// validPrefix checks a listing's prefix or cursor: "" or key bytes.
func validPrefix(what, s string) error {
	if len(s) > MaxKeyBytes {
		return fmt.Errorf("%w: %s is longer than the longest key", ErrInvalid, what)
	}
	for i := 0; i < len(s); i++ {
		if !keyByte(s[i]) {
			return fmt.Errorf("%w: %s has the character %q at byte %d, which no key has", ErrInvalid, what, s[i], i)
		}
	}
	return nil
}

// validValue returns what is wrong with a value, or nil.
func validValue(v []byte) error {
	if len(v) > MaxValueBytes {
		return fmt.Errorf("%w: value is %d bytes, over the %d byte limit", ErrInvalid, len(v), MaxValueBytes)
	}
	return nil
}
