package directory

import (
	"context"
	"strconv"
	"strings"
)

// counts are changes to the cells' tenant counters (n/<cell>), by cell.
type counts map[string]int64

func (c counts) add(cell string, delta int64) {
	if cell != "" {
		c[cell] += delta
	}
}

// applyCounts adds c to the stored counters. The counters are approximate
// (Workers KV has no atomic increment, and two processes may add at once):
// Place uses them to compare cells, nothing depends on them being exact. A
// failure is logged, not returned: the tenant's write already happened.
func (d *Directory) applyCounts(ctx context.Context, c counts) {
	if len(c) == 0 {
		return
	}
	ctx = context.WithoutCancel(ctx)
	d.countMu.Lock()
	defer d.countMu.Unlock()
	for cell, delta := range c {
		if delta == 0 {
			continue
		}
		n, err := d.count(ctx, cell)
		if err == nil {
			n = max(n+delta, 0)
			err = d.kv.Put(ctx, CounterKey(cell), []byte(strconv.FormatInt(n, 10)), 0)
		}
		if err != nil {
			d.log.Warn("tenant directory: cell counter not updated; placement may favour this cell", "cell", cell, "delta", delta, "err", err)
		}
	}
}

// count reads a cell's counter (0 when absent or unreadable as a number).
func (d *Directory) count(ctx context.Context, cell string) (int64, error) {
	v, found, err := d.kv.Get(ctx, CounterKey(cell))
	if err != nil || !found {
		return 0, err
	}
	n, perr := strconv.ParseInt(strings.TrimSpace(string(v)), 10, 64)
	if perr != nil || n < 0 {
		return 0, nil
	}
	return n, nil
}

// Counts returns the tenant counters of the given cells (approximate; see
// applyCounts).
func (d *Directory) Counts(ctx context.Context, cells []string) (map[string]int64, error) {
	out := make(map[string]int64, len(cells))
	for _, c := range cells {
		n, err := d.count(ctx, c)
		if err != nil {
			return nil, storeError("", "reading cell counters", err)
		}
		out[c] = n
	}
	return out, nil
}
