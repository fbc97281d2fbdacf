package stateapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/cellfabric/cellfabric/control/signedhttp"
	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/workload/state"
)

// ClientConfig configures a Client: the settings, and defaults, of every
// control-key-signed API client (signedhttp.Config). Its BaseURL is the
// cell, e.g. http://127.0.0.1:8081; BasePath is appended.
type ClientConfig = signedhttp.Config

// Client calls one cell's state admin API. Every call is signed with the
// control key and retried: each is safe to repeat (imports keep only newer
// records, a lock is taken again by its own id, an unlock of a free lock
// does nothing). It is safe for concurrent use.
type Client struct {
	sc *signedhttp.Client
	// path is where the API is under the base URL: BasePath, or
	// EdgePath(cell) through the edge Worker.
	path string
}

// NewClient returns a Client of the API a cell serves at cfg.BaseURL.
func NewClient(cfg ClientConfig) (*Client, error) {
	sc, err := signedhttp.New(cfg, "cell state API", "http://127.0.0.1:8081")
	if err != nil {
		return nil, err
	}
	return &Client{sc: sc, path: BasePath}, nil
}

// NewEdgeClient returns a Client of cell's API reached through the edge
// Worker at cfg.BaseURL (e.g. https://app.example.com), which verifies the
// control key and forwards each call to the cell, signed for it, under
// EdgePath(cell). A path in the base URL is kept in front of it.
func NewEdgeClient(cfg ClientConfig, cell string) (*Client, error) {
	if cell == "" || strings.ContainsAny(cell, "/?#%") {
		return nil, fmt.Errorf("cell %q: give a registry cell id (no '/', '?', '#' or '%%')", cell)
	}
	sc, err := signedhttp.New(cfg, "edge Worker", "https://app.example.com")
	if err != nil {
		return nil, err
	}
	return &Client{sc: sc, path: EdgePath(cell)}, nil
}

// Error is a refusal the API answered with. It unwraps to the state port's
// error it stands for (state.ErrInvalid, state.ErrFull,
// state.ErrUnavailable), so callers test it as they test the store's.
type Error struct {
	Status  int
	Reason  string
	Tenant  string
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("%s (HTTP %d %s)", e.Message, e.Status, e.Reason) }

func (e *Error) Unwrap() error {
	switch {
	case e.Reason == ReasonInvalid:
		return state.ErrInvalid
	case e.Reason == ReasonFull:
		return state.ErrFull
	case e.Status == http.StatusTooManyRequests || e.Status >= 500:
		return state.ErrUnavailable
	}
	return nil
}

// call is one API call.
type call struct {
	method, tenant, op string
	query              url.Values
	body               []byte
	contentType        string
	doing              string
	// moveID is the move asking, for a lock call's refusal.
	moveID string
}

// send sends cl, retrying network errors, 429s and 5xx, and returns the
// first other answer: its body unread when it is 200 (the caller closes
// it), an error otherwise.
func (c *Client) send(ctx context.Context, cl call) (*http.Response, error) {
	if !fabric.ValidTenantID(cl.tenant) {
		return nil, fmt.Errorf("%s: %w: %q is not a tenant id: %s", cl.doing, state.ErrInvalid, cl.tenant, fabric.TenantIDRule)
	}
	r := signedhttp.Request{Method: cl.method, Path: c.path + "/" + cl.tenant + "/" + cl.op, Query: cl.query, Body: cl.body, ContentType: cl.contentType}
	resp, _, err := c.sc.Send(ctx, r, signedhttp.Failures{
		Stopped: func(err error) error { return fmt.Errorf("%s: %w: %w", cl.doing, state.ErrUnavailable, err) },
		Unreachable: func(err error) error {
			return fmt.Errorf("%s: %w: the cell's state API %s is unreachable: %w; check the cell's address and that it runs with a control key", cl.doing, state.ErrUnavailable, c.sc.Redacted(), err)
		},
		Refused: func(resp *http.Response) error { return apiError(resp, cl) },
	})
	return resp, err
}

