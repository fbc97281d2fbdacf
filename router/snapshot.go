package router

import (
	"fmt"
	"sort"
	"strings"

	"github.com/cellfabric/cellfabric/fabric"
)

// Snapshot is a compiled, immutable registry: the registry plus the indexes a
// decision needs. Build one with Compile; share it freely between goroutines.
type Snapshot struct {
	reg       *Registry
	cellIndex map[string]int
	cellHash  []uint64 // per cell, for rendezvous placement
	// tenants maps a tenant id to its route class. Tenants that share a
	// primary, failover list and state share a class, so a million tenants
	// cost one index slot each.
	tenants *tenantIndex
	classes []routeClass
	routes  []compiledRoute // longest prefix first
	policy  fabric.Policy
}

// routeClass is the cells (primary first, then failovers) and state that a
// set of tenants share.
type routeClass struct {
	cells [MaxCandidates]uint16
	n     uint8
	state fabric.TenantState
}

type compiledRoute struct {
	route *SharedRoute
	cells []uint16 // cell indexes, parallel to route.Cells
}

// Compile validates reg and builds its Snapshot. The Snapshot keeps reg:
// do not modify it afterwards.
func Compile(reg *Registry) (*Snapshot, error) {
	if reg == nil {
		return nil, fmt.Errorf("compiling registry: no registry")
	}
	byTenant, err := reg.check()
	if err != nil {
		return nil, err
	}
	s := &Snapshot{
		reg:       reg,
		cellIndex: make(map[string]int, len(reg.Cells)),
		cellHash:  make([]uint64, len(reg.Cells)),
		policy:    reg.EffectivePolicy(),
	}
	for i := range reg.Cells {
		s.cellIndex[reg.Cells[i].ID] = i
		s.cellHash[i] = hashString(reg.Cells[i].ID)
	}
	classOf := make(map[routeClass]int32)
	position := make([]int32, len(reg.Tenants))
	for i := range reg.Tenants {
		t := &reg.Tenants[i]
		var rc routeClass
		rc.cells[0] = uint16(s.cellIndex[t.Cell])
		rc.n = 1
		for _, f := range t.Failover {
			rc.cells[rc.n] = uint16(s.cellIndex[f])
			rc.n++
		}
		rc.state = t.EffectiveState()
		ci, ok := classOf[rc]
		if !ok {
			ci = int32(len(s.classes))
			s.classes = append(s.classes, rc)
			classOf[rc] = ci
		}
		position[i] = ci
	}
	// Reuse the validator's index: its values become class numbers.
	byTenant.remap(func(pos int32) int32 { return position[pos] })
	s.tenants = byTenant
	for i := range reg.SharedRoutes {
		r := &reg.SharedRoutes[i]
		cr := compiledRoute{route: r, cells: make([]uint16, len(r.Cells))}
		for j, wc := range r.Cells {
			cr.cells[j] = uint16(s.cellIndex[wc.Cell])
		}
		s.routes = append(s.routes, cr)
	}
	sort.SliceStable(s.routes, func(a, b int) bool {
		return len(s.routes[a].route.Prefix) > len(s.routes[b].route.Prefix)
	})
	return s, nil
}

// Epoch returns the registry's epoch.
func (s *Snapshot) Epoch() int64 { return s.reg.Epoch }

// Registry returns the registry the snapshot was compiled from. It is shared:
// do not modify it.
func (s *Snapshot) Registry() *Registry { return s.reg }

// Cells returns the registry's cells, in document order. Shared: do not
// modify.
func (s *Snapshot) Cells() []Cell { return s.reg.Cells }

// Cell returns the cell with the given id.
func (s *Snapshot) Cell(id string) (*Cell, bool) {
	i, ok := s.cellIndex[id]
	if !ok {
		return nil, false
	}
	return &s.reg.Cells[i], true
}

// Policy returns the unknown-tenant policy, default applied.
func (s *Snapshot) Policy() fabric.Policy { return s.policy }

// TenantCount returns how many tenants the registry lists.
func (s *Snapshot) TenantCount() int { return s.tenants.len() }

// HasTenant reports whether the registry lists tenant id. It allocates
// nothing.
func (s *Snapshot) HasTenant(id string) bool {
	_, ok := s.tenants.lookup(id)
	return ok
}

// TenantRoute is what the registry says about one tenant.
type TenantRoute struct {
	// Tenant is the tenant id.
	Tenant string `json:"id"`
	// Cells are the primary cell followed by the failover cells, in order.
	Cells []string `json:"cells"`
	// State is the tenant's state, default applied.
	State fabric.TenantState `json:"state"`
}

// Tenant returns what the registry says about a tenant, or false when it does
// not list it.
func (s *Snapshot) Tenant(id string) (TenantRoute, bool) {
	ci, ok := s.tenants.lookup(id)
	if !ok {
		return TenantRoute{}, false
	}
	c := &s.classes[ci]
	tr := TenantRoute{Tenant: id, State: c.state, Cells: make([]string, c.n)}
	for i := 0; i < int(c.n); i++ {
		tr.Cells[i] = s.reg.Cells[c.cells[i]].ID
	}
	return tr, true
}

// matchRoute returns the shared route with the longest prefix matching path,
// or nil. A prefix matches the path itself and anything below it.
func (s *Snapshot) matchRoute(path string) *compiledRoute {
	for i := range s.routes {
		p := s.routes[i].route.Prefix
		if !strings.HasPrefix(path, p) {
			continue
		}
		if len(path) == len(p) || p[len(p)-1] == '/' || path[len(p)] == '/' {
			return &s.routes[i]
		}
	}
	return nil
}
