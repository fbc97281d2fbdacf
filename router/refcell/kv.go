package refcell

import (
	"errors"
	"io"
	"net/http"
	"strconv"
)

// listBody is the answer of GET /kv/.
type listBody struct {
	Tenant    string   `json:"tenant"`
	Keys      []string `json:"keys"`
	Truncated bool     `json:"truncated"`
}

// putBody is the answer of PUT /kv/{key}.
type putBody struct {
	Tenant  string `json:"tenant"`
	Key     string `json:"key"`
	Bytes   int    `json:"bytes"`
	Created bool   `json:"created"`
}

// serveKV serves the key/value API for tenant; key is the path after
// "/kv/" ("" for the list).
func (c *Cell) serveKV(w http.ResponseWriter, r *http.Request, tenant, key string) {
	if tenant == "" {
		writeError(w, http.StatusBadRequest, "the key/value API is per tenant, and this request was signed for no tenant: send it with a tenant (X-Tenant-ID, host or path) through the router")
		return
	}
	if key == "" {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeError(w, http.StatusMethodNotAllowed, "/kv/ lists keys: use GET, and PUT, GET or DELETE /kv/{key} for one key")
			return
		}
		c.list(w, r, tenant)
		return
	}
	if err := validKey(key); err != nil {
		writeError(w, http.StatusBadRequest, "bad key: "+err.Error())
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		v, err := c.store.get(tenant, key)
		if err != nil {
			c.storeError(w, err, key)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.Itoa(len(v)))
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			_, _ = w.Write(v)
		}
	case http.MethodPut:
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
			writeError(w, http.StatusBadRequest, "reading the value: "+err.Error())
			return
		}
		created, err := c.store.put(tenant, key, v)
		if err != nil {
			c.storeError(w, err, key)
			return
		}
		status := http.StatusOK
		if created {
			status = http.StatusCreated
		}
		writeJSON(w, status, putBody{Tenant: tenant, Key: key, Bytes: len(v), Created: created})
	case http.MethodDelete:
		if err := c.store.remove(tenant, key); err != nil {
			c.storeError(w, err, key)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNoContent)
	default:
		w.Header().Set("Allow", "GET, HEAD, PUT, DELETE")
		writeError(w, http.StatusMethodNotAllowed, "use GET, HEAD, PUT or DELETE on /kv/{key}")
	}
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
	prefix := q.Get("prefix")
	if len(prefix) > MaxKeyBytes {
		writeError(w, http.StatusBadRequest, "prefix is longer than the longest key")
		return
	}
	keys, more, err := c.store.list(tenant, prefix, limit)
	if err != nil {
		c.storeError(w, err, "")
		return
	}
	writeJSON(w, http.StatusOK, listBody{Tenant: tenant, Keys: keys, Truncated: more})
}

// storeError maps a store error to a status.
func (c *Cell) storeError(w http.ResponseWriter, err error, key string) {
	switch {
	case errors.Is(err, errNotFound):
		writeError(w, http.StatusNotFound, "no key "+strconv.Quote(key)+" for this tenant")
	case errors.Is(err, errFull):
		writeError(w, http.StatusInsufficientStorage, err.Error()+"; delete keys first")
	case errors.Is(err, errClosed):
		writeError(w, http.StatusServiceUnavailable, "the cell is shutting down")
	default:
		c.cfg.Logger.Error("kv store error", "cell", c.cfg.CellID, "error", err.Error())
		writeError(w, http.StatusServiceUnavailable, "the cell's store has failed; the router should send this tenant to another cell")
	}
}
