package directory

import (
	"context"
	"sync"
	"time"
)

// ClosedCache keeps the cells closed to new placements for a while, so
// that a placer far from the store (the Worker over Workers KV, a router
// over the control API) reads the c/ flags once per TTL instead of once
// per tenant first seen at a request. A cell drained elsewhere is then
// skipped by this placer within TTL, as a registry change is seen within
// the placer's registry refresh.
//
// It is safe for concurrent use and holds no lock across the read: two
// callers finding it stale both read, and the later answer is kept.
type ClosedCache struct {
	read func(context.Context) (ClosedCells, error)
	ttl  time.Duration
	now  func() time.Time

	mu  sync.Mutex
	set ClosedCells
	at  time.Time // when set was read; zero: nothing held
}

// NewClosedCache returns a ClosedCache over read (Directory.Closed,
// dirhttp.Client.Closed). ttl is how long a read set is used; 0 or less
// reads at every Get. now is its clock; nil is time.Now.
func NewClosedCache(read func(context.Context) (ClosedCells, error), ttl time.Duration, now func() time.Time) *ClosedCache {
	if now == nil {
		now = time.Now
	}
	return &ClosedCache{read: read, ttl: ttl, now: now}
}

// Get returns the closed cells: the set held when it was read less than
// TTL ago, else a new read. A failed read is returned and nothing is kept.
func (c *ClosedCache) Get(ctx context.Context) (ClosedCells, error) {
	c.mu.Lock()
	if !c.at.IsZero() && c.now().Sub(c.at) < c.ttl {
		set := c.set
		c.mu.Unlock()
		return set, nil
	}
	c.mu.Unlock()
	at := c.now()
	set, err := c.read(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if at.After(c.at) || at.Equal(c.at) {
		c.set, c.at = set, at
	}
	c.mu.Unlock()
	return set, nil
}

// Forget drops the held set, so that the next Get reads: for the placer
// that just closed or opened a cell itself.
func (c *ClosedCache) Forget() {
	c.mu.Lock()
	c.set, c.at = nil, time.Time{}
	c.mu.Unlock()
}
