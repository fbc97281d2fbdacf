package directory

import (
	"context"
	"fmt"
	"sync"

	"github.com/cellfabric/cellfabric/router"
)

// MaxBatch is the most entries one batch carries.
const MaxBatch = 1000

// Mode is how a batch writes its entries.
type Mode string

// Batch modes.
const (
	// ModeUpsert adds or changes each entry (no epoch check): a batch sent
	// twice leaves the directory as once, the second time every entry
	// unchanged.
	ModeUpsert Mode = "upsert"
	// ModeIfAbsent adds each entry only if its tenant is not in the
	// directory (ReasonExists otherwise; an equal entry is unchanged).
	ModeIfAbsent Mode = "ifAbsent"
)

// BatchResult is one entry's result, in the order of the batch: its epoch
// and outcome, or why it was refused.
type BatchResult struct {
	ID      string  `json:"id"`
	Epoch   int64   `json:"epoch,omitempty"`
	Outcome Outcome `json:"outcome,omitempty"`
	Error   string  `json:"error,omitempty"`
	Reason  string  `json:"reason,omitempty"`
}

// OK reports whether the entry was applied (or already so).
func (r BatchResult) OK() bool { return r.Reason == "" }

// Retryable reports whether a refusal with this reason may succeed when
// the same request is sent again unchanged: the store failed, or the
// writer had no registry yet.
func Retryable(reason string) bool {
	switch reason {
	case ReasonStore, ReasonNotStored, ReasonNoRegistry:
		return true
	}
	return false
}

// batchItem is an entry of a batch, or why it could not be decoded.
type batchItem struct {
	t   router.Tenant
	err *Error
}

// Batch writes up to MaxBatch entries, each as Put would (ModeIfAbsent:
// with IfAbsent), and returns one result per entry in order: an entry that
// is refused (invalid, a conflict, its id already earlier in the batch) is
// reported and the others are applied. The error is for the batch as a
// whole (too many entries, an unknown mode, no registry).
func (d *Directory) Batch(ctx context.Context, entries []router.Tenant, mode Mode) ([]BatchResult, error) {
	items := make([]batchItem, len(entries))
	for i, t := range entries {
		items[i].t = t
	}
	return d.batch(ctx, items, mode)
}

func (d *Directory) batch(ctx context.Context, items []batchItem, mode Mode) ([]BatchResult, error) {
	switch {
	case len(items) > MaxBatch:
		e := errorf(400, ReasonBatchTooLarge, "", "the batch has %d entries, over the limit of %d: split it into batches of %d", len(items), MaxBatch, MaxBatch)
		e.MaxBatch = MaxBatch
		return nil, e
	case mode == "":
		mode = ModeUpsert
	case mode != ModeUpsert && mode != ModeIfAbsent:
		return nil, errorf(400, ReasonBadQuery, "", "unknown batch mode %q: use upsert or ifAbsent", mode)
	}
	first := "a tenant"
	if len(items) > 0 {
		first = fmt.Sprintf("tenant %q", items[0].t.ID)
	}
	snap := d.registry()
	if snap == nil {
		return nil, &Error{Status: 503, Reason: ReasonNoRegistry, RetryAfter: 5,
			Msg: fmt.Sprintf("the directory holds no registry yet, so it cannot check the batch (starting with %s); retry once the registry is loaded", first)}
	}
	results := make([]BatchResult, len(items))
	seen := make(map[string]int, len(items))
	var todo []int
	for i, it := range items {
		results[i].ID = it.t.ID
		switch {
		case it.err != nil:
			results[i].Error, results[i].Reason = it.err.Msg, it.err.Reason
		case checkID(it.t.ID) != nil:
			e := AsError(checkID(it.t.ID))
			results[i].Error, results[i].Reason = e.Msg, e.Reason
		default:
			if j, dup := seen[it.t.ID]; dup {
				results[i].Error = fmt.Sprintf("tenant %q is in the batch twice (entries %d and %d): send each tenant once", it.t.ID, j, i)
				results[i].Reason = ReasonDuplicate
				continue
			}
			seen[it.t.ID] = i
			todo = append(todo, i)
		}
	}
	opts := PutOptions{IfAbsent: mode == ModeIfAbsent}
	c := counts{}
	var mu sync.Mutex
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(d.parallel, len(todo)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := counts{}
			for i := range work {
				stored, outcome, err := d.write(ctx, snap, items[i].t, opts, mine)
				if err != nil {
					e := AsError(err)
					results[i].Error, results[i].Reason = e.Msg, e.Reason
					continue
				}
				results[i].Epoch, results[i].Outcome = stored.Epoch, outcome
			}
			mu.Lock()
			for cell, n := range mine {
				c.add(cell, n)
			}
			mu.Unlock()
		}()
	}
	for _, i := range todo {
		work <- i
	}
	close(work)
	wg.Wait()
	d.applyCounts(ctx, c)
	return results, nil
}
