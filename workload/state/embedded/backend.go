package embedded

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/cellfabric/cellfabric/workload/state"
)

// Backend is the embedded store as a state.Backend: in memory (New), or in
// memory over an append-only log in a data directory (Open).
type Backend struct {
	mem    *memory
	log    *wal // nil: memory only
	closed atomic.Bool
}

var _ state.Backend = (*Backend)(nil)

// New returns an empty in-memory backend.
func New() *Backend { return &Backend{mem: newMemory()} }

// Open returns the backend over the data directory dir, creating it when
// missing and replaying its log; dir "" is New (memory only). logger gets
// what opening found (a torn record cut off, a log converted) and a failed
// disk; nil is slog.Default(). Only one Backend may have dir open at a
// time: a second Open of it fails until the first is closed.
func Open(dir string, logger *slog.Logger) (*Backend, error) {
	b := New()
	if dir == "" {
		return b, nil
	}
	if logger == nil {
		logger = slog.Default()
	}
	w, err := openLog(dir, logger, b.mem.restore)
	if err != nil {
		return nil, err
	}
	b.log = w
	return b, nil
}

// usable returns why the backend refuses writes, or nil.
func (b *Backend) usable() error {
	if b.closed.Load() {
		return state.ErrClosed
	}
	if b.log != nil {
		return b.log.failure()
	}
	return nil
}

// GetMeta implements state.Backend.
func (b *Backend) GetMeta(_ context.Context, tenant string) (state.Meta, state.Version, bool, error) {
	if b.closed.Load() {
		return state.Meta{}, state.NoVersion, false, state.ErrClosed
	}
	m, v, ok := b.mem.getMeta(tenant)
	return m, v, ok, nil
}

// PutMeta implements state.Backend. With a data directory the record is
// appended to the log and synced before it is applied.
func (b *Backend) PutMeta(_ context.Context, tenant string, m state.Meta, expect state.Version) (state.Version, error) {
	if err := b.usable(); err != nil {
		return state.NoVersion, err
	}
	if m.Pending != nil {
		p := normal(*m.Pending)
		m.Pending = &p
	}
	e := metaEntry(tenant, m)
	if err := checkEntry(e); err != nil {
		return state.NoVersion, fmt.Errorf("%w: %w", state.ErrInvalid, err)
	}
	v, err := b.mem.putMeta(tenant, m, expect, b.persist(e))
	if err == nil {
		b.maybeCompact()
	}
	return v, err
}

// GetItem implements state.Backend.
func (b *Backend) GetItem(_ context.Context, tenant, key string) (state.Record, state.Version, bool, error) {
	if b.closed.Load() {
		return state.Record{}, state.NoVersion, false, state.ErrClosed
	}
	r, v, ok := b.mem.getItem(tenant, key)
	return r, v, ok, nil
}

// PutItem implements state.Backend. With a data directory the record is
// appended to the log and synced before it is applied.
func (b *Backend) PutItem(_ context.Context, tenant string, r state.Record, expect state.Version) (state.Version, error) {
	if err := b.usable(); err != nil {
		return state.NoVersion, err
	}
	r = normal(r)
	e := itemEntry(tenant, r)
	if err := checkEntry(e); err != nil {
		return state.NoVersion, fmt.Errorf("%w: %w", state.ErrInvalid, err)
	}
	v, err := b.mem.putItem(tenant, r, expect, b.persist(e))
	if err == nil {
		b.maybeCompact()
	}
	return v, err
}

// normal gives a live record a non-nil value, as replay does, so a value
// reads back alike before and after a restart.
func normal(r state.Record) state.Record {
	if !r.Deleted && r.Value == nil {
		r.Value = []byte{}
	}
	return r
}

// persist returns what putMeta and putItem run under the memory's lock
// before they apply e: the append to the log (nil in memory).
func (b *Backend) persist(e entry) func(uint64) error {
	if b.log == nil {
		return nil
	}
	return func(uint64) error { return b.log.append(e) }
}

// maybeCompact compacts the log when it is due, keeping writers out
// meanwhile (readers go on).
func (b *Backend) maybeCompact() {
	if b.log == nil {
		return
	}
	b.mem.mu.RLock()
	defer b.mem.mu.RUnlock()
	b.log.maybeCompact(b.mem.live, b.mem.each)
}

// ScanKeys implements state.Backend.
func (b *Backend) ScanKeys(_ context.Context, tenant, prefix, after string, limit int) ([]state.Record, error) {
	if b.closed.Load() {
		return nil, state.ErrClosed
	}
	return b.mem.scanKeys(tenant, prefix, after, limit), nil
}

// ScanSeq implements state.Backend.
func (b *Backend) ScanSeq(_ context.Context, tenant string, since, upTo uint64, limit int) ([]state.Record, error) {
	if b.closed.Load() {
		return nil, state.ErrClosed
	}
	return b.mem.scanSeq(tenant, since, upTo, limit), nil
}

// Ping implements state.Backend: it fails after Close and, with a data
// directory, after a failed append or sync (the sticky failure, which
// wraps state.ErrUnavailable).
func (b *Backend) Ping(context.Context) error { return b.usable() }

// Close implements state.Backend: it syncs and closes the log and releases
// the data directory. Every later call fails with state.ErrClosed.
func (b *Backend) Close() error {
	if b.closed.Swap(true) || b.log == nil {
		return nil
	}
	return b.log.close()
}

// Stats describes the store, for health reports.
type Stats struct {
	// Mode is "memory" or "disk".
	Mode string `json:"mode"`
	// OK is false after Close or a failed disk write.
	OK bool `json:"ok"`
	// Error says why the store is not OK.
	Error string `json:"error,omitempty"`
	// Tenants and Items (tombstones included) held.
	Tenants int `json:"tenants"`
	Items   int `json:"items"`
	// Bytes is what the values and pending copies take, bounded by
	// MaxStoreBytes.
	Bytes int64 `json:"bytes"`
	// LogBytes is the log's length (disk mode).
	LogBytes int64 `json:"logBytes,omitempty"`
}

// Stats returns the store's figures.
func (b *Backend) Stats() Stats {
	st := Stats{Mode: "memory"}
	st.Tenants, st.Items, st.Bytes = b.mem.counts()
	if b.log != nil {
		st.Mode = "disk"
		st.LogBytes, _ = b.log.stats()
	}
	if err := b.usable(); err != nil {
		st.Error = err.Error()
	}
	st.OK = st.Error == ""
	return st
}
