package directory

import (
	"container/heap"
	"context"
	"strings"
	"sync"
	"time"
)

// Memory is an in-memory KV, strongly consistent: a write is visible to
// every reader as soon as Put returns (so a Directory over it needs no
// Settle). Listings are sorted by key bytes; keys expire after their TTL by
// the clock given to NewMemory. Tests and `cellfabric local` use it.
type Memory struct {
	now func() time.Time

	mu      sync.RWMutex
	items   map[string]memItem
	order   sortedKeys
	expires expiryHeap
}

var (
	_ KV          = (*Memory)(nil)
	_ ValueLister = (*Memory)(nil)
)

type memItem struct {
	value []byte
	exp   int64 // unix ms it expires at; 0: never
}

// NewMemory returns an empty Memory. now is its clock for TTLs (nil:
// time.Now).
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{now: now, items: map[string]memItem{}}
}

// Len returns the number of keys, expired ones not yet dropped included.
func (m *Memory) Len() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.items)
}

func (m *Memory) live(it memItem, now int64) bool { return it.exp == 0 || it.exp > now }

// Get implements KV.
func (m *Memory) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	now := m.now().UnixMilli()
	m.mu.RLock()
	it, ok := m.items[key]
	m.mu.RUnlock()
	if !ok || !m.live(it, now) {
		return nil, false, nil
	}
	return append([]byte(nil), it.value...), true, nil
}

// Put implements KV.
func (m *Memory) Put(ctx context.Context, key string, value []byte, ttlSeconds int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.put(key, append([]byte(nil), value...), m.expiry(ttlSeconds))
	return nil
}

// expiry returns the unix ms a key written now with ttlSeconds expires at.
func (m *Memory) expiry(ttlSeconds int) int64 {
	if ttlSeconds <= 0 {
		return 0
	}
	return m.now().Add(time.Duration(ttlSeconds) * time.Second).UnixMilli()
}

// put stores value (owned by m from now on) with its expiry.
func (m *Memory) put(key string, value []byte, exp int64) {
	now := m.now().UnixMilli()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dropExpired(now)
	if _, ok := m.items[key]; !ok {
		m.order.insert(key)
	}
	m.items[key] = memItem{value: value, exp: exp}
	if exp != 0 {
		heap.Push(&m.expires, expiryEntry{key: key, exp: exp})
	}
}

// Delete implements KV.
func (m *Memory) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.delete(key)
	return nil
}

func (m *Memory) delete(key string) {
	now := m.now().UnixMilli()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dropExpired(now)
	if _, ok := m.items[key]; ok {
		delete(m.items, key)
		m.order.remove(key)
	}
}

// dropExpired removes the keys whose time has come (m.mu held for
// writing). A heap entry whose key was rewritten since is stale and only
// popped.
func (m *Memory) dropExpired(now int64) {
	for len(m.expires) > 0 && m.expires[0].exp <= now {
		e := heap.Pop(&m.expires).(expiryEntry)
		if it, ok := m.items[e.key]; ok && it.exp == e.exp {
			delete(m.items, e.key)
			m.order.remove(e.key)
		}
	}
}

// List implements KV. The cursor is the last key of the previous page.
func (m *Memory) List(ctx context.Context, prefix, cursor string, limit int) ([]string, string, error) {
	var keys []string
	next, err := m.scan(ctx, prefix, cursor, limit, func(k string, _ []byte) { keys = append(keys, k) })
	return keys, next, err
}

// ListValues implements ValueLister.
func (m *Memory) ListValues(ctx context.Context, prefix, cursor string, limit int) ([]KeyValue, string, error) {
	var out []KeyValue
	next, err := m.scan(ctx, prefix, cursor, limit, func(k string, v []byte) {
		out = append(out, KeyValue{Key: k, Value: append([]byte(nil), v...)})
	})
	return out, next, err
}

func (m *Memory) scan(ctx context.Context, prefix, cursor string, limit int, each func(string, []byte)) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if limit <= 0 {
		limit = DefaultListLimit
	}
	now := m.now().UnixMilli()
	m.mu.RLock()
	defer m.mu.RUnlock()
	from, after := prefix, false
	if cursor > prefix {
		from, after = cursor, true
	}
	n, more := 0, false
	last := ""
	m.order.ascend(from, after, func(k string) bool {
		if !strings.HasPrefix(k, prefix) {
			return false
		}
		it := m.items[k]
		if !m.live(it, now) {
			return true
		}
		if n == limit {
			more = true
			return false
		}
		each(k, it.value)
		last = k
		n++
		return true
	})
	if !more {
		return "", nil
	}
	return last, nil
}

// expiryHeap orders keys with a TTL by their expiry.
type expiryHeap []expiryEntry

type expiryEntry struct {
	key string
	exp int64
}

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].exp < h[j].exp }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(expiryEntry)) }
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

// forEach calls fn with every live key and its item, in key order, under
// the read lock (fn must not call back into m).
func (m *Memory) forEach(fn func(key string, it memItem)) {
	now := m.now().UnixMilli()
	m.mu.RLock()
	defer m.mu.RUnlock()
	m.order.ascend("", false, func(k string) bool {
		if it := m.items[k]; m.live(it, now) {
			fn(k, it)
		}
		return true
	})
}
