package refcell

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/cellfabric/cellfabric/internal/logattr"
	"github.com/cellfabric/cellfabric/workload/state"
)

// Limits of the key/value API: the state port's, the same on every cloud.
const (
	MaxKeyBytes      = state.MaxKeyBytes
	MaxValueBytes    = state.MaxValueBytes
	DefaultListLimit = state.DefaultListLimit
	MaxListLimit     = state.MaxListLimit
	// StoreRetryAfter is the Retry-After, in seconds, of a 503 when the
	// store is unavailable.
	StoreRetryAfter = 1
)

// listBody is the answer of GET /kv/.
type listBody struct {
	Tenant string   `json:"tenant"`
	Keys   []string `json:"keys"`
	// Truncated is true when more keys follow; Next is the cursor that
	// lists them (?after=Next).
	Truncated bool   `json:"truncated"`
	Next      string `json:"next,omitempty"`
}

// putBody is the answer of PUT /kv/{key}.
type putBody struct {
	Tenant  string `json:"tenant"`
	Key     string `json:"key"`
	Bytes   int    `json:"bytes"`
	Created bool   `json:"created"`
	ETag    string `json:"etag"`
}

// serveKV serves the key/value API for tenant; key is the path after
// "/kv/" ("" for the list).
func (c *Cell) serveKV(w http.ResponseWriter, r *http.Request, tenant, key string) {
	if tenant == "" {
		writeError(w, http.StatusBadRequest, "the key/value API is per tenant, and this request was signed for no tenant: send it with a tenant (X-Tenant-ID, host or path) through the router")
		return
	}
	cd := cond(r)
	if key == "" {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeError(w, http.StatusMethodNotAllowed, "/kv/ lists keys: use GET, and PUT, GET or DELETE /kv/{key} for one key")
			return
		}
		c.list(w, r, tenant)
		return
	}
	if err := state.ValidKey(key); err != nil {
		writeError(w, http.StatusBadRequest, "bad key: "+strings.TrimPrefix(err.Error(), state.ErrInvalid.Error()+": "))
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		ctx, end := c.storeSpan(r.Context(), "get")
		it, err := c.store.Get(ctx, tenant, key)
		end(err)
		if err != nil {
			c.storeError(w, err, tenant, key)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "application/octet-stream")
		h.Set("Content-Length", strconv.Itoa(len(it.Value)))
		h.Set("Cache-Control", "no-store")
		h.Set(etagKey, it.ETag())
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			_, _ = w.Write(it.Value)
		}
	case http.MethodPut:
		c.put(w, r, tenant, key, cd)
	case http.MethodDelete:
		ctx, end := c.storeSpan(r.Context(), "delete")
		err := c.store.Delete(ctx, tenant, key, cd)
		end(err)
		if err != nil {
			c.storeError(w, err, tenant, key)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNoContent)
	default:
		w.Header().Set("Allow", "GET, HEAD, PUT, DELETE")
		writeError(w, http.StatusMethodNotAllowed, "use GET, HEAD, PUT or DELETE on /kv/{key}")
	}
}

func (c *Cell) put(w http.ResponseWriter, r *http.Request, tenant, key string, cd state.Cond) {
	if r.ContentLength > MaxValueBytes {
		writeError(w, http.StatusRequestEntityTooLarge, "value is "+strconv.FormatInt(r.ContentLength, 10)+" bytes, over the "+strconv.Itoa(MaxValueBytes)+" byte limit")
		return
	}
	v, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxValueBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, "value is over the "+strconv.Itoa(MaxValueBytes)+" byte limit")
			return
		}
		// Nothing is stored from a body that did not arrive whole.
		writeError(w, http.StatusBadRequest, "reading the value: "+err.Error())
		return
	}
	ctx, end := c.storeSpan(r.Context(), "put")
	it, created, err := c.store.Put(ctx, tenant, key, v, cd)
	end(err)
	if err != nil {
		c.storeError(w, err, tenant, key)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	etag := it.ETag()
	w.Header().Set(etagKey, etag)
	writeJSON(w, status, putBody{Tenant: tenant, Key: key, Bytes: len(v), Created: created, ETag: etag})
}

// cond reads a request's If-Match and If-None-Match headers and the
// placement epoch it was routed with (requestEpoch).
func cond(r *http.Request) state.Cond {
	c := state.Cond{Epoch: requestEpoch(r)}
	for _, v := range r.Header.Values("If-Match") {
		for tag := range strings.SplitSeq(v, ",") {
			if tag = strings.TrimSpace(tag); tag != "" {
				c.IfMatch = append(c.IfMatch, tag)
			}
		}
	}
	c.IfNoneMatch = strings.TrimSpace(r.Header.Get("If-None-Match")) == "*"
	return c
}

func (c *Cell) list(w http.ResponseWriter, r *http.Request, tenant string) {
	q := r.URL.Query()
	limit := DefaultListLimit
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxListLimit {
			writeError(w, http.StatusBadRequest, "limit must be a number from 1 to "+strconv.Itoa(MaxListLimit))
			return
		}
		limit = n
	}
	ctx, end := c.storeSpan(r.Context(), "list")
	p, err := c.store.List(ctx, tenant, q.Get("prefix"), q.Get("after"), limit)
	end(err)
	if err != nil {
		c.storeError(w, err, tenant, "")
		return
	}
	if p.Keys == nil {
		p.Keys = []string{}
	}
	writeJSON(w, http.StatusOK, listBody{Tenant: tenant, Keys: p.Keys, Truncated: p.Next != "", Next: p.Next})
}

// storeError answers a state port error: the same status and message on
// every cloud's store.
func (c *Cell) storeError(w http.ResponseWriter, err error, tenant, key string) {
	if stale(w, err, tenant) {
		return
	}
	switch {
	case errors.Is(err, state.ErrNotFound):
		writeError(w, http.StatusNotFound, "no key "+strconv.Quote(key)+" for this tenant")
	case errors.Is(err, state.ErrPrecondition):
		writeError(w, http.StatusPreconditionFailed, "the key changed: "+strings.TrimPrefix(err.Error(), state.ErrPrecondition.Error()+": ")+"; read it again and retry with its current ETag")
	case errors.Is(err, state.ErrInvalid):
		writeError(w, http.StatusBadRequest, strings.TrimPrefix(err.Error(), state.ErrInvalid.Error()+": "))
	case errors.Is(err, state.ErrFull):
		writeError(w, http.StatusInsufficientStorage, "the cell's store is full; delete keys first")
	case errors.Is(err, state.ErrClosed):
		w.Header().Set("Retry-After", strconv.Itoa(StoreRetryAfter))
		writeError(w, http.StatusServiceUnavailable, "the cell is shutting down")
	default:
		c.cfg.Logger.Error("state store error", logattr.Cell, c.cfg.CellID, "error", err.Error())
		w.Header().Set("Retry-After", strconv.Itoa(StoreRetryAfter))
		writeError(w, http.StatusServiceUnavailable, "the cell's store is unavailable; the request was not acknowledged: retry")
	}
}