// apiError reads a refusal (signedhttp.Client.Send closes it). A 409
// locked is the state port's own *state.LockedError, naming the holder.
func apiError(resp *http.Response, cl call) error {
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes))
	var eb ErrorBody
	if err := json.Unmarshal(data, &eb); err != nil || eb.Error == "" {
		return &Error{Status: resp.StatusCode, Reason: "http_" + strconv.Itoa(resp.StatusCode), Tenant: cl.tenant,
			Message: fmt.Sprintf("%s: the cell answered %d %s without an error body: is it a cellfabric cell with its state API on?", cl.doing, resp.StatusCode, http.StatusText(resp.StatusCode))}
	}
	if eb.Reason == ReasonLocked {
		return fmt.Errorf("%s: %w", cl.doing, &state.LockedError{Tenant: cl.tenant, ID: cl.moveID, Holder: eb.Holder})
	}
	return &Error{Status: resp.StatusCode, Reason: eb.Reason, Tenant: cl.tenant, Message: cl.doing + ": " + eb.Error}
}

// doJSON sends cl and decodes the 200 answer into out.
func (c *Client) doJSON(ctx context.Context, cl call, out any) error {
	resp, err := c.send(ctx, cl)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxBodyBytes)).Decode(out); err != nil {
		return fmt.Errorf("%s: %w: the cell's answer does not decode: %v", cl.doing, state.ErrUnavailable, err)
	}
	return nil
}

// Meta returns the tenant's fence, move lock and position.
func (c *Client) Meta(ctx context.Context, tenant string) (state.TenantMeta, error) {
	var m state.TenantMeta
	err := c.doJSON(ctx, call{method: http.MethodGet, tenant: tenant, op: "meta", doing: "reading the meta of tenant " + tenant}, &m)
	return m, err
}

// SetFence replaces the tenant's fence and returns its meta as the fence
// took effect (state.Store.SetFence).
func (c *Client) SetFence(ctx context.Context, tenant string, f state.FenceState) (state.TenantMeta, error) {
	return c.meta(ctx, http.MethodPut, tenant, "fence", f, "fencing tenant "+tenant, "")
}

// Lock takes the tenant's move lock (state.Store.Lock); a
// *state.LockedError when another move holds it.
func (c *Client) Lock(ctx context.Context, tenant string, l state.MoveLock) (state.TenantMeta, error) {
	return c.meta(ctx, http.MethodPost, tenant, "lock", l, "locking tenant "+tenant+" for move "+l.ID, l.ID)
}

// Renew renews the move lock l.ID holds (state.Store.Renew).
func (c *Client) Renew(ctx context.Context, tenant string, l state.MoveLock) (state.TenantMeta, error) {
	return c.meta(ctx, http.MethodPost, tenant, "lock/renew", l, "renewing move "+l.ID+"'s lock of tenant "+tenant, l.ID)
}

// Unlock releases the move lock l.ID holds (state.Store.Unlock).
func (c *Client) Unlock(ctx context.Context, tenant string, l state.MoveLock) (state.TenantMeta, error) {
	var m state.TenantMeta
	err := c.doJSON(ctx, call{method: http.MethodDelete, tenant: tenant, op: "lock", query: url.Values{"id": {l.ID}}, doing: "releasing move " + l.ID + "'s lock of tenant " + tenant, moveID: l.ID}, &m)
	return m, err
}

// meta sends v and decodes the tenant's meta; moveID is the move asking
// ("" for a fence), named in a refusal of a lock call.
func (c *Client) meta(ctx context.Context, method, tenant, op string, v any, doing, moveID string) (state.TenantMeta, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return state.TenantMeta{}, fmt.Errorf("%s: %w", doing, err)
	}
	var m state.TenantMeta
	err = c.doJSON(ctx, call{method: method, tenant: tenant, op: op, body: body, contentType: JSON, doing: doing, moveID: moveID}, &m)
	return m, err
}

