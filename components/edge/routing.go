package edge

import (
	"maps"
	"slices"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/stacks"
)

// Routing returns the routing half of the registry that a topology decides:
// every cell with its cloud, region, weight and state, the tenants, the
// shared routes and the unknown-tenant policy, as Go values. The edge
// builds its registry, routes and load balancer from it; a stack exports it
// (router.Routing.Trimmed) as its `routing` output; `cellfabric local`
// builds its registry from it. topo must have been through SetDefaults.
func Routing(topo *stacks.Topology) router.Routing {
	r := router.Routing{
		Cells:          make(map[string]router.Cell, len(topo.Cells)),
		Tenants:        make([]router.Tenant, 0, len(topo.Tenants)),
		SharedRoutes:   make([]router.SharedRoute, 0, len(topo.Edge.SharedRoutes)),
		UnknownTenants: topo.Edge.UnknownTenants,
	}
	for _, c := range topo.Cells {
		r.Cells[c.ID] = router.Cell{ID: c.ID, Cloud: c.Cloud, Region: c.Region, Weight: c.Weight, State: c.State, Geo: c.Geo}
	}
	for _, t := range topo.Tenants {
		r.Tenants = append(r.Tenants, router.Tenant{ID: t.ID, Cell: t.Cell, Failover: slices.Clone(t.Failover), State: t.State, Residency: t.Residency})
	}
	for _, sr := range topo.Edge.SharedRoutes {
		route := router.SharedRoute{Prefix: sr.Prefix, Cells: make([]router.WeightedCell, len(sr.Cells))}
		for i, wc := range sr.Cells {
			route.Cells[i] = router.WeightedCell{Cell: wc.Cell, Weight: wc.Weight}
		}
		r.SharedRoutes = append(r.SharedRoutes, route)
	}
	return r
}

// routedCells returns the cells of a's routing, sorted by id, each with its
// id set.
func (a Args) routedCells() []router.Cell {
	out := make([]router.Cell, 0, len(a.Routing.Cells))
	for _, id := range slices.Sorted(maps.Keys(a.Routing.Cells)) {
		c := a.Routing.Cells[id]
		c.ID = id
		out = append(out, c)
	}
	return out
}

// lbWeight is a cell's weight in the load balancer: a cell that is not
// active takes no shared traffic there, as in the registry.
func lbWeight(c router.Cell) int {
	if c.State.OrDefault() != fabric.CellActive {
		return 0
	}
	return c.Weight
}

// lbRegion is a cell's Cloudflare load-balancing region, "" when
// LoadBalancerRegion does not know its cloud region.
func lbRegion(c router.Cell) string {
	r, _ := LoadBalancerRegion(c.Cloud, c.Region)
	return r
}

// tenantIDs lists the routing's tenant ids, in order.
func (a Args) tenantIDs() []string {
	ids := make([]string, len(a.Routing.Tenants))
	for i, t := range a.Routing.Tenants {
		ids[i] = t.ID
	}
	return ids
}
