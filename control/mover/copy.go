package mover

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/cellfabric/cellfabric/workload/state"
)

// importer imports batches of records into the target, n at a time.
type importer struct {
	r       *run
	ctx     context.Context
	cancel  context.CancelFunc
	batches chan []state.Record
	wg      sync.WaitGroup
	once    sync.Once
	err     error
}

func (r *run) newImporter(ctx context.Context, n int) *importer {
	ctx, cancel := context.WithCancel(ctx)
	im := &importer{r: r, ctx: ctx, cancel: cancel, batches: make(chan []state.Record)}
	for range n {
		im.wg.Add(1)
		go func() {
			defer im.wg.Done()
			for b := range im.batches {
				if _, err := r.tgt.Import(ctx, r.o.Tenant, b); err != nil {
					im.once.Do(func() {
						im.err = fmt.Errorf("importing %d records of tenant %s into the target cell %s: %w", len(b), r.o.Tenant, r.o.Target, err)
						cancel()
					})
				}
			}
		}()
	}
	return im
}

// send queues a batch; it fails once an import failed.
func (im *importer) send(b []state.Record) error {
	select {
	case im.batches <- b:
		return nil
	case <-im.ctx.Done():
		return im.ctx.Err()
	}
}

func (im *importer) close() error {
	close(im.batches)
	im.wg.Wait()
	im.cancel()
	return im.err
}

// copy is step 2: the source's export into the target, in parallel
// batches; keys the target holds that the export has not (left by an
// earlier move) are deleted at the export's position.
func (r *run) copy(ctx context.Context) (string, error) {
	keys := make(map[string]struct{})
	im := r.newImporter(ctx, r.o.ImportParallel)
	var batch []state.Record
	p, err := r.src.Export(ctx, r.o.Tenant, func(rec state.Record) error {
		keys[rec.Key] = struct{}{}
		if r.sample == "" {
			r.sample = rec.Key
		}
		batch = append(batch, rec)
		if len(batch) == r.o.ImportBatch {
			b := batch
			batch = nil
			return im.send(b)
		}
		return nil
	})
	if err == nil && len(batch) > 0 {
		err = im.send(batch)
	}
	if ierr := im.close(); ierr != nil {
		return "", ierr // an import failed: the export stopped for it
	}
	if err != nil {
		return "", fromSrc(fmt.Errorf("exporting tenant %s from cell %s: %w", r.o.Tenant, r.srcC, err))
	}
	// Reconcile: what the target holds beyond the export.
	var stale []state.Record
	if _, err := r.tgt.Export(ctx, r.o.Tenant, func(rec state.Record) error {
		if _, ok := keys[rec.Key]; !ok && p > 0 {
			stale = append(stale, state.Record{Key: rec.Key, Seq: p, Deleted: true})
		}
		return nil
	}); err != nil {
		return "", fmt.Errorf("listing tenant %s's keys on the target cell %s: %w", r.o.Tenant, r.o.Target, err)
	}
	if err := r.importAll(ctx, stale); err != nil {
		return "", err
	}
	r.pos = p
	r.res.KeysCopied = len(keys)
	r.res.Reconciled = len(stale)
	return fmt.Sprintf("%d keys copied at position %d (%d left-over keys removed from the target)", len(keys), p, len(stale)), nil
}

// importAll imports recs in batches, in order.
func (r *run) importAll(ctx context.Context, recs []state.Record) error {
	for len(recs) > 0 {
		n := min(len(recs), r.o.ImportBatch)
		if _, err := r.tgt.Import(ctx, r.o.Tenant, recs[:n]); err != nil {
			return fmt.Errorf("importing %d records of tenant %s into the target cell %s: %w", n, r.o.Tenant, r.o.Target, err)
		}
		recs = recs[n:]
	}
	return nil
}

// catchUp reads the source's change feed once from r.pos (as much as
// one read gives) and imports it, ImportParallel batches at once: the
// records of one read are distinct keys, so their imports commute.
func (r *run) catchUp(ctx context.Context) (int, error) {
	recs, next, err := r.src.Changes(ctx, r.o.Tenant, r.pos, state.MaxChangesLimit)
	if err != nil {
		return 0, fromSrc(fmt.Errorf("reading tenant %s's changes on cell %s after %d: %w", r.o.Tenant, r.srcC, r.pos, err))
	}
	im := r.newImporter(ctx, r.o.ImportParallel)
	var serr error
	for rest := recs; len(rest) > 0 && serr == nil; {
		n := min(len(rest), r.o.ImportBatch)
		serr = im.send(rest[:n])
		rest = rest[n:]
	}
	if err := im.close(); err != nil {
		return 0, err
	}
	if serr != nil {
		return 0, serr
	}
	if next > r.pos {
		r.pos = next
	}
	r.res.Followed += len(recs)
	return len(recs), nil
}

// followPause is the wait between two reads of an empty change feed.
const followPause = 5 * time.Millisecond

// follow is step 3: the change feed into the target until one read of
// it brings at most LagThreshold records (the records the target was
// behind), or FollowDeadline.
func (r *run) follow(ctx context.Context) (string, error) {
	deadline := r.now().Add(r.o.FollowDeadline)
	applied := 0
	for {
		n, err := r.catchUp(ctx)
		if err != nil {
			return "", err
		}
		applied += n
		if uint64(n) <= r.o.LagThreshold {
			return fmt.Sprintf("%d changes applied; the last read brought %d (threshold %d)", applied, n, r.o.LagThreshold), nil
		}
		if !r.now().Before(deadline) {
			if !r.o.FenceAtDeadline {
				return "", fmt.Errorf("the target cell %s does not catch up with the source: the last read of the change feed still brought %d records (threshold %d) after %s; move the tenant at a quieter time, raise the lag threshold or the follow deadline, or fence at the deadline anyway (writes then wait for the whole lag to drain)", r.o.Target, n, r.o.LagThreshold, r.o.FollowDeadline)
			}
			return fmt.Sprintf("%d changes applied; the last read still brought %d at the %s deadline: fencing anyway", applied, n, r.o.FollowDeadline), nil
		}
	}
}
