package stacks

import "github.com/cellfabric/cellfabric/fabric"

// Role is what one stack deploys.
type Role string

// Stack roles. RoleAll puts everything in one stack (the dev stack); the other
// three split production so that one `pulumi up` touches one failure domain.
const (
	RoleAll     Role = "all"     // every cell, the VPN mesh and the edge
	RoleCell    Role = "cell"    // one cell, named by Topology.Cell
	RoleNetwork Role = "network" // the VPN mesh between cells deployed by cell stacks
	RoleEdge    Role = "edge"    // the Cloudflare edge in front of cells deployed by cell stacks
)

// Roles lists the valid roles.
var Roles = []Role{RoleAll, RoleCell, RoleNetwork, RoleEdge}

// Topology is everything one stack declares. It is loaded from the stack's
// Pulumi config (namespace "cellfabric", and gcp:project for GCPProject) and
// validated before any resource is registered.
type Topology struct {
	// Project is the Pulumi project name; set by the loader, not by config.
	Project string `json:"-"`
	// Stack is the Pulumi stack name; set by the loader, not by config. It is
	// written on every resource as the cellfabric-stack tag.
	Stack string `json:"-"`
	// GCPProject is the stack's gcp:project config (KeyGCPProject), the
	// project of every GCP cell that sets none; set by the loaders from that
	// key, outside the cellfabric namespace. Zero: none, and then every GCP
	// cell the stack builds must set Cell.Project.
	GCPProject string `json:"-"`

	// Role is what this stack deploys (config key cellfabric:role).
	// Default (zero): RoleAll.
	Role Role `json:"role"`
	// Cell is the id of the one cell a RoleCell stack deploys (cellfabric:cell).
	// Required for RoleCell, must be empty otherwise.
	Cell string `json:"cell"`
	// CellStacks are the fully qualified names (org/project/stack) of the cell
	// stacks whose outputs a RoleNetwork or RoleEdge stack reads through
	// StackReferences (cellfabric:cellStacks). Required for those roles,
	// ignored otherwise. Zero: none.
	CellStacks []string `json:"cellStacks"`

	// Cells are the isolated copies of the product (cellfabric:cells).
	// At least one is required.
	Cells []Cell `json:"cells"`
	// Tenants are the customers and the cells that hold them
	// (cellfabric:tenants). Zero: no tenants (every request is an unknown
	// tenant, handled by Edge.UnknownTenants).
	Tenants []Tenant `json:"tenants"`
	// Network is the private mesh between the cells (cellfabric:network).
	Network Network `json:"network"`
	// Edge is the Cloudflare edge in front of the cells (cellfabric:edge).
	Edge Edge `json:"edge"`
	// Tags are added to every resource that takes tags or labels, next to the
	// cellfabric-cell, cellfabric-cloud and cellfabric-stack tags
	// (cellfabric:tags). Zero: only the cellfabric tags.
	Tags map[string]string `json:"tags"`
	// Observe holds what the generated alerts and dashboards hold the cells
	// to (cellfabric:observe; `cellfabric observe`). Zero: the defaults.
	Observe Observe `json:"observe"`
}

// Observe is what `cellfabric observe` generates Prometheus rules and a
// Grafana dashboard from, beside the cells. Nothing is deployed from it.
type Observe struct {
	// SLO is the availability objective of every cell that sets none of its
	// own: the percent of requests a cell answers without a server error
	// (5xx) over 30 days, e.g. 99.9. Default DefaultSLO; zero means the
	// default. More than 0 and less than 100.
	SLO float64 `json:"slo"`
	// StandbyMaxAgeSeconds is how old, in seconds, a warm standby's data
	// may be (the writes a failover to it would lose) before
	// CellfabricStandbyLagging fires. Default
	// DefaultStandbyMaxAgeSeconds; zero means the default. Not negative.
	StandbyMaxAgeSeconds int `json:"standbyMaxAgeSeconds"`
}