// Export calls fn with every live record of the tenant's export, in key
// order, and returns the position to follow the feed from. A failure
// before the first record is retried; one after it is returned (run the
// export again: imports of it are idempotent).
func (c *Client) Export(ctx context.Context, tenant string, fn func(state.Record) error) (uint64, error) {
	return c.stream(ctx, call{method: http.MethodGet, tenant: tenant, op: "export", doing: "exporting tenant " + tenant}, fn)
}

// Changes returns up to limit (0: the store's most) records of the
// tenant's change feed after since, and the position to ask from next
// (state.Store.Changes).
func (c *Client) Changes(ctx context.Context, tenant string, since uint64, limit int) ([]state.Record, uint64, error) {
	q := url.Values{"since": {strconv.FormatUint(since, 10)}}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var recs []state.Record
	p, err := c.stream(ctx, call{method: http.MethodGet, tenant: tenant, op: "changes", query: q, doing: fmt.Sprintf("reading tenant %s's changes after %d", tenant, since)},
		func(r state.Record) error { recs = append(recs, r); return nil })
	if err != nil {
		return nil, 0, err
	}
	return recs, p, nil
}

// stream sends cl and reads its NDJSON answer: records to fn, then the
// position line.
func (c *Client) stream(ctx context.Context, cl call, fn func(state.Record) error) (uint64, error) {
	resp, err := c.send(ctx, cl)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 2*state.MaxValueBytes)
	for sc.Scan() {
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return 0, fmt.Errorf("%s: %w: the cell sent a line that is not JSON: %v", cl.doing, state.ErrUnavailable, err)
		}
		switch {
		case l.Error != "":
			return 0, fmt.Errorf("%s: %w: the cell stopped the stream: %s", cl.doing, state.ErrUnavailable, l.Error)
		case l.Position != nil:
			return *l.Position, nil
		case l.Key != nil:
			if err := fn(state.Record{Key: *l.Key, Value: l.Value, Seq: l.Seq, Deleted: l.Deleted}); err != nil {
				return 0, err
			}
		default:
			return 0, fmt.Errorf("%s: %w: the cell sent a line that is neither a record nor the end", cl.doing, state.ErrUnavailable)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("%s: %w: reading the stream: %w", cl.doing, state.ErrUnavailable, err)
	}
	return 0, fmt.Errorf("%s: %w: the stream ended without its position line (cut off)", cl.doing, state.ErrUnavailable)
}

// Import sends records to the tenant, in batches of at most
// state.MaxImportBatch records and MaxImportBytes, and returns the
// tenant's position after the last batch (0 when recs is empty).
func (c *Client) Import(ctx context.Context, tenant string, recs []state.Record) (uint64, error) {
	var pos uint64
	var buf bytes.Buffer
	n := 0
	flush := func() error {
		if n == 0 {
			return nil
		}
		var out ImportResponse
		err := c.doJSON(ctx, call{method: http.MethodPost, tenant: tenant, op: "import", body: bytes.Clone(buf.Bytes()), contentType: NDJSON,
			doing: fmt.Sprintf("importing %d records into tenant %s", n, tenant)}, &out)
		pos = out.Position
		buf.Reset()
		n = 0
		return err
	}
	for _, r := range recs {
		line, err := json.Marshal(toWire(r))
		if err != nil {
			return 0, fmt.Errorf("importing into tenant %s: %w", tenant, err)
		}
		if n == state.MaxImportBatch || (n > 0 && buf.Len()+len(line)+1 > MaxImportBytes) {
			if err := flush(); err != nil {
				return 0, err
			}
		}
		buf.Write(line)
		buf.WriteByte('\n')
		n++
	}
	if err := flush(); err != nil {
		return 0, err
	}
	return pos, nil
}
