package router

import (
	"fmt"
	"strings"

	"github.com/cellfabric/cellfabric/fabric"
)

// HTTP statuses a decision can carry (spelled out here so that the core does
// not pull net/http into the Worker's wasm).
const (
	statusBadRequest  = 400
	statusNotFound    = 404
	statusUnavailable = 503
)

// WriteRetryAfter is the Retry-After, in seconds, sent with the 503 that
// answers a write to a migrating or readonly tenant.
const WriteRetryAfter = 30

// Request is what the decision needs to know about a request. The tenant is
// resolved beforehand (router/tenant).
type Request struct {
	// Method is the HTTP method; writes to migrating and readonly tenants
	// are refused.
	Method string `json:"method"`
	// Path is the request path as forwarded (after a tenant path prefix is
	// stripped); requests naming no tenant are matched against shared
	// routes by it.
	Path string `json:"path"`
	// Tenant is the resolved tenant id, or "" when the request names none.
	Tenant string `json:"tenant"`
	// Rand is a uniformly random number used for weighted choices among the
	// cells of a shared route. The same value gives the same choice.
	Rand uint64 `json:"rand,omitempty"`
}

// Reason says why a request is not forwarded. Values are stable: they appear
// in error bodies, logs and metric labels.
type Reason string

// Reasons for not forwarding.
const (
	// ReasonNoTenant: the request names no tenant and matches no shared
	// route (400).
	ReasonNoTenant Reason = "no_tenant"
	// ReasonUnknownTenant: the tenant is not in the registry (nor in the
	// tenant directory, for a router that has one) and the policy is
	// reject (404).
	ReasonUnknownTenant Reason = "unknown_tenant"
	// ReasonTenantReadonly: a write to a migrating or readonly tenant (503
	// with Retry-After).
	ReasonTenantReadonly Reason = "tenant_readonly"
	// ReasonNoHealthyCell: every cell that could serve the request is down,
	// draining (for placements and shared routes) or unhealthy (503).
	ReasonNoHealthyCell Reason = "no_healthy_cell"
)

// Via says how the chosen cell was found.
type Via string

// Ways a cell is chosen.
const (
	ViaPrimary   Via = "primary"   // the tenant's primary cell
	ViaFailover  Via = "failover"  // one of the tenant's failover cells
	ViaShared    Via = "shared"    // a shared route's weighted choice
	ViaPlacement Via = "placement" // rendezvous placement of an unknown tenant
)

// Decision is where a request goes, or why it goes nowhere. It is a value:
// deciding allocates nothing.
type Decision struct {
	// Status is 0 when the request is forwarded; otherwise the HTTP status
	// to answer with.
	Status int
	// Reason says why the request is not forwarded; empty when it is.
	Reason Reason
	// RetryAfter is the Retry-After in seconds to send with Status, or 0.
	RetryAfter int
	// Tenant is the request's tenant ("" for shared routes).
	Tenant string
	// Via says how the first candidate was chosen (set when forwarding).
	Via Via
	// Route is the matched shared route's prefix, or "".
	Route string
	// State is the tenant's state (for listed tenants).
	State fabric.TenantState

	snap  *Snapshot
	class int32   // tenant's route class, or -1
	given *Tenant // the placement DecideFor was given, or nil
	n     uint8
	// directory: the tenant was looked for in a tenant directory before
	// the registry (NotInDirectory).
	directory bool
	cells     [MaxCandidates]uint16
}

// Forward reports whether the request is to be forwarded.
func (d Decision) Forward() bool { return d.Status == 0 && d.n > 0 }

// Len returns the number of candidate cells, best first: the chosen cell,
// then the cells a retry may try, in order.
func (d Decision) Len() int { return int(d.n) }

// Cell returns candidate i (0 ≤ i < Len()). Candidate 0 was healthy when the
// decision was made. For a tenant's cells, later candidates are only known
// not to be down: a retry must skip those its HealthView reports unhealthy
// at the time of the retry. (Shared-route and placement candidates were all
// healthy at decision time.)
func (d Decision) Cell(i int) *Cell { return &d.snap.reg.Cells[d.cells[i]] }

// NotInDirectory records that the router looked for the tenant in its
// tenant directory, did not find it there, and decided by the registry:
// Message then names both places for an unknown tenant. Routers without
// a directory never call it.
func (d *Decision) NotInDirectory() { d.directory = true }

