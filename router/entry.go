package router

import (
	"fmt"

	"github.com/cellfabric/cellfabric/fabric"
)

// This file holds what the tenant directory (control/directory) needs of the
// router core to handle one tenant entry: the registry's rules for a tenant,
// the rendezvous order a new tenant is placed by, and strict decoding. The
// directory calls these rather than keeping copies.

// CheckTenant reports every problem with one tenant entry against the
// snapshot's cells, each located by its field ("cell", "failover[1]") under
// a heading naming the tenant: the rules Validate applies to each tenant of
// a registry, with the same messages, and residency: when the tenant names
// one, every cell it names must lie in that geography (its Geo equals it; a
// cell without a geo holds no tenant with a residency). It does no I/O.
//
// Validate does not check residency: the stack model checks it when the
// registry is built, and a registry document without cell geos stays
// valid.
func (s *Snapshot) CheckTenant(t *Tenant) error {
	p := fabric.Collector{In: fmt.Sprintf("tenant %q", t.ID)}
	at := func(field string) string { return field }
	checkTenant(&p, t, s.cellIndex, at)
	if t.Residency != "" {
		check := func(path, what, id string) {
			c, ok := s.Cell(id)
			switch {
			case !ok: // reported as an unknown cell
			case c.Geo == "":
				p.Add(path, "tenant %q must stay in %q but %s cell %q has no geo: give the cell its geo in the stack, or choose a cell in %q", t.ID, t.Residency, what, id, t.Residency)
			case c.Geo != t.Residency:
				p.Add(path, "tenant %q must stay in %q but %s cell %q is in %q (%s %s)", t.ID, t.Residency, what, id, c.Geo, c.Cloud, c.Region)
			}
		}
		if t.Cell != "" {
			check("cell", "primary", t.Cell)
		}
		for j, f := range t.Failover {
			check(fmt.Sprintf("failover[%d]", j), "failover", f)
		}
	}
	return p.Err()
}

// Rendezvous returns the cells a tenant the registry does not list is
// placed on, best first: the active cells with a positive weight in
// weighted rendezvous order (at most MaxCandidates), the order Decide uses
// for policy place, but without regard to health, so that every router and
// isolate holding the same registry computes the same cells. Empty when no
// cell is eligible.
func (s *Snapshot) Rendezvous(tenant string) []string {
	return s.RendezvousExcept(tenant, nil)
}

// RendezvousExcept is Rendezvous over the eligible cells that skip does
// not hold: a cell in skip is left out as if it had no weight, and the
// other cells keep their order (rendezvous hashing ranks each cell by its
// own score). The tenant directory passes the cells closed to new
// placements. A nil skip leaves none out.
func (s *Snapshot) RendezvousExcept(tenant string, skip map[string]bool) []string {
	d := Decision{snap: s, Tenant: tenant, class: -1}
	s.place(&d, tenant, skipView(skip))
	ids := make([]string, d.n)
	for i := range ids {
		ids[i] = s.reg.Cells[d.cells[i]].ID
	}
	return ids
}

// DecodeStrict decodes exactly one JSON value into v as the registry is
// decoded: unknown fields, keys written twice in one object and anything
// after the value are refused.
func DecodeStrict(data []byte, v any) error { return decodeStrict(data, v) }

// skipView is a HealthView that reports the cells it holds unhealthy.
type skipView map[string]bool

func (v skipView) Healthy(cell string) bool { return !v[cell] }
