package router

import (
	"fmt"
	"hash/maphash"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/cellfabric/cellfabric/fabric"
)

// The Directory's storage: shards of fixed-size records in maps keyed by
// tenant id, interned strings and the tombstone queue. Writers hold
// Directory.mu (or own a state that is not published yet) and take a
// shard's write lock for the moment they change it; readers take only a
// shard's read lock.

const (
	// dirShardBits gives 1024 shards. A change holds one shard's write
	// lock for a few hundred nanoseconds; with fewer shards (64 was
	// measured) a lookup hit a locked shard often enough that the 99th
	// percentile of lookups tripled while changes were applied at full
	// speed, with 1024 it does not move (BENCHMARKS.md).
	dirShardBits = 10
	dirShards    = 1 << dirShardBits
	// inlineFailover failover cells fit in a record; the rest go to the
	// shard's side table.
	inlineFailover = 4
	// maxInterned is the most distinct cell ids (or residencies) a state
	// holds: indexes are uint16.
	maxInterned = 1 << 16
	// shortID is the longest id kept inside its map slot (idKey).
	shortID = 15
)

// dirRecord is one tenant: 24 bytes.
type dirRecord struct {
	epoch   int64
	cell    uint16 // index in dirState.cells
	res     uint16 // index in dirState.res; 0 is ""
	fo      [inlineFailover]uint16
	state   uint8 // index in tenantStates
	nfo     uint8 // number of failover cells
	removed bool  // a tombstone: the tenant was removed at epoch
}

// overflow holds failover cells beyond the inline ones.
type overflow [MaxFailover - inlineFailover]uint16

// tenantStates are the states a record can hold, by index.
var tenantStates = [...]fabric.TenantState{"", fabric.TenantActive, fabric.TenantMigrating, fabric.TenantReadonly}

func stateIndex(s fabric.TenantState) uint8 {
	for i, v := range tenantStates {
		if v == s {
			return uint8(i)
		}
	}
	return 0 // unreachable: entries are checked first
}

// idKey holds an id of up to shortID bytes, its length in the last byte.
// A map keyed by it keeps the id in the map's own slot: no string header,
// no separate allocation for the id's bytes, and one memory access fewer
// per lookup than a map keyed by string.
type idKey [shortID + 1]byte

func shortKey(id string) (k idKey, ok bool) {
	if len(id) > shortID {
		return k, false
	}
	copy(k[:], id)
	k[shortID] = byte(len(id))
	return k, true
}

// recMap holds the records of one shard's ids of one kind (short, long).
type recMap[K comparable] struct {
	recs map[K]dirRecord
	more map[K]overflow // failovers beyond the inline ones
}

func (m *recMap[K]) get(k K) (dirRecord, overflow, bool) {
	r, ok := m.recs[k]
	var more overflow
	if ok && r.nfo > inlineFailover {
		more = m.more[k]
	}
	return r, more, ok
}

func (m *recMap[K]) set(k K, r dirRecord, more overflow) {
	if m.recs == nil {
		m.recs = make(map[K]dirRecord)
	}
	m.recs[k] = r
	if r.nfo > inlineFailover {
		if m.more == nil {
			m.more = make(map[K]overflow)
		}
		m.more[k] = more
	} else if m.more != nil {
		delete(m.more, k)
	}
}

func (m *recMap[K]) remove(k K) {
	delete(m.recs, k)
	delete(m.more, k)
}

// dirState is everything a Directory holds. Load builds a new one and
// swaps it in; Apply changes the current one.
type dirState struct {
	seed   maphash.Seed
	shards [dirShards]dirShard
	cells  interner
	res    interner
	live   atomic.Int64 // tenants held, tombstones not counted
	tombs  tombQueue    // writers only
}

type dirShard struct {
	shardData
	// Pad to a multiple of 128 bytes: the lock words of two shards never
	// share a cache line, so readers of different shards do not slow each
	// other down.
	_ [(128 - unsafe.Sizeof(shardData{})%128) % 128]byte
}

type shardData struct {
	mu    sync.RWMutex
	short recMap[idKey]  // ids of up to shortID bytes
	long  recMap[string] // longer ids (a DNS label has up to 63)
}

func (sh *shardData) get(id string) (dirRecord, overflow, bool) {
	if k, ok := shortKey(id); ok {
		return sh.short.get(k)
	}
	return sh.long.get(id)
}

func (sh *shardData) set(id string, r dirRecord, more overflow) {
	if k, ok := shortKey(id); ok {
		sh.short.set(k, r, more)
		return
	}
	// Assigning to a string key stores the key given: a copy, so that the
	// map does not pin the caller's buffer.
	sh.long.set(strings.Clone(id), r, more)
}

func (sh *shardData) remove(id string) {
	if k, ok := shortKey(id); ok {
		sh.short.remove(k)
		return
	}
	sh.long.remove(id)
}

func (sh *shardData) len() int { return len(sh.short.recs) + len(sh.long.recs) }

