package server

import (
	"sync/atomic"
	"time"
)

// retryBudget allows, within each second, MinRetriesPerSecond retries plus
// RetryRatio retries per request seen, so that retries cannot multiply the
// load on cells that are already failing.
type retryBudget struct {
	ratio   float64
	min     int64
	second  atomic.Int64
	reqs    atomic.Int64
	retries atomic.Int64
	denied  atomic.Uint64
	allowed atomic.Uint64
}

func (b *retryBudget) rotate() {
	now := time.Now().Unix()
	if cur := b.second.Load(); cur != now && b.second.CompareAndSwap(cur, now) {
		b.reqs.Store(0)
		b.retries.Store(0)
	}
}

// request counts one incoming request.
func (b *retryBudget) request() {
	b.rotate()
	b.reqs.Add(1)
}

// allow takes one retry from the budget, or reports that it is spent.
func (b *retryBudget) allow() bool {
	b.rotate()
	limit := max(b.min, int64(b.ratio*float64(b.reqs.Load())))
	if b.retries.Add(1) > limit {
		b.retries.Add(-1)
		b.denied.Add(1)
		return false
	}
	b.allowed.Add(1)
	return true
}