// Message explains the decision in a sentence, for error bodies and the
// admin API. Unlike Decide, it allocates.
func (d Decision) Message() string {
	switch d.Reason {
	case "":
		if d.n == 0 {
			return "no decision"
		}
		return fmt.Sprintf("forward to cell %s (%s)", d.Cell(0).ID, d.Via)
	case ReasonNoTenant:
		return "the request names no tenant and matches no shared route: send the tenant header, host, path prefix or token the router is configured for"
	case ReasonUnknownTenant:
		if d.directory {
			return fmt.Sprintf("tenant %q is not in the tenant directory or the registry", d.Tenant)
		}
		return fmt.Sprintf("tenant %q is not in the registry", d.Tenant)
	case ReasonTenantReadonly:
		return fmt.Sprintf("tenant %q is %s: reads are served, writes are refused; retry after %d seconds", d.Tenant, d.State, d.RetryAfter)
	case ReasonNoHealthyCell:
		switch {
		case d.Route != "":
			return fmt.Sprintf("every cell of shared route %s is down, draining or unhealthy", d.Route)
		case d.class >= 0:
			c := &d.snap.classes[d.class]
			ids := make([]string, c.n)
			for i := range ids {
				ids[i] = d.snap.reg.Cells[c.cells[i]].ID
			}
			return fmt.Sprintf("every cell that holds tenant %q is down or unhealthy (%s)", d.Tenant, strings.Join(ids, ", "))
		case d.given != nil:
			ids := append([]string{d.given.Cell}, d.given.Failover...)
			return fmt.Sprintf("every cell that holds tenant %q is down or unhealthy (%s)", d.Tenant, strings.Join(ids, ", "))
		default:
			return fmt.Sprintf("no active healthy cell can take tenant %q: all cells are down", d.Tenant)
		}
	}
	return string(d.Reason)
}

// Decide chooses where the request goes. h may be nil (every cell healthy).
// It does no I/O and allocates nothing.
func (s *Snapshot) Decide(req Request, h HealthView) Decision {
	if h == nil {
		h = AllHealthy{}
	}
	d := Decision{snap: s, Tenant: req.Tenant, class: -1}
	if req.Tenant == "" {
		r := s.matchRoute(req.Path)
		if r == nil {
			d.Status, d.Reason = statusBadRequest, ReasonNoTenant
			return d
		}
		s.decideShared(&d, r, req.Rand, h)
		return d
	}
	ci, ok := s.tenants.lookup(req.Tenant)
	if !ok {
		if s.policy != fabric.PolicyPlace {
			d.Status, d.Reason = statusNotFound, ReasonUnknownTenant
			return d
		}
		s.place(&d, req.Tenant, h)
		return d
	}
	d.class = ci
	c := &s.classes[ci]
	d.State = c.state
	s.decideCells(&d, c.cells[:c.n], true, c.state, req.Method, h)
	return d
}

// DecideFor chooses where a request for tenant t goes, t's placement given
// (by the tenant directory) rather than looked up in the registry's
// tenants: the same rules as Decide for a listed tenant. Cells t names that
// the registry does not hold are skipped, as if down. It does no I/O and
// allocates nothing.
func (s *Snapshot) DecideFor(req Request, t *Tenant, h HealthView) Decision {
	if h == nil {
		h = AllHealthy{}
	}
	d := Decision{snap: s, Tenant: t.ID, class: -1, given: t}
	var cells [MaxCandidates]uint16
	n := 0
	_, hasPrimary := s.cellIndex[t.Cell]
	for j := -1; j < len(t.Failover) && n < MaxCandidates; j++ {
		id := t.Cell
		if j >= 0 {
			id = t.Failover[j]
		}
		if i, ok := s.cellIndex[id]; ok {
			cells[n] = uint16(i)
			n++
		}
	}
	// d.State is set here, on the local d, not through decideCells'
	// pointer: a store through a pointer parameter would make the tenant's
	// strings (and the caller's Tenant with them) escape to the heap.
	d.State = t.State.OrDefault()
	s.decideCells(&d, cells[:n], hasPrimary, d.State, req.Method, h)
	return d
}

// decideCells decides among a tenant's cells, primary first: a write to a
// tenant that is not active is refused; otherwise the first cell in order
// that is not down and is healthy is chosen, and the ones after it are
// only filtered for state — asking the view about cells a request will
// most likely never try costs a lookup each, so a retry asks then (see
// Decision.Cell). hasPrimary says whether cells[0] is the tenant's primary
// cell; when it is not, every choice is a failover. The caller sets
// d.State to state.
func (s *Snapshot) decideCells(d *Decision, cells []uint16, hasPrimary bool, state fabric.TenantState, method string, h HealthView) {
	if state != fabric.TenantActive && !isRead(method) {
		d.Status, d.Reason, d.RetryAfter = statusUnavailable, ReasonTenantReadonly, WriteRetryAfter
		return
	}
	for i, ix := range cells {
		cell := &s.reg.Cells[ix]
		if cell.State == fabric.CellDown || (d.n == 0 && !h.Healthy(cell.ID)) {
			continue
		}
		if d.n == 0 {
			d.Via = ViaPrimary
			if i > 0 || !hasPrimary {
				d.Via = ViaFailover
			}
		}
		d.cells[d.n] = ix
		d.n++
	}
	if d.n == 0 {
		d.Status, d.Reason = statusUnavailable, ReasonNoHealthyCell
	}
}

// isRead reports whether a method only reads (is safe in RFC 9110 terms).
func isRead(method string) bool {
	switch method {
	case "GET", "HEAD", "OPTIONS", "TRACE":
		return true
	}
	return false
}

// eligible reports whether a cell may take shared-route or placement
// traffic: active, with a positive weight, and healthy.
func eligible(c *Cell, weight int, h HealthView) bool {
	return weight > 0 && (c.State == "" || c.State == fabric.CellActive) && h.Healthy(c.ID)
}
