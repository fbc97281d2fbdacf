package aztable

import (
	"container/heap"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"github.com/cellfabric/cellfabric/workload/state"
)

// maxPage is the most entities the table service returns in one page.
const maxPage = 1000

// keyCharMax is the greatest byte a key may hold (state.ValidKey): a key
// with prefix p sorts at or below p followed by keyCharMax up to the
// longest key's length.
const keyCharMax = '~'

// quote returns s as an OData string literal.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// keysFilter selects the tenant's items whose key starts with prefix and
// sorts after after: a row-key range within the tenant's partition, which
// the service answers in row-key (the keys' byte) order.
func keysFilter(tenant, prefix, after string) string {
	lower := "RowKey ge " + quote(itemRow(prefix))
	if after >= prefix {
		lower = "RowKey gt " + quote(itemRow(after))
	}
	upper := "RowKey le " + quote(itemRow(prefix+strings.Repeat(string(rune(keyCharMax)), max(0, state.MaxKeyBytes-len(prefix)))))
	return "PartitionKey eq " + quote(tenant) + " and " + lower + " and " + upper
}

// seqFilter selects the tenant's items with since < Seq <= upTo. Table
// Storage has no secondary index: the service scans the whole partition
// for it (see ScanSeq).
func seqFilter(tenant string, since, upTo uint64) string {
	return fmt.Sprintf("PartitionKey eq %s and RowKey gt %s and RowKey lt %s and %s gt %dL and %s le %dL",
		quote(tenant), quote(itemPrefix), quote(itemsEnd), propSeq, since, propSeq, upTo)
}

// ScanKeys implements state.Backend with one row-key range query, paged.
func (b *Backend) ScanKeys(ctx context.Context, tenant, prefix, after string, limit int) ([]state.Record, error) {
	if limit <= 0 {
		return nil, nil
	}
	op := "listing the keys of tenant " + tenant
	var out []state.Record
	err := b.scan(ctx, op, keysFilter(tenant, prefix, after), min(limit, maxPage), func(r state.Record) bool {
		if !strings.HasPrefix(r.Key, prefix) || r.Key <= after {
			return true // outside the range asked for: never sent by a faithful service
		}
		out = append(out, r)
		return len(out) < limit
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ScanSeq implements state.Backend. The service can only filter the
// tenant's partition on Seq and return the matches in key order, so this
// reads every item in (since, upTo] — a partition scan, and a transfer of
// every match, per call — keeping the limit lowest in a heap, and sorts
// them. A reader of the change feed near its head (a mover catching up)
// matches few items; one far behind pays for the whole range each call.
func (b *Backend) ScanSeq(ctx context.Context, tenant string, since, upTo uint64, limit int) ([]state.Record, error) {
	upTo = min(upTo, math.MaxInt64) // no item holds a larger number
	if limit <= 0 || since >= upTo {
		return nil, nil
	}
	op := "reading the change feed of tenant " + tenant
	h := &bySeqDesc{}
	err := b.scan(ctx, op, seqFilter(tenant, since, upTo), maxPage, func(r state.Record) bool {
		if r.Seq <= since || r.Seq > upTo {
			return true // outside the range asked for: never sent by a faithful service
		}
		if h.Len() < limit {
			heap.Push(h, r)
		} else if r.Seq < (*h)[0].Seq {
			(*h)[0] = r
			heap.Fix(h, 0)
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	out := []state.Record(*h)
	slices.SortFunc(out, func(a, b state.Record) int {
		switch {
		case a.Seq < b.Seq:
			return -1
		case a.Seq > b.Seq:
			return 1
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out, nil
}

// scan runs a query within one partition, page by page (each page bounded
// by the backend's timeout), and calls fn with each item until fn returns
// false or the pages end.
func (b *Backend) scan(ctx context.Context, op, filter string, top int, fn func(state.Record) bool) error {
	if b.closed.Load() {
		return state.ErrClosed
	}
	t := int32(top)
	pager := b.client.NewListEntitiesPager(&aztables.ListEntitiesOptions{Filter: &filter, Top: &t})
	for pager.More() {
		c, cancel, err := b.call(ctx)
		if err != nil {
			return err
		}
		page, err := pager.NextPage(c)
		cancel()
		if err != nil {
			return b.unavailable(op, err)
		}
		for _, raw := range page.Entities {
			e, err := unmarshal(raw)
			if err != nil {
				return fmt.Errorf("%s: %w", op, err)
			}
			r, err := decodeItem(e)
			if err != nil {
				return fmt.Errorf("%s: %w", op, err)
			}
			if !fn(r) {
				return nil
			}
		}
	}
	return nil
}

// bySeqDesc is a max-heap of records by sequence number: its root is the
// highest of the lowest numbers kept so far.
type bySeqDesc []state.Record

func (h bySeqDesc) Len() int           { return len(h) }
func (h bySeqDesc) Less(i, j int) bool { return h[i].Seq > h[j].Seq }
func (h bySeqDesc) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *bySeqDesc) Push(x any)        { *h = append(*h, x.(state.Record)) }
func (h *bySeqDesc) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
