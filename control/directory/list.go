package directory

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/cellfabric/cellfabric/router"
)

// Page is one page of the directory's entries: the answer of GET /tenants.
type Page struct {
	// Entries are in tenant id order.
	Entries []router.Tenant `json:"entries"`
	// Cursor continues the listing; "" at the end.
	Cursor string `json:"cursor,omitempty"`
	// Position is set on the first page only: the journal position at the
	// time the listing started. A reader that loads every page and then
	// follows Changes from it misses no change and at worst sees one it
	// already has (it ignores it by epoch).
	Position string `json:"position,omitempty"`
}

// List returns a page of up to limit entries (0: DefaultListLimit; at most
// DefaultListLimit) after cursor ("" = from the first tenant).
func (d *Directory) List(ctx context.Context, cursor string, limit int) (Page, error) {
	switch {
	case limit == 0:
		limit = DefaultListLimit
	case limit < 0 || limit > DefaultListLimit:
		return Page{}, errorf(400, ReasonBadQuery, "", "limit %d is out of range: ask for 1..%d entries per page", limit, DefaultListLimit)
	}
	var p Page
	if cursor == "" {
		_, h := d.horizon()
		p.Position = positionAt(h).String()
	}
	kvs, next, err := d.listValues(ctx, TenantPrefix, cursor, limit)
	if err != nil {
		return Page{}, storeError("", "listing tenants", err)
	}
	p.Cursor = next
	p.Entries = make([]router.Tenant, 0, len(kvs))
	for _, kv := range kvs {
		t, err := decodeEntry(kv.Value)
		if err != nil {
			id := strings.TrimPrefix(kv.Key, TenantPrefix)
			d.log.Error("tenant directory: stored entry does not decode; left out of the listing", "tenant", id, "err", err)
			continue
		}
		p.Entries = append(p.Entries, t)
	}
	return p, nil
}

// Load calls each with every entry of the directory, a page at a time, and
// returns the position to follow Changes from (see Page.Position). An
// error from each stops it and is returned.
func (d *Directory) Load(ctx context.Context, each func([]router.Tenant) error) (string, error) {
	return LoadPages(ctx, d.List, each)
}

// LoadPages is Load over any lister of pages (Directory.List, or the
// control API's client): it calls each with every entry, list's pages of
// DefaultListLimit one after the other, and returns the first page's
// position. An error from list or each stops it and is returned.
func LoadPages(ctx context.Context, list func(ctx context.Context, cursor string, limit int) (Page, error), each func([]router.Tenant) error) (string, error) {
	var position, cursor string
	for {
		p, err := list(ctx, cursor, DefaultListLimit)
		if err != nil {
			return "", err
		}
		if cursor == "" {
			position = p.Position
		}
		if len(p.Entries) > 0 {
			if err := each(p.Entries); err != nil {
				return "", err
			}
		}
		if p.Cursor == "" {
			return position, nil
		}
		cursor = p.Cursor
	}
}

// listValues lists keys with their values: in one call when the KV is a
// ValueLister, otherwise with a Get per key (BatchParallel at once). A key
// deleted between the listing and its Get is left out.
func (d *Directory) listValues(ctx context.Context, prefix, cursor string, limit int) ([]KeyValue, string, error) {
	if vl, ok := d.kv.(ValueLister); ok {
		return vl.ListValues(ctx, prefix, cursor, limit)
	}
	keys, next, err := d.kv.List(ctx, prefix, cursor, limit)
	if err != nil {
		return nil, "", err
	}
	out := make([]KeyValue, len(keys))
	found := make([]bool, len(keys))
	errs := make([]error, len(keys))
	var wg sync.WaitGroup
	sem := make(chan struct{}, d.parallel)
	for i, k := range keys {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out[i].Key = k
			out[i].Value, found[i], errs[i] = d.kv.Get(ctx, k)
		}()
	}
	wg.Wait()
	kept := out[:0]
	for i := range out {
		if errs[i] != nil {
			return nil, "", fmt.Errorf("reading %s: %w", keys[i], errs[i])
		}
		if found[i] {
			kept = append(kept, out[i])
		}
	}
	return kept, next, nil
}
