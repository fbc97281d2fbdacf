package directory

import "context"

// KV is the key/value store the directory keeps its keys in, shaped like a
// Workers KV binding: string keys, byte values, a time to live per key, and
// listing by prefix in pages. Implementations must be safe for concurrent
// use. Workers KV (the Worker's binding), Memory and File implement it.
type KV interface {
	// Get returns the value of key; found is false when the key is absent
	// or expired (err is then nil).
	Get(ctx context.Context, key string) (value []byte, found bool, err error)
	// Put sets key to value. ttlSeconds > 0 makes the key expire that many
	// seconds later; 0 keeps it until it is deleted or overwritten.
	Put(ctx context.Context, key string, value []byte, ttlSeconds int) error
	// Delete removes key; deleting an absent key is not an error.
	Delete(ctx context.Context, key string) error
	// List returns up to limit keys that start with prefix, sorted by their
	// bytes, beginning after the position cursor names ("" = from the
	// first). nextCursor continues the listing; it is "" when the listing is
	// at its end. limit <= 0 means 1000; implementations may return fewer
	// keys than limit before the end (Workers KV caps a page at 1000).
	List(ctx context.Context, prefix, cursor string, limit int) (keys []string, nextCursor string, err error)
}

// KeyValue is a key and its value.
type KeyValue struct {
	Key   string
	Value []byte
}

// ValueLister is a KV that can return values with a listing, saving one Get
// per key. The directory uses it when the KV implements it (Memory and File
// do; a Workers KV binding can, from metadata written with each value).
type ValueLister interface {
	// ListValues is List with the values of the keys.
	ListValues(ctx context.Context, prefix, cursor string, limit int) (entries []KeyValue, nextCursor string, err error)
}

// DefaultListLimit is the page size of a listing when none is given, and
// the largest page Workers KV returns.
const DefaultListLimit = 1000
