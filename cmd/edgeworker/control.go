package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/router/edgeconf"
)

// The tenant directory's control API, served by the Worker on every host
// it routes, under directory.BasePath. A request there is never forwarded
// to a cell: it is verified with the control key (the CONTROL_KEY and
// CONTROL_KEY_ID bindings; directory.VerifyControl, so an edge-key
// signature is refused like any other), then answered by the directory
// core's Serve over the DIRECTORY binding — the namespace the read path
// looks tenants up in — validated against the registry the isolate holds.
// After a write the isolate's cache holds the new placement at once
// (controlWritten).
//
// Workers KV allows kvOpsPerInvocation operations per Worker invocation,
// so the Worker answers only what fits: batches of at most
// maxControlBatch entries (400 batch_too_large beyond, naming the limit as
// maxBatch; dirhttp's client then sends batches of that size) and listing pages of at most maxControlPage entries
// (a longer page is cut short, its cursor continuing). Listings read values
// from the keys' metadata (kvmeta.go), one operation per page.

// Reasons of the control API's refusals that are the Worker's own.
const (
	// ReasonControlNotConfigured: no control key is bound, so the Worker
	// serves no control API (404).
	ReasonControlNotConfigured = "control_api_not_configured"
	// ReasonControlMisconfigured: the control key bound is unusable (too
	// short, a bad id, the edge key's secret), so the Worker refuses every
	// control request (500).
	ReasonControlMisconfigured = "control_api_misconfigured"
)

const (
	// kvOpsPerInvocation is how many Workers KV operations one Worker
	// invocation may make (Cloudflare's Workers KV limits: 1,000 on the
	// free and the paid plan).
	kvOpsPerInvocation = 1000
	// controlReservedOps are the KV operations a control request may make
	// before it is served: a read of the registry and one of the health
	// document (refresh).
	controlReservedOps = 2
	// maxControlPage is the largest page of GET /tenants: one listing and
	// a read per key.
	maxControlPage = kvOpsPerInvocation - controlReservedOps - 1
)

// control is the control API's key, or why the Worker serves none.
type control struct {
	// verifier holds the control key; nil when there is none to use.
	verifier *edgeauth.Verifier
	// signer signs with the same key what the Worker forwards to a cell's
	// state API (cellstate.go); nil when verifier is.
	signer *edgeauth.Signer
	// off answers every control request when verifier is nil.
	off directory.Response
}

// newControl reads the control key from the bindings. A missing or
// unusable key leaves the control API off, with the answer that says so;
// the Worker still routes.
func newControl(b bindings, now func() time.Time) control {
	if b.ControlKey == "" {
		return control{off: controlRefusal(404, ReasonControlNotConfigured, fmt.Sprintf(
			"the tenant directory's control API is not configured on this Worker: bind the %s secret (and %s) to serve it, or use the control API of `cellfabric local`",
			edgeconf.ControlKeyBinding, edgeconf.ControlKeyIDBinding))}
	}
	id := strings.TrimSpace(b.ControlKeyID)
	if id == "" {
		id = edgeauth.DefaultKeyID
	}
	key := edgeauth.Key{ID: id, Secret: []byte(b.ControlKey)}
	misconfigured := func(err error) control {
		return control{off: controlRefusal(500, ReasonControlMisconfigured, fmt.Sprintf(
			"the tenant directory's control API is misconfigured on this Worker (%v): fix the %s and %s bindings", err, edgeconf.ControlKeyBinding, edgeconf.ControlKeyIDBinding))}
	}
	if b.Key != "" {
		if err := directory.CheckKeysDiffer([]edgeauth.Key{key}, []edgeauth.Key{{ID: b.KeyID, Secret: []byte(b.Key)}}); err != nil {
			return misconfigured(err)
		}
	}
	v, err := edgeauth.NewVerifier([]edgeauth.Key{key}, edgeauth.VerifierOptions{Now: now})
	if err != nil {
		return misconfigured(err)
	}
	s, err := edgeauth.NewSigner(key, now)
	if err != nil {
		return misconfigured(err)
	}
	return control{verifier: v, signer: s}
}

// controlRefusal is a control API refusal with the directory's error body.
func controlRefusal(status int, reason, msg string) directory.Response {
	return directory.ErrorResponse(&directory.Error{Status: status, Reason: reason, Msg: msg})
}

// isControl reports whether a request URL is under directory.BasePath,
// decoded or as sent.
func isControl(u *url.URL) bool {
	under := func(p string) bool {
		return p == directory.BasePath || strings.HasPrefix(p, directory.BasePath+"/")
	}
	return under(u.Path) || under(u.EscapedPath())
}

// controlRequest is a request under directory.BasePath as the Worker got
// it.
type controlRequest struct {
	Method string
	// URL is the request URL (its host is the one signed).
	URL *url.URL
	// Signature is the edgeauth.SignatureHeader value, "" when absent.
	Signature string
	// Body is the whole body, at most directory.MaxBodyBytes.
	Body []byte
}

