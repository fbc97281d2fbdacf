package edge

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/router/edgeconf"
	"github.com/cellfabric/cellfabric/stacks"
)

// ArgsFromTopology returns the Args the topology decides: account, zone,
// hosts, the routing half of the registry (Routing: cells with their weights,
// states, clouds and regions, tenants, shared routes, policy), steering,
// cron, key id and Authenticated Origin Pulls. cells is the other half, the
// cells' outputs (cell.ResolveCells in-program, or cell.DecodeCells over
// the cell stacks' StackReferences). WorkerConfig resolves tenants by host
// (TenantHost), caches the registry and directory entries for
// Edge.CacheSeconds and sizes its directory cache as the topology says;
// requests on other hosts (the shared host) carry no tenant and follow the
// shared routes. The caller adds the Worker bundle (WorkerScript, WorkerWasm),
// EdgeKey and ControlKey. topo must have been through SetDefaults.
func ArgsFromTopology(topo *stacks.Topology, cells cell.CellsOutput) (Args, error) {
	e := topo.Edge
	cfg, err := edgeconf.Config{
		TenantModes:              []string{edgeconf.ModeHost},
		HostPattern:              e.TenantHost,
		CacheSeconds:             e.CacheSeconds,
		DirectoryCacheEntries:    e.DirectoryCacheEntries,
		DirectoryNegativeSeconds: e.DirectoryNegativeSeconds,
		TraceSample:              e.TraceSample,
	}.Marshal()
	if err != nil {
		return Args{}, fmt.Errorf("edge: tenantHost %q, cacheSeconds %d, directoryCacheEntries %d, directoryNegativeSeconds %d: %w",
			e.TenantHost, e.CacheSeconds, e.DirectoryCacheEntries, e.DirectoryNegativeSeconds, err)
	}
	return Args{
		AccountID:                e.AccountID,
		ZoneID:                   e.ZoneID,
		Domain:                   e.Domain,
		TenantHost:               e.TenantHost,
		SharedHost:               e.SharedHost,
		Routing:                  Routing(topo),
		CellOutputs:              cells,
		Steering:                 e.Steering,
		WorkerConfig:             pulumi.String(string(cfg)),
		EdgeKeyID:                e.KeyID,
		HealthCron:               e.HealthCron,
		AuthenticatedOriginPulls: e.AuthenticatedOriginPulls,
		Analytics:                e.AnalyticsOn(),
	}, nil
}
