package router

import "github.com/cellfabric/cellfabric/fabric"

// SchemaVersion is the registry document version this package reads and
// writes. A document with another version is refused: a new version means an
// incompatible change, and an old router must keep its last good registry
// rather than misread a new one.
const SchemaVersion = 1

// Defaults and limits of the registry document, in one place.
const (
	// DefaultCellWeight is a cell's weight when the document leaves it out.
	DefaultCellWeight = 100
	// MaxWeight caps every weight so that sums of weights cannot overflow.
	MaxWeight = 1_000_000
	// MaxFailover is the most failover cells a tenant may list; with the
	// primary it bounds a decision's candidate list (MaxCandidates).
	MaxFailover = 7
	// MaxCandidates is the most cells a decision lists, in order of
	// preference: the chosen cell and the ones a retry may try next.
	MaxCandidates = MaxFailover + 1
	// MaxCells is the most cells a registry may hold.
	MaxCells = 1024
	// MaxRegistryBytes is the default size limit of a registry document:
	// large enough for several million tenants, small enough that a runaway
	// file cannot exhaust memory.
	MaxRegistryBytes = 512 << 20
)

// Balance is how a shared route spreads requests over its cells.
type Balance string

// Balancing modes.
const (
	// BalanceWeighted picks a healthy cell at random in proportion to its
	// weight.
	BalanceWeighted Balance = "weighted"
	// BalanceLatency scales each weight by how fast the cell has answered
	// lately (an EWMA of observed latency), when the HealthView reports
	// latency; otherwise it behaves like BalanceWeighted.
	BalanceLatency Balance = "latency"
)

// Registry is the document the router reads: the only input that decides
// where a request goes. It is JSON (see registry.schema.json) and is built
// from stack outputs by FromStackOutputs.
//
// A Registry reachable from a Snapshot is shared by every request and must
// not be modified.
type Registry struct {
	// Version is the document format version; must be SchemaVersion.
	Version int `json:"version"`
	// Epoch orders documents: a router accepts only a document whose epoch
	// is greater than the one it serves. Must be positive.
	Epoch int64 `json:"epoch"`
	// Cells are the places requests can go. At least one; at most MaxCells.
	Cells []Cell `json:"cells"`
	// Tenants map tenant ids to cells. Zero: none (every tenant is unknown).
	Tenants []Tenant `json:"tenants"`
	// SharedRoutes send path prefixes that belong to no tenant to a weighted
	// set of cells. Zero: none.
	SharedRoutes []SharedRoute `json:"sharedRoutes,omitempty"`
	// UnknownTenants is the policy for tenants not listed. Zero (empty):
	// PolicyReject.
	UnknownTenants fabric.Policy `json:"unknownTenants,omitempty"`
}

// Cell is one place requests can go.
type Cell struct {
	// ID names the cell (fabric.ValidCellID: 3–20 lowercase letters, digits
	// and hyphens, starting with a letter). Required, unique.
	ID string `json:"id,omitempty"`
	// Cloud is the cloud the cell runs on: aws, azure or gcp. Required.
	Cloud fabric.Cloud `json:"cloud,omitempty"`
	// Region is the cloud region. Required.
	Region string `json:"region,omitempty"`
	// Endpoint is the cell's base URL: http or https, a host, no path beyond
	// "/", no query. Required. The host is a DNS name or a plainly written
	// IP address (a.b.c.d, [IPv6]); link-local (169.254.0.0/16, fe80::/10,
	// where clouds serve instance metadata), unspecified, multicast,
	// broadcast and known cloud metadata addresses are refused, also when
	// IPv4-mapped, and so are numeric hosts other than a dotted quad
	// (2852039166, 0251.0376.0251.0376, a trailing dot). Loopback and
	// private addresses are allowed.
	Endpoint string `json:"endpoint,omitempty"`
	// HealthURL is the URL active health checks probe (http or https; its
	// host follows the rules of Endpoint). Zero: the cell is not probed
	// (only passive checks apply).
	HealthURL string `json:"healthUrl,omitempty"`
	// Weight is the cell's share of shared-route and placement traffic,
	// 0..MaxWeight. Default (when the field is absent) DefaultCellWeight;
	// an explicit 0 means the cell takes no such traffic.
	Weight int `json:"weight"`
	// State is active, draining or down. Default (absent or empty) active.
	State fabric.CellState `json:"state,omitempty"`
	// Geo is the geography the cell's region lies in ("eu", "us", ...):
	// what a tenant's Residency is matched against when the tenant
	// directory places or moves a tenant. Zero: unknown (no tenant with a
	// residency can be placed there).
	Geo string `json:"geo,omitempty"`
}

// Tenant is one customer and the cells that hold it.
type Tenant struct {
	// ID identifies the tenant in requests (fabric.ValidTenantID: a
	// lowercase DNS label). Required, unique.
	ID string `json:"id"`
	// Cell is the tenant's primary cell. Required; must name a cell.
	Cell string `json:"cell"`
	// Failover are the cells to use, in order, when the primary is down or
	// unhealthy: at most MaxFailover, each a known cell other than the
	// primary, no repeats. Zero: none.
	Failover []string `json:"failover,omitempty"`
	// State is active, migrating or readonly. Default (absent or empty)
	// active.
	State fabric.TenantState `json:"state,omitempty"`
	// Residency is the geography the tenant's data must stay in ("eu",
	// "us", ...): the geo of its primary and failover cells. The stack model
	// and the tenant directory refuse a placement that breaks it. Zero:
	// anywhere.
	Residency string `json:"residency,omitempty"`
	// Epoch is the tenant's placement epoch: the tenant directory raises it
	// with every change of placement, and a move switches the tenant to its
	// new cell with the next epoch, which the cells enforce (a write carrying
	// an older epoch is refused). Zero: none given (a tenant of the stack
	// file that the directory never changed).
	Epoch int64 `json:"epoch,omitempty"`
}

// SharedRoute sends requests that name no tenant and whose path starts with
// Prefix to a weighted set of cells.
type SharedRoute struct {
	// Prefix is the path prefix: starts with "/", no query or fragment,
	// unique. It matches the path itself and anything below it
	// ("/catalog" matches "/catalog" and "/catalog/x", not "/catalogue").
	Prefix string `json:"prefix"`
	// Cells are the cells that serve the route. At least one, no repeats, at
	// least one with a positive weight.
	Cells []WeightedCell `json:"cells"`
	// Balance is weighted or latency. Default (empty) weighted.
	Balance Balance `json:"balance,omitempty"`
}

// WeightedCell is one cell of a shared route.
type WeightedCell struct {
	// Cell is a cell id. Required; must name a cell.
	Cell string `json:"cell"`
	// Weight is the cell's share of the route, 0..MaxWeight.
	Weight int `json:"weight"`
}

// EffectiveState returns the cell's state with the default applied.
func (c *Cell) EffectiveState() fabric.CellState { return c.State.OrDefault() }

// EffectiveState returns the tenant's state with the default applied.
func (t *Tenant) EffectiveState() fabric.TenantState { return t.State.OrDefault() }

// EffectivePolicy returns the unknown-tenant policy with the default applied.
func (r *Registry) EffectivePolicy() fabric.Policy { return r.UnknownTenants.OrDefault() }