// serveControl answers a control API request.
func (e *edge) serveControl(r controlRequest) directory.Response {
	if e.control.verifier == nil {
		return e.control.off
	}
	u := r.URL
	if err := directory.VerifyControl(e.control.verifier, r.Method, u.Host, u.EscapedPath(), u.RawQuery, r.Signature, r.Body); err != nil {
		e.logger.Warn("control request refused", "method", r.Method, "path", u.EscapedPath(), "error", err)
		return directory.Unauthorized(err)
	}
	e.refresh()
	q := u.Query()
	if refusal := e.fitControl(r.Method, u.Path, q, r.Body); refusal != nil {
		return *refusal
	}
	req := directory.Request{Method: r.Method, Path: u.Path, Query: q, Body: r.Body, Authenticated: true}
	if r.Method == "GET" {
		// Reads take none of the core's locks: no turn needed.
		d, err := e.directoryCore()
		if err != nil {
			return directory.ErrorResponse(err)
		}
		return d.Serve(context.Background(), req)
	}
	d, release, err := e.writeTurn(nil)
	if err != nil {
		return directory.ErrorResponse(err)
	}
	resp := func() directory.Response {
		defer release()
		return d.Serve(context.Background(), req)
	}()
	e.controlWritten(r.Method, u.Path, resp)
	return resp
}

// maxControlBatch is the largest batch the Worker serves over snap's
// cells: what directory.BatchKVOps fits in kvOpsPerInvocation beside the
// reserved reads.
func maxControlBatch(snap *router.Snapshot) int {
	cells := 0
	if snap != nil {
		cells = len(snap.Cells())
	}
	return directory.MaxBatchWithin(kvOpsPerInvocation-controlReservedOps, cells)
}

// fitControl keeps a control request within Workers KV's operations per
// invocation: it refuses a batch larger than maxControlBatch, and lowers a
// listing's page size to maxControlPage (q is changed). It returns nil when
// the request may be served.
func (e *edge) fitControl(method, path string, q url.Values, body []byte) *directory.Response {
	switch {
	case method == "POST" && path == directory.BasePath+"/batch":
		var br directory.BatchRequest
		if json.Unmarshal(body, &br) != nil {
			return nil // Serve says what is wrong with it
		}
		if limit := maxControlBatch(e.store.Snapshot()); len(br.Entries) > limit {
			// The refusal names the limit (maxBatch), so that a client
			// sends batches of it at once.
			r := directory.ErrorResponse(&directory.Error{Status: 400, Reason: directory.ReasonBatchTooLarge, MaxBatch: limit, Msg: fmt.Sprintf(
				"the batch has %d entries, over the %d this Worker takes (Workers KV allows %d operations per Worker invocation, and an entry costs up to %d): split it into batches of %d (cellfabric tenants import does)",
				len(br.Entries), limit, kvOpsPerInvocation, directory.EntryWriteKVOps, limit)})
			return &r
		}
	case method == "GET" && path == directory.BasePath+"/tenants":
		n, err := strconv.Atoi(q.Get("limit"))
		if q.Get("limit") == "" || (err == nil && n > maxControlPage) {
			q.Set("limit", strconv.Itoa(maxControlPage))
		}
	}
	return nil
}

// directoryCore returns the isolate's Directory, building it at the first
// call.
func (e *edge) directoryCore() (*directory.Directory, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.coreLocked()
}

// controlWritten brings the isolate's cache up to date after a control
// write, so that this isolate routes by it at once: the stored entry of a
// put or a placement is cached, a removed tenant is cached as absent, and
// the tenants a batch changed are dropped (their next request reads them).
// Reads of those tenants under way are not cached (dirCache.set).
func (e *edge) controlWritten(method, path string, resp directory.Response) {
	rest, _ := strings.CutPrefix(path, directory.BasePath+"/")
	seg := strings.Split(rest, "/")
	now := e.now()
	switch {
	case resp.Status != 200 && len(seg) >= 2 && seg[0] == "tenants":
		// Refused, or journaled and not stored: read it again.
		e.forget(seg[1])
	case len(seg) == 2 && seg[0] == "tenants" && method == "DELETE":
		e.forget(seg[1])
		e.dir.set(strings.Clone(seg[1]), nil, now.Add(e.cfg.DirectoryNegative()))
	case len(seg) >= 2 && seg[0] == "tenants":
		e.forget(seg[1])
		t, err := decodeEntry(seg[1], resp.Body)
		if err != nil {
			return
		}
		if snap := e.store.Snapshot(); snap != nil {
			intern(t, snap)
		}
		e.dir.set(t.ID, t, now.Add(e.cfg.Cache()))
	case len(seg) == 1 && seg[0] == "batch" && resp.Status == 200:
		var br directory.BatchResponse
		if json.Unmarshal(resp.Body, &br) != nil {
			return
		}
		for _, r := range br.Results {
			if r.ID != "" && r.Outcome != directory.OutcomeUnchanged {
				e.forget(r.ID)
			}
		}
	}
}

// forget drops what the isolate holds of tenant id: its cache entry, and
// the read under way that later requests would otherwise share.
func (e *edge) forget(id string) {
	e.dir.drop(id)
	e.mu.Lock()
	delete(e.flights, id)
	e.mu.Unlock()
}
