package directory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/cellfabric/cellfabric/router"
)

// BasePath is the path every control API endpoint is under.
const BasePath = "/_cellfabric/v1/directory"

// MaxBodyBytes is the largest request body the API reads (a batch of
// MaxBatch entries with every field set fits many times over).
const MaxBodyBytes = 4 << 20

// ContentType is the content type of every answer.
const ContentType = "application/json"

// Request is a control API request, as an adapter (dirhttp, the Worker)
// hands it to Serve after reading its body and verifying it.
type Request struct {
	// Method is the HTTP method.
	Method string
	// Path is the request path, BasePath included.
	Path string
	// Query is the parsed query (the body parameter is ignored).
	Query url.Values
	// Body is the whole body (at most MaxBodyBytes).
	Body []byte
	// Authenticated says the adapter verified the request (VerifyControl).
	// Serve refuses an unauthenticated request with 401.
	Authenticated bool
}

// Response is Serve's answer: an HTTP status and a JSON body
// (ContentType), plus a Retry-After in seconds when RetryAfter > 0.
type Response struct {
	Status     int
	Body       []byte
	RetryAfter int
}

// ErrorBody is the body of every refusal.
type ErrorBody struct {
	// Error is a sentence naming the tenant and what to fix.
	Error string `json:"error"`
	// Reason is a stable code (the Reason* and Auth* constants).
	Reason string `json:"reason"`
	// Tenant is the tenant the request was about; absent when none.
	Tenant string `json:"tenant,omitempty"`
	// MaxBatch is, with ReasonBatchTooLarge, the most entries a batch to
	// this server may carry (the Worker's is below MaxBatch), so that a
	// client sends batches of that size; absent otherwise.
	MaxBatch int `json:"maxBatch,omitempty"`
}

// BatchRequest is the body of POST /batch.
type BatchRequest struct {
	Entries []json.RawMessage `json:"entries"`
}

// BatchResponse is the answer of POST /batch.
type BatchResponse struct {
	Results []BatchResult `json:"results"`
}

// ChangesResponse is the answer of GET /changes.
type ChangesResponse struct {
	Changes  []router.TenantChange `json:"changes"`
	Position string                `json:"position"`
}

// Serve answers one control API request:
//
//	GET    /tenants/<id>        200 the entry; 404
//	PUT    /tenants/<id>        200 the stored entry; ?ifEpoch=N, ?ifAbsent=1; 409, 422
//	POST   /tenants/<id>/place  200 the stored entry (existing: unchanged); body PlaceRequest, optional
//	DELETE /tenants/<id>        200 the tombstone {"id","epoch","removed":true}; ?ifEpoch=N; 404, 409
//	POST   /batch               200 {"results":[...]}; body {"entries":[...]} (≤ MaxBatch); ?mode=upsert|ifAbsent
//	GET    /tenants             200 Page; ?cursor=C&limit=N (N ≤ 1000)
//	GET    /changes             200 {"changes":[...],"position":P}; ?since=P&limit=N; 410 position_expired
//	GET    /cells               200 CellsResponse: every cell's placement flag
//	PUT    /cells/<id>/placement 200 the cell's CellPlacement; body PlacementRequest; 422 unknown_cell, invalid_placement
//	PUT    /evacuation          200 the EvacuationGuard taken or renewed; body GuardRequest; 409 evacuation_running
//	DELETE /evacuation          200 {}; ?owner=O (releases the guard if O holds it)
//
// every path under BasePath. Refusals have an ErrorBody.
func (d *Directory) Serve(ctx context.Context, req Request) Response {
	if !req.Authenticated {
		return Unauthorized(&AuthError{Reason: ReasonUnauthenticated, Msg: "the request was not verified: control requests are signed with the control key"})
	}
	v, err := d.serve(ctx, req)
	if err != nil {
		return errorResponse(AsError(err))
	}
	return jsonResponse(200, v)
}

