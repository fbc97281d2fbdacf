package state

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"time"

	"github.com/cellfabric/cellfabric/fabric"
)

// Tuning of the core, in one place.
const (
	// MaxAttempts bounds how often one operation starts again after losing
	// a race for a tenant's meta record or an item; past it the operation
	// fails with ErrUnavailable (the tenant is written too fast to order).
	MaxAttempts = 200
	// scanPage is the page size the core asks backends for.
	scanPage = 500
)

// core implements Store over a Backend: the write protocol of the package
// documentation.
type core struct {
	b      Backend
	now    func() time.Time
	closed atomic.Bool
}

var _ Store = (*core)(nil)

// Option changes how New builds the store.
type Option func(*core)

// WithClock makes now the store's clock, which decides when a move lock
// has expired. Default: time.Now.
func WithClock(now func() time.Time) Option { return func(s *core) { s.now = now } }

// New returns the state port over b. Close closes b.
func New(b Backend, opts ...Option) Store {
	s := &core{b: b, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Get implements Store.
func (s *core) Get(ctx context.Context, tenant, key string) (Item, error) {
	if err := s.check(tenant, key); err != nil {
		return Item{}, err
	}
	if err := s.refuseMoved(ctx, tenant); err != nil {
		return Item{}, err
	}
	r, _, found, err := s.b.GetItem(ctx, tenant, key)
	if err != nil {
		return Item{}, backendErr("reading key "+key, err)
	}
	if !found || r.Deleted {
		return Item{}, ErrNotFound
	}
	return Item{Key: key, Value: r.Value, Seq: r.Seq}, nil
}

// Put implements Store.
func (s *core) Put(ctx context.Context, tenant, key string, value []byte, c Cond) (Item, bool, error) {
	if err := s.check(tenant, key); err != nil {
		return Item{}, false, err
	}
	if err := validValue(value); err != nil {
		return Item{}, false, err
	}
	if value == nil {
		value = []byte{}
	}
	r, created, err := s.write(ctx, tenant, key, c, func(seq uint64, live bool) (Record, error) {
		return Record{Key: key, Value: value, Seq: seq}, nil
	})
	if err != nil {
		return Item{}, false, err
	}
	return Item{Key: key, Value: r.Value, Seq: r.Seq}, created, nil
}

// Delete implements Store.
func (s *core) Delete(ctx context.Context, tenant, key string, c Cond) error {
	if err := s.check(tenant, key); err != nil {
		return err
	}
	_, _, err := s.write(ctx, tenant, key, c, func(seq uint64, live bool) (Record, error) {
		if !live {
			return Record{}, ErrNotFound
		}
		return Record{Key: key, Seq: seq, Deleted: true}, nil
	})
	return err
}

// write runs the write protocol for one key: build builds the record to
// store under sequence number seq, knowing whether the key is live now.
// It returns the record stored and whether the key was not live before.
func (s *core) write(ctx context.Context, tenant, key string, c Cond, build func(seq uint64, live bool) (Record, error)) (Record, bool, error) {
	for attempt := 0; ; attempt++ {
		if err := s.pause(ctx, attempt); err != nil {
			return Record{}, false, err
		}
		m, mv, err := s.meta(ctx, tenant)
		if err != nil {
			return Record{}, false, err
		}
		// The fence is checked on the record the write is ordered against
		// below: a fence set meanwhile changes the record, the ordering
		// fails, and the next attempt sees the fence.
		if err := m.admit(tenant, c.Epoch); err != nil {
			return Record{}, false, err
		}
		cur, iv, found, err := s.b.GetItem(ctx, tenant, key)
		if err != nil {
			return Record{}, false, backendErr("reading key "+key, err)
		}
		live := found && !cur.Deleted
		if err := c.check(live, cur.Seq); err != nil {
			return Record{}, false, err
		}
		if m.Seq >= MaxSeq {
			return Record{}, false, fmt.Errorf("%w: tenant %s has used every sequence number up to %d; it takes no more writes", ErrFull, tenant, uint64(MaxSeq))
		}
		rec, err := build(m.Seq+1, live)
		if err != nil {
			return Record{}, false, err
		}
		// Order the write: the meta record names it as pending, on the
		// condition that nothing was ordered since it was read.
		pending := rec
		ordered := m
		ordered.Seq, ordered.Pending = rec.Seq, &pending
		nmv, err := s.b.PutMeta(ctx, tenant, ordered, mv)
		if errors.Is(err, ErrConflict) {
			continue
		}
		if err != nil {
			return Record{}, false, backendErr("ordering a write", err)
		}
		if err := s.store(ctx, tenant, rec, iv); err != nil {
			return Record{}, false, err
		}
		_, _ = s.clear(ctx, tenant, ordered, nmv)
		return rec, !live, nil
	}
}

// meta reads the tenant's meta record, completing a pending write first:
// when it returns, every write up to Meta.Seq is stored in its item.
func (s *core) meta(ctx context.Context, tenant string) (Meta, Version, error) {
	for attempt := 0; ; attempt++ {
		if err := s.pause(ctx, attempt); err != nil {
			return Meta{}, NoVersion, err
		}
		m, mv, found, err := s.b.GetMeta(ctx, tenant)
		if err != nil {
			return Meta{}, NoVersion, backendErr("reading the tenant's sequence", err)
		}
		if !found {
			return Meta{}, NoVersion, nil
		}
		if m.Pending == nil {
			return m, mv, nil
		}
		// A write was ordered and perhaps not stored: store it on its
		// writer's behalf (it may have crashed) and clear it. A clear that
		// took leaves the record at a version known here; otherwise look
		// again.
		if err := s.storeIfNewer(ctx, tenant, *m.Pending); err != nil {
			return Meta{}, NoVersion, err
		}
		if cv, err := s.clear(ctx, tenant, m, mv); err == nil {
			m.Pending = nil
			return m, cv, nil
		}
	}
}

// storeIfNewer writes rec to its item unless the item already holds
// rec.Seq or a later write.
func (s *core) storeIfNewer(ctx context.Context, tenant string, rec Record) error {
	cur, v, found, err := s.b.GetItem(ctx, tenant, rec.Key)
	if err != nil {
		return backendErr("reading key "+rec.Key, err)
	}
	if found && cur.Seq >= rec.Seq {
		return nil
	}
	return s.store(ctx, tenant, rec, v)
}

// store writes rec to its item unless the item already holds rec.Seq or a
// later write. v is the item's version as last read.
func (s *core) store(ctx context.Context, tenant string, rec Record, v Version) error {
	for attempt := 0; ; attempt++ {
		if err := s.pause(ctx, attempt); err != nil {
			return err
		}
		_, err := s.b.PutItem(ctx, tenant, rec, v)
		if err == nil {
			return nil
		}
		if !errors.Is(err, ErrConflict) {
			return backendErr("storing key "+rec.Key, err)
		}
		// Someone else stored it (a helper completing this write), or the
		// version read was stale: look again.
		cur, cv, found, err := s.b.GetItem(ctx, tenant, rec.Key)
		if err != nil {
			return backendErr("reading key "+rec.Key, err)
		}
		if found && cur.Seq >= rec.Seq {
			return nil
		}
		v = cv
	}
}

// clear removes the pending write from the meta record m, read at version
// mv, keeping the rest of the record, and returns the record's new
// version. Losing the race means another writer cleared it already, or a
// helper did and a later write was ordered (or a fence or lock changed):
// all are fine, and a writer that only clears up after itself may ignore
// the error.
func (s *core) clear(ctx context.Context, tenant string, m Meta, mv Version) (Version, error) {
	m.Pending = nil
	return s.b.PutMeta(ctx, tenant, m, mv)
}

// List implements Store.
func (s *core) List(ctx context.Context, tenant, prefix, after string, limit int) (Page, error) {
	if err := s.checkTenant(tenant); err != nil {
		return Page{}, err
	}
	if err := errors.Join(validPrefix("prefix", prefix), validPrefix("the cursor", after)); err != nil {
		return Page{}, err
	}
	if err := s.refuseMoved(ctx, tenant); err != nil {
		return Page{}, err
	}
	switch {
	case limit == 0:
		limit = DefaultListLimit
	case limit < 0 || limit > MaxListLimit:
		return Page{}, fmt.Errorf("%w: limit %d: use 1 to %d", ErrInvalid, limit, MaxListLimit)
	}
	var p Page
	for {
		recs, err := s.b.ScanKeys(ctx, tenant, prefix, after, scanPage)
		if err != nil {
			return Page{}, backendErr("listing keys", err)
		}
		for _, r := range recs {
			if r.Deleted {
				continue
			}
			if len(p.Keys) == limit {
				p.Next = p.Keys[limit-1]
				return p, nil
			}
			p.Keys = append(p.Keys, r.Key)
		}
		if len(recs) < scanPage {
			return p, nil
		}
		after = recs[len(recs)-1].Key
	}
}

// Export implements Store.
func (s *core) Export(ctx context.Context, tenant string, fn func(Record) error) (uint64, error) {
	if err := s.checkTenant(tenant); err != nil {
		return 0, err
	}
	m, _, err := s.meta(ctx, tenant)
	if err != nil {
		return 0, err
	}
	after := ""
	for {
		recs, err := s.b.ScanKeys(ctx, tenant, "", after, scanPage)
		if err != nil {
			return 0, backendErr("exporting keys", err)
		}
		for _, r := range recs {
			// A key written after the export began comes from the feed.
			if r.Deleted || r.Seq > m.Seq {
				continue
			}
			if err := fn(r); err != nil {
				return 0, err
			}
		}
		if len(recs) < scanPage {
			return m.Seq, nil
		}
		after = recs[len(recs)-1].Key
	}
}

// Changes implements Store.
func (s *core) Changes(ctx context.Context, tenant string, since uint64, limit int) ([]Record, uint64, error) {
	if err := s.checkTenant(tenant); err != nil {
		return nil, 0, err
	}
	switch {
	case limit == 0:
		limit = MaxChangesLimit
	case limit < 0 || limit > MaxChangesLimit:
		return nil, 0, fmt.Errorf("%w: limit %d: use 1 to %d", ErrInvalid, limit, MaxChangesLimit)
	}
	m, _, err := s.meta(ctx, tenant)
	if err != nil {
		return nil, 0, err
	}
	if since >= m.Seq {
		return nil, max(since, m.Seq), nil
	}
	recs, err := s.b.ScanSeq(ctx, tenant, since, m.Seq, limit)
	if err != nil {
		return nil, 0, backendErr("reading the change feed", err)
	}
	if len(recs) < limit {
		return recs, m.Seq, nil
	}
	return recs, recs[len(recs)-1].Seq, nil
}

// Position implements Store.
func (s *core) Position(ctx context.Context, tenant string) (uint64, error) {
	if err := s.checkTenant(tenant); err != nil {
		return 0, err
	}
	m, _, err := s.meta(ctx, tenant)
	return m.Seq, err
}

// Import implements Store.
func (s *core) Import(ctx context.Context, tenant string, recs []Record) error {
	if err := s.checkTenant(tenant); err != nil {
		return err
	}
	if len(recs) > MaxImportBatch {
		return fmt.Errorf("%w: %d records, over the %d a batch may hold", ErrInvalid, len(recs), MaxImportBatch)
	}
	var top uint64
	for i, r := range recs {
		if err := ValidKey(r.Key); err != nil {
			return fmt.Errorf("record %d: %w", i, err)
		}
		if err := validValue(r.Value); err != nil {
			return fmt.Errorf("record %d (key %s): %w", i, r.Key, err)
		}
		if r.Seq == 0 {
			return fmt.Errorf("%w: record %d (key %s) has no sequence number", ErrInvalid, i, r.Key)
		}
		// Refused here, before the sequence moves or any item is
		// written: past MaxSeq some stores cannot keep the number, and
		// the meta record would carry it too.
		if r.Seq > MaxSeq {
			return fmt.Errorf("%w: tenant %s, record %d (key %s): sequence number %d is above %d, the largest a tenant's sequence reaches; the source of this import is corrupt", ErrInvalid, tenant, i, r.Key, r.Seq, uint64(MaxSeq))
		}
		top = max(top, r.Seq)
	}
	if len(recs) == 0 {
		return nil
	}
	// Move the sequence past the records first, so that a write made here
	// meanwhile is ordered after every imported one.
	for attempt := 0; ; attempt++ {
		if err := s.pause(ctx, attempt); err != nil {
			return err
		}
		m, mv, err := s.meta(ctx, tenant)
		if err != nil {
			return err
		}
		if m.Seq >= top {
			break
		}
		m.Seq = top
		_, err = s.b.PutMeta(ctx, tenant, m, mv)
		if err == nil {
			break
		}
		if !errors.Is(err, ErrConflict) {
			return backendErr("moving the tenant's sequence", err)
		}
	}
	for _, r := range slices.Clone(recs) {
		if r.Value == nil && !r.Deleted {
			r.Value = []byte{}
		}
		if r.Deleted {
			r.Value = nil
		}
		// Kept only when newer than what the store holds.
		if err := s.storeIfNewer(ctx, tenant, r); err != nil {
			return err
		}
	}
	return nil
}

// Ping implements Store.
func (s *core) Ping(ctx context.Context) error {
	if s.closed.Load() {
		return ErrClosed
	}
	if err := s.b.Ping(ctx); err != nil {
		return backendErr("pinging the store", err)
	}
	return nil
}

// Close implements Store.
func (s *core) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	return s.b.Close()
}

func (s *core) check(tenant, key string) error {
	if err := s.checkTenant(tenant); err != nil {
		return err
	}
	return ValidKey(key)
}

func (s *core) checkTenant(tenant string) error {
	if s.closed.Load() {
		return ErrClosed
	}
	if !fabric.ValidTenantID(tenant) {
		return fmt.Errorf("%w: tenant %q is not a valid tenant id: %s", ErrInvalid, tenant, fabric.TenantIDRule)
	}
	return nil
}

// pause waits before attempt (none before the first few) and gives up past
// MaxAttempts or when ctx is done.
func (s *core) pause(ctx context.Context, attempt int) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if attempt >= MaxAttempts {
		return fmt.Errorf("%w: the tenant's writes kept racing each other (%d attempts); retry", ErrUnavailable, attempt)
	}
	if attempt < 3 {
		return nil
	}
	d := time.Duration(1<<min(attempt-3, 6)) * time.Millisecond
	d = d/2 + time.Duration(rand.Int64N(int64(d)))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", ErrUnavailable, ctx.Err())
	}
}

// check reports whether the condition holds for a key that is live (or
// not) at sequence number seq.
func (c Cond) check(live bool, seq uint64) error {
	if c.IfNoneMatch && live {
		return fmt.Errorf("%w: the key exists (If-None-Match: *)", ErrPrecondition)
	}
	if len(c.IfMatch) == 0 {
		return nil
	}
	if !live {
		return fmt.Errorf("%w: the key does not exist (If-Match)", ErrPrecondition)
	}
	for _, tag := range c.IfMatch {
		if tag == "*" {
			return nil
		}
		if n, ok := ParseETag(tag); ok && n == seq {
			return nil
		}
	}
	return fmt.Errorf("%w: the key is at %s, not %v (If-Match)", ErrPrecondition, ETagOf(seq), c.IfMatch)
}

// backendErr wraps a backend's error for callers: ErrUnavailable unless it
// already says ErrFull or ErrClosed.
func backendErr(what string, err error) error {
	if errors.Is(err, ErrUnavailable) || errors.Is(err, ErrFull) || errors.Is(err, ErrClosed) {
		return fmt.Errorf("%s: %w", what, err)
	}
	return fmt.Errorf("%s: %w: %w", what, ErrUnavailable, err)
}