// Cell is one isolated copy of the product on one cloud, in one region.
type Cell struct {
	// ID names the cell everywhere: resources, tags, the router's registry.
	// Required: 3–20 characters, lowercase letters, digits and hyphens,
	// starting with a letter (short, because some cloud names are capped at
	// 24 characters and carry the id).
	ID string `json:"id"`
	// Cloud is aws, azure or gcp. Required.
	Cloud fabric.Cloud `json:"cloud"`
	// Region is the cloud's region name (us-east-1, westeurope,
	// europe-west1, ...). Required.
	Region string `json:"region"`
	// Geo is the geography the region lies in ("us", "eu", ...), matched
	// against Tenant.Residency. Default: looked up from Region in the table of
	// known regions; required when the region is not in that table.
	Geo string `json:"geo"`
	// CIDR is the cell's private address space, an RFC 1918 block of at least
	// a /24 that overlaps no other cell. Its subnets are carved from it by
	// PlanNetwork. Required.
	CIDR string `json:"cidr"`
	// Zones is how many availability zones the cell spreads over where the
	// cloud has zonal subnets (AWS). Default 2; 2 or 3.
	Zones int `json:"zones"`
	// ASN is the BGP autonomous system number of the cell's VPN gateway: a
	// private ASN (64512–65534 or 4200000000–4294967294) that no other cell
	// uses and no cloud reserves. Required when the VPN mesh is enabled.
	ASN int64 `json:"asn"`

	// Image is the container image the cell runs, the same reference on every
	// cloud (for example the reference cell, ghcr.io/cellfabric/cell:v0.1.0).
	// Required.
	Image string `json:"image"`
	// Port is the port the container listens on. Default 8080.
	Port int `json:"port"`
	// HealthPath is the path of the health check. Default "/healthz".
	HealthPath string `json:"healthPath"`
	// Env is extra plain environment for the container. Never put secrets
	// here: the edge key reaches the workload through the cell's secret store.
	// Zero: none.
	Env map[string]string `json:"env"`
	// MinInstances is the autoscaling floor. Default 1; 0 lets serverless
	// clouds scale to zero.
	MinInstances *int `json:"minInstances"`
	// MaxInstances is the autoscaling ceiling. Default 3; at least MinInstances.
	MaxInstances int `json:"maxInstances"`
	// Weight is the cell's share of shared-route traffic. Default 100.
	Weight int `json:"weight"`
	// State is the cell's router state: active, draining or down
	// (fabric.CellState).
	// Default active.
	State fabric.CellState `json:"state"`
	// Hostname is the DNS name the edge uses to reach the cell's origin; the
	// cell's TLS certificate covers it where the cloud needs one (AWS, GCP).
	// Default "<id>.cells.<edge.domain>"; without edge.domain there is no
	// default, and an AWS or GCP cell the stack builds must set it.
	Hostname string `json:"hostname"`
	// Project is the GCP project the cell lives in (gcp cells only). Default:
	// the gcp:project config of the stack (Topology.GCPProject); a gcp cell
	// the stack makes a provider for must end up with one.
	Project string `json:"project"`
	// Tags are extra tags for this cell's resources only. Zero: none.
	Tags map[string]string `json:"tags"`
	// SLO is the cell's availability objective, a percent as in
	// Observe.SLO. Default: Observe.SLO; zero means the default.
	SLO float64 `json:"slo"`
}

// Tenant is one customer of the product and the cells that hold it.
type Tenant struct {
	// ID identifies the tenant in requests (header, host label, path, JWT
	// claim). Required: 1–63 lowercase letters, digits and hyphens, starting
	// and ending with a letter or digit (it must fit in a DNS label).
	ID string `json:"id"`
	// Cell is the id of the tenant's primary cell. Required.
	Cell string `json:"cell"`
	// Failover are the cells to use, in order, when the primary is unhealthy.
	// Zero: none (the tenant is down while its cell is).
	Failover []string `json:"failover"`
	// Residency is the geography the tenant's data must stay in ("eu",
	// "us", ...). The primary and every failover cell must be in it.
	// Zero: anywhere.
	Residency string `json:"residency"`
	// State is active, migrating or readonly (fabric.TenantState).
	// Default active.
	State fabric.TenantState `json:"state"`
}

// Network is the VPN mesh between the cells' networks.
type Network struct {
	// Enabled turns the mesh on. Default: on when the cells span at least two
	// clouds.
	Enabled *bool `json:"enabled"`
	// AzureGCPTunnels is the number of tunnels between an Azure cell and a GCP
	// cell. Default 2, the only value accepted: one tunnel per interface on
	// both ends, GCP's 99.99% SLA topology (4 would need two local network
	// gateways with one address on the Azure side, which Azure refuses).
	AzureGCPTunnels int `json:"azureGcpTunnels"`
	// IKEVersion is the IKE version on every tunnel: 1 or 2. Default 2 (AWS's
	// default proposal set with IKEv1 fragments packets GCP cannot take).
	IKEVersion int `json:"ikeVersion"`
}