func (d *Directory) serve(ctx context.Context, req Request) (any, error) {
	rest, ok := strings.CutPrefix(req.Path, BasePath+"/")
	if !ok {
		return nil, noRoute(req)
	}
	seg := strings.Split(rest, "/")
	q := req.Query
	switch {
	case len(seg) == 1 && seg[0] == "tenants":
		if err := allow(req, "GET"); err != nil {
			return nil, err
		}
		limit, err := intParam(q, "limit", "")
		if err != nil {
			return nil, err
		}
		return d.List(ctx, q.Get("cursor"), int(limit))
	case len(seg) == 1 && seg[0] == "batch":
		if err := allow(req, "POST"); err != nil {
			return nil, err
		}
		items, err := decodeBatch(req.Body)
		if err != nil {
			return nil, err
		}
		results, err := d.batch(ctx, items, Mode(q.Get("mode")))
		if err != nil {
			return nil, err
		}
		return BatchResponse{Results: results}, nil
	case len(seg) == 1 && seg[0] == "changes":
		if err := allow(req, "GET"); err != nil {
			return nil, err
		}
		limit, err := intParam(q, "limit", "")
		if err != nil {
			return nil, err
		}
		changes, pos, err := d.ChangesPage(ctx, q.Get("since"), int(limit))
		if err != nil {
			return nil, err
		}
		if changes == nil {
			changes = []router.TenantChange{}
		}
		return ChangesResponse{Changes: changes, Position: pos}, nil
	case len(seg) == 2 && seg[0] == "tenants":
		return d.serveTenant(ctx, req, seg[1])
	case len(seg) == 1 && seg[0] == "cells":
		if err := allow(req, "GET"); err != nil {
			return nil, err
		}
		cells, err := d.Cells(ctx)
		return CellsResponse{Cells: cells}, err
	case len(seg) == 3 && seg[0] == "cells" && seg[2] == "placement":
		if err := allow(req, "PUT"); err != nil {
			return nil, err
		}
		return d.servePlacement(ctx, seg[1], req.Body)
	case len(seg) == 1 && seg[0] == "evacuation":
		return d.serveGuard(ctx, req)
	case len(seg) == 3 && seg[0] == "tenants" && seg[2] == "place":
		if err := allow(req, "POST"); err != nil {
			return nil, err
		}
		var pr PlaceRequest
		if len(strings.TrimSpace(string(req.Body))) > 0 {
			if err := router.DecodeStrict(req.Body, &pr); err != nil {
				return nil, errorf(400, ReasonMalformed, seg[1], "the place request for tenant %q is not valid JSON of {\"residency\":…, \"failoverCount\":N} (%v): fix the body, or send none", seg[1], err)
			}
		}
		t, _, err := d.Place(ctx, seg[1], pr)
		return t, err
	}
	return nil, noRoute(req)
}

func (d *Directory) serveTenant(ctx context.Context, req Request, id string) (any, error) {
	q := req.Query
	switch req.Method {
	case "GET":
		t, found, err := d.Get(ctx, id)
		if err == nil && !found {
			err = errorf(404, ReasonNotFound, id, "tenant %q is not in the directory: add it (PUT, or cellfabric tenants add/place); tenants of the stack file are listed in the registry, not here", id)
		}
		return t, err
	case "PUT":
		var opts PutOptions
		var err error
		if opts.IfEpoch, err = intParam(q, "ifEpoch", id); err != nil {
			return nil, err
		}
		if opts.IfAbsent, err = boolParam(q, "ifAbsent", id); err != nil {
			return nil, err
		}
		t, err := decodeBody(req.Body, id)
		if err != nil {
			return nil, err
		}
		stored, _, err := d.Put(ctx, t, opts)
		return stored, err
	case "DELETE":
		ifEpoch, err := intParam(q, "ifEpoch", id)
		if err != nil {
			return nil, err
		}
		return d.Remove(ctx, id, ifEpoch)
	}
	return nil, errorf(405, ReasonMethod, id, "%s is not allowed on %s: use GET, PUT or DELETE", req.Method, req.Path)
}

// decodeBody decodes a PUT body: an entry whose id, when given, is the
// path's.
func decodeBody(body []byte, id string) (router.Tenant, error) {
	t, err := decodeEntry(body)
	if err != nil {
		return t, errorf(400, ReasonMalformed, id, "the body for tenant %q is not a tenant entry (%v): send JSON like {\"cell\":\"aws-use1\",\"failover\":[\"gcp-usc1\"]}", id, err)
	}
	switch {
	case t.ID == "":
		t.ID = id
	case t.ID != id:
		return t, errorf(400, ReasonMalformed, id, "the body names tenant %q but the path names %q: they must be the same tenant", clip(t.ID, 80), id)
	}
	return t, nil
}

