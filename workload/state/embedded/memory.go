package embedded

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/cellfabric/cellfabric/workload/state"
)

// MaxStoreBytes bounds the values (and pending copies) the embedded store
// holds in memory together; a write past it fails with state.ErrFull when
// it is ordered (the meta record naming it pending is refused). Storing an
// ordered write in its item is never refused: the tenant's next write
// completes a pending write first, so one that cannot be stored would
// block the tenant for good. The bound is therefore checked for the pending
// copy and the item together, and exceeded at most by the items of writes
// ordered at the same time (one per tenant) until their copies are cleared.
const MaxStoreBytes = 256 << 20

// tenantData is one tenant's partition.
type tenantData struct {
	meta    state.Meta
	metaVer uint64 // 0: no meta record
	items   map[string]*item
	byKey   []string // keys in byte order
	bySeq   []seqKey // items in sequence order
}

type item struct {
	rec state.Record
	ver uint64
}

type seqKey struct {
	seq uint64
	key string
}

// memory is the in-memory part of the embedded backend: a faithful Backend
// (versions, conditional writes, ordered scans) for one process.
type memory struct {
	mu      sync.RWMutex
	tenants map[string]*tenantData
	bytes   int64 // values and pending copies held, bounded by limit
	limit   int64 // MaxStoreBytes (lowered by tests)
	live    int64 // bytes the records take in a compacted log
	nextVer uint64
}

func newMemory() *memory {
	return &memory{tenants: map[string]*tenantData{}, limit: MaxStoreBytes}
}

func (m *memory) tenant(name string, create bool) *tenantData {
	t := m.tenants[name]
	if t == nil && create {
		t = &tenantData{items: map[string]*item{}}
		m.tenants[name] = t
	}
	return t
}

func ver(v uint64) state.Version {
	if v == 0 {
		return state.NoVersion
	}
	return state.Version(strconv.FormatUint(v, 10))
}

func (m *memory) version() uint64 { m.nextVer++; return m.nextVer }

func cloneRec(r state.Record) state.Record {
	if r.Value != nil {
		r.Value = slices.Clone(r.Value)
	}
	return r
}

func cloneMeta(mt state.Meta) state.Meta {
	if mt.Pending != nil {
		p := cloneRec(*mt.Pending)
		mt.Pending = &p
	}
	if mt.Lock != nil {
		l := *mt.Lock
		mt.Lock = &l
	}
	return mt
}

func pendingBytes(mt state.Meta) int64 {
	if mt.Pending == nil {
		return 0
	}
	return int64(len(mt.Pending.Value))
}

func (m *memory) getMeta(tenant string) (state.Meta, state.Version, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	t := m.tenant(tenant, false)
	if t == nil || t.metaVer == 0 {
		return state.Meta{}, state.NoVersion, false
	}
	return cloneMeta(t.meta), ver(t.metaVer), true
}

// putMeta checks and applies a meta write; persist (nil in memory) runs
// under the lock before the change is applied, so the log's order is the
// memory's.
func (m *memory) putMeta(tenant string, mt state.Meta, expect state.Version, persist func(uint64) error) (state.Version, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.tenant(tenant, true)
	if ver(t.metaVer) != expect {
		return state.NoVersion, state.ErrConflict
	}
	grow := pendingBytes(mt) - pendingBytes(t.meta)
	// Room for the pending copy and for the item it becomes.
	if grow > 0 && m.bytes+grow+pendingBytes(mt) > m.limit {
		return state.NoVersion, fmt.Errorf("%w: the embedded store holds %d bytes of values, its limit is %d; delete keys to make room", state.ErrFull, m.bytes, m.limit)
	}
	v := m.version()
	if persist != nil {
		if err := persist(v); err != nil {
			return state.NoVersion, err
		}
	}
	m.bytes += grow
	m.live += metaEntry(tenant, mt).size() - t.metaSize(tenant)
	t.meta, t.metaVer = cloneMeta(mt), v
	return ver(v), nil
}

// metaSize is the length of the tenant's meta record in the log, 0 when it
// has none.
func (t *tenantData) metaSize(tenant string) int64 {
	if t.metaVer == 0 {
		return 0
	}
	return metaEntry(tenant, t.meta).size()
}

func (m *memory) getItem(tenant, key string) (state.Record, state.Version, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	t := m.tenant(tenant, false)
	if t == nil {
		return state.Record{}, state.NoVersion, false
	}
	it := t.items[key]
	if it == nil {
		return state.Record{}, state.NoVersion, false
	}
	return cloneRec(it.rec), ver(it.ver), true
}