// Edge is the Cloudflare edge in front of the cells.
type Edge struct {
	// AccountID is the Cloudflare account that owns the Worker and KV
	// namespace. Required for the all and edge roles when the edge is enabled.
	AccountID string `json:"accountId"`
	// ZoneID is the Cloudflare zone of Domain. Required with AccountID.
	ZoneID string `json:"zoneId"`
	// Domain is the zone's domain, e.g. "example.com". Required.
	Domain string `json:"domain"`
	// TenantHost is the host pattern tenants are reached on,
	// "{tenant}.<suffix>": the tenant id is the whole first label, so that
	// one wildcard Worker route and DNS record serve every tenant. Default
	// "{tenant}.<domain>".
	TenantHost string `json:"tenantHost"`
	// SharedHost is the host for shared routes (load-balanced over cells).
	// Default "api.<domain>".
	SharedHost string `json:"sharedHost"`
	// SharedRoutes map path prefixes on SharedHost to weighted cells.
	// Zero: none.
	SharedRoutes []SharedRoute `json:"sharedRoutes"`
	// Steering is the load balancer's steering policy: off, geo,
	// dynamic_latency or random. Default off.
	Steering string `json:"steering"`
	// UnknownTenants is what the router does with a tenant not in the
	// registry: reject (404) or place (rendezvous hash over active cells).
	// Default reject.
	UnknownTenants fabric.Policy `json:"unknownTenants"`
	// CacheSeconds is how long the Worker keeps the registry, and each
	// tenant-directory entry it read, in an isolate before re-reading KV.
	// Default 30.
	CacheSeconds int `json:"cacheSeconds"`
	// DirectoryCacheEntries is how many tenants' directory lookups each
	// Worker isolate keeps (found or absent, least recently used out
	// first), 1..50,000. Zero: the Worker's default, 16,000 (under 10 MB).
	DirectoryCacheEntries int `json:"directoryCacheEntries,omitempty"`
	// DirectoryNegativeSeconds is how long a Worker isolate remembers that
	// the tenant directory holds no entry for a tenant, 1..3600: a tenant
	// added to the directory routes after at most this long (plus Workers
	// KV's propagation). Zero: the Worker's default, 10.
	DirectoryNegativeSeconds int `json:"directoryNegativeSeconds,omitempty"`
	// TraceSample is the share of requests whose trace the Worker marks
	// sampled, 0..1: the Worker starts a W3C trace for every request and
	// the cells record the sampled ones (README, "Tracing"). Zero (the
	// default): none.
	TraceSample float64 `json:"traceSample,omitempty"`
	// HealthCron is the cron schedule of the Worker's health probe.
	// Default "* * * * *" (every minute, the finest Cloudflare allows).
	HealthCron string `json:"healthCron"`
	// AuthenticatedOriginPulls turns on per-zone Authenticated Origin Pulls.
	// Default false.
	AuthenticatedOriginPulls bool `json:"authenticatedOriginPulls"`
	// KeyID is the id of the edge signing key, so keys can rotate.
	// Default "k1".
	KeyID string `json:"keyId"`
	// ExtraKeyID is the id of one more key the cells accept besides KeyID,
	// whose secret is the secret config key cellfabric:edgeExtraKey: the
	// second key of a rotation (see the README). The edge never signs with
	// it. Same syntax as KeyID, and different from it. Zero: none, the cells
	// accept KeyID only.
	ExtraKeyID string `json:"extraKeyId"`
	// Analytics binds the Worker to a Workers Analytics Engine dataset,
	// named "<project>_<stack>_edge" (the edge name with "_" for "-"), to
	// which it writes one data point per request (cell, status, latency),
	// read back by `cellfabric edge-health --dataset`. Nil: true (the free
	// plan includes 100,000 data points a day, as many as the Worker's own
	// daily requests there); false binds nothing and the Worker records
	// nothing.
	Analytics *bool `json:"analytics,omitempty"`
	// Disabled builds no edge resources (useful for a cells-only trial).
	// Default false.
	Disabled bool `json:"disabled"`
}

// AnalyticsOn reports whether the Worker writes its requests to an
// Analytics Engine dataset (Analytics, default true).
func (e Edge) AnalyticsOn() bool { return e.Analytics == nil || *e.Analytics }

// SharedRoute sends a path prefix on the shared host to a weighted set of
// cells.
type SharedRoute struct {
	// Prefix is the path prefix, starting with "/". Required.
	Prefix string `json:"prefix"`
	// Cells are the cells that serve it. Required, at least one.
	Cells []WeightedCell `json:"cells"`
}

// WeightedCell is one cell of a shared route.
type WeightedCell struct {
	// Cell is the cell id. Required.
	Cell string `json:"cell"`
	// Weight is its share. Default: the cell's Weight.
	Weight int `json:"weight"`
}

// CellByID returns the cell with the given id.
func (t *Topology) CellByID(id string) (*Cell, bool) {
	for i := range t.Cells {
		if t.Cells[i].ID == id {
			return &t.Cells[i], true
		}
	}
	return nil, false
}

// CloudsInUse lists the clouds the cells use, in canonical order.
func (t *Topology) CloudsInUse() []fabric.Cloud {
	seen := map[fabric.Cloud]bool{}
	for _, c := range t.Cells {
		seen[c.Cloud] = true
	}
	var out []fabric.Cloud
	for _, c := range fabric.Clouds {
		if seen[c] {
			out = append(out, c)
		}
	}
	return out
}

// MeshEnabled reports whether the VPN mesh is on (explicitly, or by default
// because the cells span several clouds).
func (t *Topology) MeshEnabled() bool {
	if t.Network.Enabled != nil {
		return *t.Network.Enabled
	}
	return len(t.CloudsInUse()) >= 2
}

// DeployedCells returns the cells this stack builds: all of them for RoleAll,
// the named one for RoleCell, none for RoleNetwork and RoleEdge (they read
// cells from StackReferences).
func (t *Topology) DeployedCells() []Cell {
	switch t.Role {
	case RoleAll, "":
		return t.Cells
	case RoleCell:
		if c, ok := t.CellByID(t.Cell); ok {
			return []Cell{*c}
		}
	}
	return nil
}