// decodeBatch decodes a batch body; an entry that does not decode becomes
// an item with its error (the rest of the batch still applies).
func decodeBatch(body []byte) ([]batchItem, error) {
	var br BatchRequest
	if err := router.DecodeStrict(body, &br); err != nil {
		return nil, errorf(400, ReasonMalformed, "", "the batch is not valid JSON of {\"entries\":[…]} (%v): fix the body", err)
	}
	if len(br.Entries) > MaxBatch {
		return nil, errorf(400, ReasonBatchTooLarge, "", "the batch has %d entries, over the limit of %d: split it into batches of %d", len(br.Entries), MaxBatch, MaxBatch)
	}
	items := make([]batchItem, len(br.Entries))
	for i, raw := range br.Entries {
		t, err := decodeEntry(raw)
		if err != nil {
			// Name the tenant if the id can be read at all.
			var loose struct {
				ID string `json:"id"`
			}
			_ = json.Unmarshal(raw, &loose)
			items[i].t.ID = loose.ID
			items[i].err = errorf(400, ReasonMalformed, loose.ID, "entries[%d] (tenant %q) is not a tenant entry (%v): fix it", i, clip(loose.ID, 80), err)
			continue
		}
		items[i].t = t
	}
	return items, nil
}

func allow(req Request, method string) error {
	if req.Method == method {
		return nil
	}
	return errorf(405, ReasonMethod, "", "%s is not allowed on %s: use %s", req.Method, req.Path, method)
}

func noRoute(req Request) error {
	return errorf(404, ReasonNoRoute, "", "no control API endpoint at %s %s: see the endpoints under %s (tenants, tenants/<id>, tenants/<id>/place, batch, changes, cells, cells/<id>/placement, evacuation)", req.Method, clip(req.Path, 120), BasePath)
}

func intParam(q url.Values, name, tenant string) (int64, error) {
	s := q.Get(name)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, errorf(400, ReasonBadQuery, tenant, "%s=%q%s is not a whole number of 0 or more: fix the query", name, clip(s, 40), forTenant(tenant))
	}
	if name == "ifEpoch" && n == 0 {
		return 0, errorf(400, ReasonBadQuery, tenant, "ifEpoch=0 names no epoch: pass the epoch you read for tenant %q (1 or more), or ifAbsent=1 to add it", tenant)
	}
	return n, nil
}

func boolParam(q url.Values, name, tenant string) (bool, error) {
	switch q.Get(name) {
	case "":
		return false, nil
	case "1", "true":
		return true, nil
	case "0", "false":
		return false, nil
	}
	return false, errorf(400, ReasonBadQuery, tenant, "%s=%q%s: use %s=1 or leave it out", name, clip(q.Get(name), 40), forTenant(tenant), name)
}

func forTenant(tenant string) string {
	if tenant == "" {
		return ""
	}
	return fmt.Sprintf(" (tenant %q)", tenant)
}

// Unauthorized is the 401 answer for a request that failed VerifyControl
// (err is its *AuthError; any other error is reported as a bad signature).
func Unauthorized(err error) Response {
	var ae *AuthError
	if !errors.As(err, &ae) {
		ae = &AuthError{Reason: AuthBadSignature, Msg: err.Error()}
	}
	return jsonResponse(401, ErrorBody{Error: "control request refused: " + ae.Msg, Reason: ae.Reason})
}

// ErrorResponse is the answer for err (an *Error, or a 500).
func ErrorResponse(err error) Response { return errorResponse(AsError(err)) }

func errorResponse(e *Error) Response {
	r := jsonResponse(e.Status, ErrorBody{Error: e.Msg, Reason: e.Reason, Tenant: e.Tenant, MaxBatch: e.MaxBatch})
	r.RetryAfter = e.RetryAfter
	return r
}

func jsonResponse(status int, v any) Response {
	body, err := json.Marshal(v)
	if err != nil {
		body = []byte(fmt.Sprintf(`{"error":%q,"reason":"internal"}`, err.Error()))
		status = 500
	}
	return Response{Status: status, Body: append(body, '\n')}
}
