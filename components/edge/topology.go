package edge

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router/edgeconf"
	"github.com/cellfabric/cellfabric/stacks"
)

// ArgsFromTopology returns the Args the topology decides: account, zone,
// hosts, tenants, one EdgeCell per topology cell (endpoint and health URL
// read from cells, weight from the topology, region mapped with
// LoadBalancerRegion), the shared routes, steering, cron, key id and
// Authenticated Origin Pulls. cells is the `cells` output (in-program, or
// MergeCells over the cell stacks' StackReferences) and routing the
// `routing` output; both feed the registry. WorkerConfig resolves tenants by
// host (TenantHost) and caches the registry for Edge.CacheSeconds; requests
// on other hosts (the shared host) carry no tenant and follow the shared
// routes. The caller adds the Worker bundle (WorkerScript, WorkerWasm) and
// EdgeKey. topo must have been through SetDefaults.
//
// Tenant hosts get one wildcard route when unknown tenants are placed:
// their hosts must resolve although no tenant list names them. A cell that
// is not active carries no weight in the load balancer, as in the registry.
func ArgsFromTopology(topo *stacks.Topology, cells, routing pulumi.MapInput) (Args, error) {
	e := topo.Edge
	cfg, err := edgeconf.Config{
		TenantModes:  []string{edgeconf.ModeHost},
		HostPattern:  e.TenantHost,
		CacheSeconds: e.CacheSeconds,
	}.Marshal()
	if err != nil {
		return Args{}, fmt.Errorf("edge: tenantHost %q, cacheSeconds %d: %w", e.TenantHost, e.CacheSeconds, err)
	}
	a := Args{
		AccountID:                e.AccountID,
		ZoneID:                   e.ZoneID,
		Domain:                   e.Domain,
		TenantHost:               e.TenantHost,
		SharedHost:               e.SharedHost,
		WildcardTenants:          e.UnknownTenants == "place",
		Steering:                 e.Steering,
		CellOutputs:              cells,
		Routing:                  routing,
		WorkerConfig:             pulumi.String(string(cfg)),
		EdgeKeyID:                e.KeyID,
		HealthCron:               e.HealthCron,
		AuthenticatedOriginPulls: e.AuthenticatedOriginPulls,
	}
	for _, t := range topo.Tenants {
		a.Tenants = append(a.Tenants, t.ID)
	}
	active := map[string]bool{}
	for _, c := range topo.Cells {
		endpoint, health := CellEndpoints(cells, c.ID)
		region, _ := LoadBalancerRegion(c.Cloud, c.Region)
		active[c.ID] = c.State == "" || c.State == fabric.CellActive
		weight := c.Weight
		if !active[c.ID] {
			weight = 0
		}
		a.Cells = append(a.Cells, EdgeCell{ID: c.ID, Endpoint: endpoint, HealthURL: health, Weight: weight, Region: region})
	}
	for _, r := range e.SharedRoutes {
		sr := SharedRoute{Prefix: r.Prefix}
		for _, wc := range r.Cells {
			w := wc.Weight
			if !active[wc.Cell] {
				w = 0
			}
			sr.Cells = append(sr.Cells, WeightedCell{Cell: wc.Cell, Weight: w})
		}
		a.SharedRoutes = append(a.SharedRoutes, sr)
	}
	return a, nil
}
