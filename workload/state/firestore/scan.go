package firestore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	gfs "cloud.google.com/go/firestore"
	"google.golang.org/api/iterator"

	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/contract"
)

// afterLastKeyByte sorts after every byte a key may hold ('~' is the
// highest): a prefix followed by it bounds the ids of the prefix's keys.
const afterLastKeyByte = "\x7f"

// ScanKeys implements state.Backend: one query of the tenant's items in
// document id order (which is key order), starting after `after` (or at
// the prefix) and ending before the first id past the prefix.
func (b *Backend) ScanKeys(ctx context.Context, tenant, prefix, after string, limit int) ([]state.Record, error) {
	if limit <= 0 {
		return nil, nil
	}
	q := b.items(tenant).OrderBy(gfs.DocumentID, gfs.Asc).Limit(limit)
	switch {
	case after >= prefix && after != "":
		q = q.StartAfter(itemID(after))
	case prefix != "":
		q = q.StartAt(itemID(prefix))
	}
	if prefix != "" {
		q = q.EndBefore(itemID(prefix) + afterLastKeyByte)
	}
	recs, err := b.run(ctx, q, limit)
	if err != nil {
		return nil, fmt.Errorf("listing the keys of tenant %s: %w", tenant, err)
	}
	// The cursors bound the query; this only guards against a store that
	// ordered ids otherwise.
	for i, r := range recs {
		if !strings.HasPrefix(r.Key, prefix) || (after != "" && r.Key <= after) {
			return nil, fmt.Errorf("%w: listing the keys of tenant %s: key %q is out of the range asked (prefix %q, after %q)", state.ErrUnavailable, tenant, recs[i].Key, prefix, after)
		}
	}
	return recs, nil
}

// ScanSeq implements state.Backend: one query of the tenant's items with
// since < seq <= upTo, in seq order.
func (b *Backend) ScanSeq(ctx context.Context, tenant string, since, upTo uint64, limit int) ([]state.Record, error) {
	if limit <= 0 || since >= upTo {
		return nil, nil
	}
	lo, err := seqValue(since)
	if err != nil {
		return nil, fmt.Errorf("%w: reading the feed of tenant %s: %w", state.ErrUnavailable, tenant, err)
	}
	hi, err := seqValue(upTo)
	if err != nil {
		return nil, fmt.Errorf("%w: reading the feed of tenant %s: %w", state.ErrUnavailable, tenant, err)
	}
	q := b.items(tenant).
		Where(contract.FirestoreFieldSeq, ">", lo).
		Where(contract.FirestoreFieldSeq, "<=", hi).
		OrderBy(contract.FirestoreFieldSeq, gfs.Asc).
		Limit(limit)
	recs, err := b.run(ctx, q, limit)
	if err != nil {
		return nil, fmt.Errorf("reading the feed of tenant %s: %w", tenant, err)
	}
	return recs, nil
}

// run runs q within one call's timeout and decodes the items it returns.
func (b *Backend) run(ctx context.Context, q gfs.Query, limit int) ([]state.Record, error) {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	it := q.Documents(ctx)
	defer it.Stop()
	recs := make([]state.Record, 0, min(limit, 64))
	for {
		snap, err := it.Next()
		if errors.Is(err, iterator.Done) {
			return recs, nil
		}
		if err != nil {
			return nil, unavailable("querying", err)
		}
		r, err := decodeItem(snap.Ref.ID, snap.Data())
		if err != nil {
			return nil, fmt.Errorf("%w: %w", state.ErrUnavailable, err)
		}
		recs = append(recs, r)
	}
}
