package main

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/cellfabric/cellfabric/control/directory"
)

// The edge route to a cell's state admin API (docs/design/moving-tenants.md,
// "Edge route to a cell's state API"). In a deployment the cells' ingress
// admits only Cloudflare, so the mover (cellfabric tenants move, tenants
// promote, standby run with --via-edge) reaches a cell's state API through
// the Worker:
//
//	/_cellfabric/v1/cells/<cell>/state/<tenant>/<op...>
//
// The Worker verifies the request's control-key signature with
// directory.VerifyControl, as the directory's control API does (an
// unsigned, forged, expired or edge-key-signed request, or one whose body
// is not the one signed, gets 401 and nothing is forwarded), finds <cell>
// in the registry it holds (404 unknown_cell naming the cells it has), and
// sends the request to the cell's endpoint at
// /_cellfabric/v1/state/<tenant>/<op...> with the same query and body,
// signed anew with the CONTROL key (directory.SignControl, the signing of
// the mover's own client) for the cell's host and path: never the edge
// key, which the cell refuses on its admin API. The cell's answer —
// status, headers and body, a refusal as much as an export — is passed on
// as a stream the isolate never holds whole.
//
// The request body is read whole before it is forwarded, because its
// SHA-256 is part of what is verified: at most maxCellStateBody bytes (the
// cell's own cap on an import, stateapi.MaxImportBytes), 413 beyond.

const (
	// CellStatePrefix is the route's prefix: CellStatePrefix + <cell> +
	// "/state/<tenant>/<op...>".
	CellStatePrefix = "/_cellfabric/v1/cells/"
	// cellStateBasePath is where a cell serves its state API
	// (stateapi.BasePath; the Worker does not link stateapi, which
	// imports net/http).
	cellStateBasePath = "/_cellfabric/v1/state"
	// maxCellStateBody bounds a forwarded request body: stateapi's
	// MaxImportBytes, the most a cell takes.
	maxCellStateBody = 32 << 20
)

// Reasons of the route's refusals that are the Worker's own.
const (
	// ReasonUnknownCell: the cell named is not in the registry (404).
	ReasonUnknownCell = "unknown_cell"
	// ReasonCellUnreachable: the cell did not answer (502).
	ReasonCellUnreachable = "cell_unreachable"
	// ReasonNoRegistryYet: the Worker holds no registry to find the cell
	// in (503).
	ReasonNoRegistryYet = "registry_unavailable"
)

// isCellState reports whether a request URL is under CellStatePrefix,
// decoded or as sent.
func isCellState(u *url.URL) bool {
	return strings.HasPrefix(u.Path, CellStatePrefix) || strings.HasPrefix(u.EscapedPath(), CellStatePrefix)
}

// cellStateTarget is where a verified request goes, signed for there.
type cellStateTarget struct {
	Cell string
	// URL is the cell's state API URL of the request, query included.
	URL string
	// Signature is the edgeauth.SignatureHeader value for URL.
	Signature string
	// Timeout bounds the wait for the cell's response headers.
	Timeout time.Duration
}

// cellState verifies a request to the route and returns where to send it,
// or the refusal to answer with (nothing is sent then).
func (e *edge) cellState(r controlRequest) (cellStateTarget, *directory.Response) {
	refuse := func(resp directory.Response) (cellStateTarget, *directory.Response) { return cellStateTarget{}, &resp }
	if e.control.verifier == nil || e.control.signer == nil {
		return refuse(e.control.off)
	}
	u := r.URL
	if err := directory.VerifyControl(e.control.verifier, r.Method, u.Host, u.EscapedPath(), u.RawQuery, r.Signature, r.Body); err != nil {
		e.logger.Warn("cell state request refused", "method", r.Method, "path", u.EscapedPath(), "error", err)
		return refuse(directory.Unauthorized(err))
	}
	rest := strings.TrimPrefix(u.EscapedPath(), CellStatePrefix)
	cellEsc, after, _ := strings.Cut(rest, "/")
	tail, ok := strings.CutPrefix(after, "state/")
	cellID, err := url.PathUnescape(cellEsc)
	if !ok || err != nil || cellID == "" || !strings.Contains(strings.Trim(tail, "/"), "/") {
		return refuse(controlRefusal(404, directory.ReasonNoRoute, fmt.Sprintf(
			"no cell state route at %s: the route is %s<cell>/state/<tenant>/<op> (cellfabric tenants move --via-edge builds it)", clipPath(u.EscapedPath()), CellStatePrefix)))
	}
	e.refresh()
	snap := e.store.Snapshot()
	if snap == nil {
		resp := controlRefusal(503, ReasonNoRegistryYet, "the Worker holds no registry yet, so it cannot find the cell: publish the registry (cellfabric edge publish) and retry")
		resp.RetryAfter = 1
		return refuse(resp)
	}
	cell, ok := snap.Cell(cellID)
	if !ok {
		ids := make([]string, 0, len(snap.Cells()))
		for _, c := range snap.Cells() {
			ids = append(ids, c.ID)
		}
		sort.Strings(ids)
		return refuse(controlRefusal(404, ReasonUnknownCell, fmt.Sprintf(
			"cell %q is not in the Worker's registry (its cells: %s): name one of them, or publish a registry that has it", clipPath(cellID), strings.Join(ids, ", "))))
	}
	ep, err := url.Parse(cell.Endpoint)
	if err != nil || ep.Host == "" {
		return refuse(controlRefusal(502, ReasonCellUnreachable, fmt.Sprintf("cell %s has no usable endpoint in the registry (%q): fix the registry", cell.ID, cell.Endpoint)))
	}
	escaped := strings.TrimRight(ep.EscapedPath(), "/") + cellStateBasePath + "/" + tail
	target := url.URL{Scheme: ep.Scheme, Host: ep.Host, RawPath: escaped}
	if target.Path, err = url.PathUnescape(escaped); err != nil {
		return refuse(controlRefusal(404, directory.ReasonNoRoute, "the path does not decode: escape it as the state API client does"))
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return refuse(controlRefusal(400, directory.ReasonBadQuery, "the query does not parse: send it as the state API client does"))
	}
	q.Del(directory.BodyParam) // SignControl sets it again, over the same body
	sig, raw := directory.SignControl(e.control.signer, r.Method, target.Host, target.EscapedPath(), q, r.Body)
	target.RawQuery = raw
	return cellStateTarget{Cell: cell.ID, URL: target.String(), Signature: sig, Timeout: e.cfg.UpstreamTimeout()}, nil
}

// clipPath shortens what a client sent for an error message.
func clipPath(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}
