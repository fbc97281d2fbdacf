package dirhttp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
)

// Get returns tenant id's entry; an *APIError with reason
// directory.ReasonNotFound when the directory has none.
func (c *Client) Get(ctx context.Context, id string) (router.Tenant, error) {
	if err := checkID(id); err != nil {
		return router.Tenant{}, err
	}
	var t router.Tenant
	_, err := c.do(ctx, call{method: "GET", path: "/tenants/" + id, tenant: id, doing: fmt.Sprintf("reading tenant %q", id)}, &t)
	return t, err
}

// Put writes t's entry (directory.Directory.Put) and returns the stored
// entry. When an attempt's answer was lost and the retry is refused as a
// conflict (exists, epoch_mismatch), the entry is read: if it is what was
// sent, the earlier attempt applied it and Put succeeds.
func (c *Client) Put(ctx context.Context, t router.Tenant, opts directory.PutOptions) (router.Tenant, error) {
	if err := checkID(t.ID); err != nil {
		return router.Tenant{}, err
	}
	body, err := json.Marshal(t)
	if err != nil {
		return router.Tenant{}, err
	}
	q := url.Values{}
	if opts.IfEpoch > 0 {
		q.Set("ifEpoch", strconv.FormatInt(opts.IfEpoch, 10))
	}
	if opts.IfAbsent {
		q.Set("ifAbsent", "1")
	}
	var stored router.Tenant
	attempts, err := c.do(ctx, call{method: "PUT", path: "/tenants/" + t.ID, query: q, body: body, tenant: t.ID, doing: fmt.Sprintf("writing tenant %q", t.ID)}, &stored)
	if err != nil && attempts > 1 {
		if r := Reason(err); r == directory.ReasonExists || r == directory.ReasonEpochMismatch {
			if now, gerr := c.Get(ctx, t.ID); gerr == nil && directory.SameEntry(now, t) {
				return now, nil
			}
		}
	}
	return stored, err
}

// Place asks the directory to place tenant id (directory.Directory.Place)
// and returns the stored entry; an existing entry comes back unchanged.
func (c *Client) Place(ctx context.Context, id string, req directory.PlaceRequest) (router.Tenant, error) {
	if err := checkID(id); err != nil {
		return router.Tenant{}, err
	}
	body, err := json.Marshal(req)
	if err != nil {
		return router.Tenant{}, err
	}
	var stored router.Tenant
	_, err = c.do(ctx, call{method: "POST", path: "/tenants/" + id + "/place", body: body, tenant: id, doing: fmt.Sprintf("placing tenant %q", id)}, &stored)
	return stored, err
}

// RecordAtRequest records the placement of tenant id, first seen at a
// request under the registry's policy place: the cells
// directory.PlaceAtRequest computes on snap (the registry the caller
// routes by, so every router and isolate holding it agrees) and the cells
// the directory has closed (read with Closed once per
// ClientConfig.ClosedTTL, at every call when it is 0), written as an add.
// An entry the directory already has is returned unchanged, whatever it
// says — also when an earlier attempt of this call wrote it and its
// answer was lost. It is the control API's counterpart of
// directory.Directory.RecordAtRequest, for a router that reaches the
// directory over HTTP.
func (c *Client) RecordAtRequest(ctx context.Context, snap *router.Snapshot, id string) (router.Tenant, error) {
	if err := checkID(id); err != nil {
		return router.Tenant{}, err
	}
	if snap == nil {
		return router.Tenant{}, fmt.Errorf("placing tenant %q: no registry loaded yet to place it by; retry once the router has one", id)
	}
	closed, err := c.closed.Get(ctx)
	if err != nil {
		return router.Tenant{}, fmt.Errorf("placing tenant %q: %w", id, err)
	}
	t, err := directory.PlaceAtRequest(snap, id, closed)
	if err != nil {
		return router.Tenant{}, err
	}
	stored, err := c.Put(ctx, t, directory.PutOptions{IfAbsent: true})
	if Reason(err) == directory.ReasonExists {
		return c.Get(ctx, id)
	}
	return stored, err
}

// Remove removes tenant id (ifEpoch > 0: only at that epoch) and returns
// its tombstone.
func (c *Client) Remove(ctx context.Context, id string, ifEpoch int64) (router.TenantChange, error) {
	if err := checkID(id); err != nil {
		return router.TenantChange{}, err
	}
	q := url.Values{}
	if ifEpoch > 0 {
		q.Set("ifEpoch", strconv.FormatInt(ifEpoch, 10))
	}
	var ch router.TenantChange
	attempts, err := c.do(ctx, call{method: "DELETE", path: "/tenants/" + id, query: q, tenant: id, doing: fmt.Sprintf("removing tenant %q", id)}, &ch)
	if err != nil && attempts > 1 && Reason(err) == directory.ReasonNotFound {
		err = fmt.Errorf("%w (an earlier attempt whose answer was lost may have removed it)", err)
	}
	return ch, err
}