func (m *memory) putItem(tenant string, r state.Record, expect state.Version, persist func(uint64) error) (state.Version, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.tenant(tenant, true)
	old := t.items[r.Key]
	var oldVer uint64
	var oldBytes int64
	if old != nil {
		oldVer, oldBytes = old.ver, int64(len(old.rec.Value))
	}
	if ver(oldVer) != expect {
		return state.NoVersion, state.ErrConflict
	}
	grow := int64(len(r.Value)) - oldBytes
	// Storing the tenant's pending write was allowed for when it was
	// ordered.
	completes := t.meta.Pending != nil && t.meta.Pending.Key == r.Key && t.meta.Pending.Seq == r.Seq
	if grow > 0 && !completes && m.bytes+grow > m.limit {
		return state.NoVersion, fmt.Errorf("%w: the embedded store holds %d bytes of values, its limit is %d; delete keys to make room", state.ErrFull, m.bytes, m.limit)
	}
	v := m.version()
	if persist != nil {
		if err := persist(v); err != nil {
			return state.NoVersion, err
		}
	}
	m.bytes += grow
	m.live += itemEntry(tenant, r).size()
	if old != nil {
		m.live -= itemEntry(tenant, old.rec).size()
	}
	m.apply(t, cloneRec(r), v, old)
	return ver(v), nil
}

// restore applies a record of the log whatever the versions: replay.
// Records the log holds were checked when they were written, so the memory
// bound is not enforced here (a store over it refuses new data until
// enough is deleted).
func (m *memory) restore(e entry) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.tenant(e.tenant, true)
	if e.kind == kindMeta {
		m.bytes += pendingBytes(e.meta) - pendingBytes(t.meta)
		m.live += e.size() - t.metaSize(e.tenant)
		t.meta, t.metaVer = e.meta, m.version()
		return
	}
	old := t.items[e.item.Key]
	m.bytes += int64(len(e.item.Value))
	m.live += e.size()
	if old != nil {
		m.bytes -= int64(len(old.rec.Value))
		m.live -= itemEntry(e.tenant, old.rec).size()
	}
	m.apply(t, e.item, m.version(), old)
}

// each calls fn with every record, each tenant's meta record first and its
// items in key order, tenants in name order; callers hold mu. fn must not
// keep the entries' values.
func (m *memory) each(fn func(entry) error) error {
	for _, name := range slices.Sorted(maps.Keys(m.tenants)) {
		t := m.tenants[name]
		if t.metaVer != 0 {
			if err := fn(metaEntry(name, t.meta)); err != nil {
				return err
			}
		}
		for _, k := range t.byKey {
			if err := fn(itemEntry(name, t.items[k].rec)); err != nil {
				return err
			}
		}
	}
	return nil
}

// counts returns how many tenants and items (tombstones included) the
// store holds and the bytes of their values.
func (m *memory) counts() (tenants, items int, bytes int64) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, t := range m.tenants {
		items += len(t.items)
	}
	return len(m.tenants), items, m.bytes
}

// apply stores r as the key's item and keeps both orders; callers hold mu.
func (m *memory) apply(t *tenantData, r state.Record, v uint64, old *item) {
	if old == nil {
		i, _ := slices.BinarySearch(t.byKey, r.Key)
		t.byKey = slices.Insert(t.byKey, i, r.Key)
	} else if i, ok := slices.BinarySearchFunc(t.bySeq, old.rec.Seq, cmpSeq); ok {
		t.bySeq = slices.Delete(t.bySeq, i, i+1)
	}
	i, _ := slices.BinarySearchFunc(t.bySeq, r.Seq, cmpSeq)
	t.bySeq = slices.Insert(t.bySeq, i, seqKey{r.Seq, r.Key})
	t.items[r.Key] = &item{rec: r, ver: v}
}

func cmpSeq(e seqKey, seq uint64) int {
	switch {
	case e.seq < seq:
		return -1
	case e.seq > seq:
		return 1
	}
	return 0
}

func (m *memory) scanKeys(tenant, prefix, after string, limit int) []state.Record {
	m.mu.RLock()
	defer m.mu.RUnlock()
	t := m.tenant(tenant, false)
	if t == nil {
		return nil
	}
	start := max(after, prefix)
	i, found := slices.BinarySearch(t.byKey, start)
	if found && start == after {
		i++
	}
	var out []state.Record
	for ; i < len(t.byKey) && len(out) < limit; i++ {
		k := t.byKey[i]
		if !strings.HasPrefix(k, prefix) {
			break
		}
		out = append(out, cloneRec(t.items[k].rec))
	}
	return out
}

func (m *memory) scanSeq(tenant string, since, upTo uint64, limit int) []state.Record {
	m.mu.RLock()
	defer m.mu.RUnlock()
	t := m.tenant(tenant, false)
	if t == nil {
		return nil
	}
	i, found := slices.BinarySearchFunc(t.bySeq, since, cmpSeq)
	if found {
		i++
	}
	var out []state.Record
	for ; i < len(t.bySeq) && len(out) < limit && t.bySeq[i].seq <= upTo; i++ {
		out = append(out, cloneRec(t.items[t.bySeq[i].key].rec))
	}
	return out
}
