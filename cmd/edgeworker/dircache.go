package main

import (
	"sync"
	"time"

	"github.com/cellfabric/cellfabric/router"
)

// dirCache is the isolate's bounded cache of tenant-directory lookups: a
// least-recently-used list of entries, each either a tenant's placement or
// the knowledge that the directory holds none. It never holds more than max
// entries, whatever the directory's size. Expired entries stay until they
// are evicted, so that a lookup the directory fails can still be answered
// from the last one read.
//
// A hit takes the lock, moves the entry to the front and returns a pointer
// to its placement: no allocation. Placements are never modified once
// cached (a new read replaces the entry), so the pointer stays valid after
// the lock is released.
type dirCache struct {
	mu      sync.Mutex
	max     int
	entries map[string]*dirEntry
	// head is the most recently used entry, tail the least; nil when empty.
	head, tail *dirEntry
	// gen counts the writes the isolate made (set, drop): a read begun
	// before one may hold what the write replaced, so its outcome is not
	// cached (putIf).
	gen uint64
}

// dirEntry is one cached lookup.
type dirEntry struct {
	// tenant is the placement, or nil when the directory holds none.
	tenant *router.Tenant
	// expires is the Unix time in nanoseconds after which the entry is
	// stale.
	expires    int64
	id         string
	prev, next *dirEntry
}

// cached is what the cache knows of one tenant.
type cached struct {
	// Tenant is the placement, nil when the directory holds none.
	Tenant *router.Tenant
	// Fresh is false for an expired entry: read the directory again, and
	// use this one only when that fails.
	Fresh bool
}

func newDirCache(max int) *dirCache {
	return &dirCache{max: max, entries: make(map[string]*dirEntry)}
}

// get returns what the cache holds for id and whether it holds anything.
func (c *dirCache) get(id string, now time.Time) (cached, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[id]
	if e == nil {
		return cached{}, false
	}
	c.toFront(e)
	return cached{Tenant: e.tenant, Fresh: now.UnixNano() < e.expires}, true
}

// put caches t (nil: absent from the directory) for id until expires,
// evicting the least recently used entry when the cache is full. id must
// not share memory with a request (the cache outlives it).
func (c *dirCache) put(id string, t *router.Tenant, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(id, t, expires)
}

// putLocked is put with mu held.
func (c *dirCache) putLocked(id string, t *router.Tenant, expires time.Time) {
	if e := c.entries[id]; e != nil {
		e.tenant, e.expires = t, expires.UnixNano()
		c.toFront(e)
		return
	}
	var e *dirEntry
	if len(c.entries) >= c.max {
		// Reuse the evicted entry: a full cache allocates no entry.
		e = c.tail
		c.unlink(e)
		delete(c.entries, e.id)
		*e = dirEntry{}
	} else {
		e = &dirEntry{}
	}
	e.id, e.tenant, e.expires = id, t, expires.UnixNano()
	c.entries[id] = e
	c.pushFront(e)
}

// generation returns the count of writes, for putIf.
func (c *dirCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// putIf is put unless a write was made since generation gen was read:
// the caller's read may be older than that write.
func (c *dirCache) putIf(gen uint64, id string, t *router.Tenant, expires time.Time) {
	c.mu.Lock()
	stale := c.gen != gen
	c.mu.Unlock()
	if !stale {
		c.put(id, t, expires)
	}
}

// set is put for what the isolate itself wrote to the directory: reads
// under way are not cached over it.
func (c *dirCache) set(id string, t *router.Tenant, expires time.Time) {
	c.mu.Lock()
	c.gen++
	c.mu.Unlock()
	c.put(id, t, expires)
}

// putNewer caches placement t until expires when it is newer than what
// the cache holds for its tenant (nothing, the directory's absence, or a
// placement of a lower epoch; one of the same epoch is the same placement,
// read again: its expiry is renewed), as a write does (reads under way are
// not cached over it). It returns the newest placement the cache holds for
// the tenant afterwards. t.ID must not share memory with a request.
func (c *dirCache) putNewer(t *router.Tenant, expires time.Time) *router.Tenant {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[t.ID]
	if e != nil && e.tenant != nil && e.tenant.Epoch > t.Epoch {
		c.toFront(e)
		return e.tenant
	}
	c.gen++
	c.putLocked(t.ID, t, expires)
	return t
}

// holding returns the placement the cache holds for id, expired or not,
// nil when none.
func (c *dirCache) holding(id string) *router.Tenant {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.entries[id]; e != nil {
		return e.tenant
	}
	return nil
}

// drop removes id's entry, for a tenant the isolate changed in the
// directory: its next lookup reads it.
func (c *dirCache) drop(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if e := c.entries[id]; e != nil {
		c.unlink(e)
		delete(c.entries, id)
	}
}

// len returns the number of entries.
func (c *dirCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

func (c *dirCache) toFront(e *dirEntry) {
	if c.head == e {
		return
	}
	c.unlink(e)
	c.pushFront(e)
}

func (c *dirCache) pushFront(e *dirEntry) {
	e.prev, e.next = nil, c.head
	if c.head != nil {
		c.head.prev = e
	}
	c.head = e
	if c.tail == nil {
		c.tail = e
	}
}

func (c *dirCache) unlink(e *dirEntry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		c.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		c.tail = e.prev
	}
	e.prev, e.next = nil, nil
}