func newDirState() *dirState {
	s := &dirState{seed: maphash.MakeSeed()}
	s.cells.init()
	s.res.init()
	return s
}

func (s *dirState) shardOf(id string) *dirShard {
	return &s.shards[maphash.String(s.seed, id)>>(64-dirShardBits)]
}

// put applies c: the tenant's new entry, or its removal. c replaces what
// is held when it is newer (TenantChange.Newer) — or, with orEqual (a bulk
// load, where the later of two entries wins), of the same epoch. keep is
// the tombstone limit; 0 (a load) keeps none.
func (s *dirState) put(c TenantChange, orEqual bool, keep int) (bool, error) {
	r := dirRecord{epoch: c.Epoch, removed: c.Removed}
	var more overflow
	if !c.Removed {
		var err error
		if r, more, err = s.encode(c.ID, c.Epoch, c.Entry); err != nil {
			return false, err
		}
	}
	sh := s.shardOf(c.ID)
	sh.mu.Lock()
	old, _, held := sh.get(c.ID)
	// old.epoch is 0 when nothing is held.
	if (!c.Newer(old.epoch) && !(orEqual && c.Epoch == old.epoch)) || (c.Removed && keep == 0) {
		sh.mu.Unlock()
		return false, nil
	}
	sh.set(c.ID, r, more)
	sh.mu.Unlock()
	wasLive := held && !old.removed
	switch {
	case c.Removed && wasLive:
		s.live.Add(-1)
	case !c.Removed && !wasLive:
		s.live.Add(1)
	}
	if c.Removed {
		s.tombs.push(sh, strings.Clone(c.ID), c.Epoch)
		s.tombs.trim(keep)
	}
	return true, nil
}

// encode turns an entry into a record, interning its strings.
func (s *dirState) encode(id string, epoch int64, t *Tenant) (dirRecord, overflow, error) {
	r := dirRecord{epoch: epoch, state: stateIndex(t.State), nfo: uint8(len(t.Failover))}
	var more overflow
	var err error
	if r.cell, err = s.cells.intern(t.Cell); err != nil {
		return r, more, fmt.Errorf("tenant directory entry %q: %w", id, err)
	}
	if r.res, err = s.res.intern(t.Residency); err != nil {
		return r, more, fmt.Errorf("tenant directory entry %q: %w", id, err)
	}
	for j, f := range t.Failover {
		x, err := s.cells.intern(f)
		if err != nil {
			return r, more, fmt.Errorf("tenant directory entry %q: %w", id, err)
		}
		if j < inlineFailover {
			r.fo[j] = x
		} else {
			more[j-inlineFailover] = x
		}
	}
	return r, more, nil
}

// interner gives each distinct string a small index. Writers add under the
// Directory's lock; readers read the table without a lock: it only grows,
// and a grown table is published as a new slice header.
type interner struct {
	ids   map[string]uint16 // writers only
	tab   atomic.Pointer[[]string]
	limit int // most entries; 0: maxInterned (tests lower it)
}

func (in *interner) init() {
	in.ids = map[string]uint16{"": 0}
	tab := []string{""}
	in.tab.Store(&tab)
}

func (in *interner) list() []string { return *in.tab.Load() }

func (in *interner) intern(v string) (uint16, error) {
	if x, ok := in.ids[v]; ok {
		return x, nil
	}
	old := in.list()
	limit := in.limit
	if limit <= 0 {
		limit = maxInterned
	}
	if len(old) >= limit {
		return 0, fmt.Errorf("%q would be distinct value %d, over the router's limit of %d cell ids or residencies; the directory names cells the registry cannot hold", v, len(old)+1, limit)
	}
	v = strings.Clone(v)
	// Appending may write past the end of the old table's length within
	// its capacity; readers holding the old header never read there.
	next := append(old, v)
	in.tab.Store(&next)
	in.ids[v] = uint16(len(old))
	return uint16(len(old)), nil
}

// tombQueue remembers removals oldest first, so that the oldest tombstone
// can be forgotten when there are too many.
type tombQueue struct {
	q    []tomb
	head int
}

type tomb struct {
	sh    *dirShard
	id    string
	epoch int64
}

func (t *tombQueue) push(sh *dirShard, id string, epoch int64) {
	t.q = append(t.q, tomb{sh, id, epoch})
}

func (t *tombQueue) len() int { return len(t.q) - t.head }

// trim forgets the oldest tombstones beyond keep: the record is deleted if
// it is still that tombstone (the tenant was not re-added or removed again
// since).
func (t *tombQueue) trim(keep int) {
	for t.len() > keep {
		old := t.q[t.head]
		t.q[t.head] = tomb{}
		t.head++
		sh := old.sh
		sh.mu.Lock()
		if r, _, ok := sh.get(old.id); ok && r.removed && r.epoch == old.epoch {
			sh.remove(old.id)
		}
		sh.mu.Unlock()
	}
	if t.head > 1024 && t.head > len(t.q)/2 {
		t.q = append(t.q[:0], t.q[t.head:]...)
		t.head = 0
	}
}
