package refcell

import (
	"context"
	"sync"
	"time"

	"github.com/cellfabric/cellfabric/workload/state"
)

// Health checks of the store, in one place.
const (
	// storePingTimeout bounds one check of the store.
	storePingTimeout = 2 * time.Second
	// storePingCache is how long a check's verdict answers /healthz: load
	// balancers probe every few seconds from several places, and the store
	// need not hear of each probe.
	storePingCache = time.Second
)

// storeStatus is what /healthz says of the store.
type storeStatus struct {
	OK    bool   `json:"ok"`
	Kind  string `json:"kind,omitempty"`
	Error string `json:"error,omitempty"`
}

// storeHealth pings the store for /healthz, caching the verdict briefly. A
// store that was down answers again without a restart: the next ping after
// the cache expires sees it. The verdict is every prober's, so the ping
// runs on its own deadline, not on the context of the probe that started
// it: a prober that hangs up does not turn the store unhealthy for the
// others.
type storeHealth struct {
	store state.Store

	mu   sync.Mutex
	at   time.Time
	last storeStatus
}

func (h *storeHealth) status(ctx context.Context) storeStatus {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.at.IsZero() && time.Since(h.at) < storePingCache {
		return h.last
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storePingTimeout)
	defer cancel()
	h.last = storeStatus{OK: true}
	if err := h.store.Ping(ctx); err != nil {
		h.last = storeStatus{Error: err.Error()}
	}
	h.at = time.Now()
	return h.last
}