// Batch writes up to directory.MaxBatch entries and returns one result per
// entry, in order. A batch is retried whole: entries an earlier attempt
// applied come back unchanged (in ModeIfAbsent too, when equal).
//
// A server may take smaller batches than directory.MaxBatch (the Worker
// takes what fits in Workers KV's operations per invocation): a batch it
// refuses as too large (directory.ReasonBatchTooLarge, refused before any
// entry is written) is sent again in parts of the size the refusal names
// (ErrorBody.MaxBatch; the Worker's), or in halves when it names none, and
// the size that was taken is kept for the Client's later batches.
func (c *Client) Batch(ctx context.Context, entries []router.Tenant, mode directory.Mode) ([]directory.BatchResult, error) {
	if len(entries) == 0 {
		return c.batch(ctx, entries, mode)
	}
	size := len(entries)
	if n := int(c.batchCap.Load()); n > 0 && n < size {
		size = n
	}
	out := make([]directory.BatchResult, 0, len(entries))
	for start := 0; start < len(entries); {
		part := entries[start:min(start+size, len(entries))]
		results, err := c.batch(ctx, part, mode)
		if err != nil && len(part) > 1 && Reason(err) == directory.ReasonBatchTooLarge {
			size = (len(part) + 1) / 2
			var ae *APIError
			if errors.As(err, &ae) && ae.MaxBatch > 0 && ae.MaxBatch < len(part) {
				size = ae.MaxBatch
			}
			c.lowerBatchCap(size)
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, results...)
		start += len(part)
	}
	return out, nil
}

// lowerBatchCap lowers the batch size later batches start from to n.
func (c *Client) lowerBatchCap(n int) {
	for {
		cur := c.batchCap.Load()
		if cur > 0 && cur <= int64(n) {
			return
		}
		if c.batchCap.CompareAndSwap(cur, int64(n)) {
			return
		}
	}
}

// batch sends one batch.
func (c *Client) batch(ctx context.Context, entries []router.Tenant, mode directory.Mode) ([]directory.BatchResult, error) {
	raw := make([]json.RawMessage, len(entries))
	for i := range entries {
		b, err := json.Marshal(entries[i])
		if err != nil {
			return nil, err
		}
		raw[i] = b
	}
	body, err := json.Marshal(directory.BatchRequest{Entries: raw})
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	if mode != "" {
		q.Set("mode", string(mode))
	}
	doing := fmt.Sprintf("writing a batch of %d tenants", len(entries))
	if len(entries) > 0 {
		doing = fmt.Sprintf("writing a batch of %d tenants (%q to %q)", len(entries), entries[0].ID, entries[len(entries)-1].ID)
	}
	var out directory.BatchResponse
	if _, err := c.do(ctx, call{method: "POST", path: "/batch", query: q, body: body, doing: doing}, &out); err != nil {
		return nil, err
	}
	if len(out.Results) != len(entries) {
		return nil, fmt.Errorf("%s: the control API answered %d results for %d entries", doing, len(out.Results), len(entries))
	}
	return out.Results, nil
}

// List returns a page of entries after cursor ("" = the first page, which
// carries the journal position).
func (c *Client) List(ctx context.Context, cursor string, limit int) (directory.Page, error) {
	q := url.Values{}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var p directory.Page
	_, err := c.do(ctx, call{method: "GET", path: "/tenants", query: q, doing: "listing tenants"}, &p)
	return p, err
}

// Load calls each with every entry, a page at a time, and returns the
// position to follow Changes from: the directory's feed, remotely.
func (c *Client) Load(ctx context.Context, each func([]router.Tenant) error) (string, error) {
	return directory.LoadPages(ctx, c.List, each)
}

// Changes returns the changes after position and the position to ask from
// next (directory.Directory.Changes); an *APIError with reason
// directory.ReasonPositionExpired when the reader must Load again.
func (c *Client) Changes(ctx context.Context, position string) ([]router.TenantChange, string, error) {
	return c.ChangesPage(ctx, position, 0)
}

// ChangesPage is Changes with the most changes to return (0: the
// server's default).
func (c *Client) ChangesPage(ctx context.Context, position string, limit int) ([]router.TenantChange, string, error) {
	q := url.Values{}
	q.Set("since", position)
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out directory.ChangesResponse
	if _, err := c.do(ctx, call{method: "GET", path: "/changes", query: q, doing: "reading the directory's changes"}, &out); err != nil {
		return nil, "", err
	}
	return out.Changes, out.Position, nil
}

// checkID refuses, before sending anything, an id that is not a tenant id
// (it would not even make a path of one segment).
func checkID(id string) error {
	if fabric.ValidTenantID(id) {
		return nil
	}
	return &APIError{Status: 422, Reason: directory.ReasonInvalidID, Tenant: id,
		Message: fmt.Sprintf("%q is not a valid tenant id: use %s", id, fabric.TenantIDRule)}
}
