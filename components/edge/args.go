package edge

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Args configure the Cloudflare edge. Plain fields decide the shape of
// the program (which routes, records, pools exist); Input fields carry values
// that flow into resources and may be unknown until deploy time.
type Args struct {
	// Name prefixes the names Cloudflare shows: the Worker script, the KV
	// namespace title, the load-balancer pools. Unique per account, since
	// Worker script names and KV titles are. Default "<project>-<stack>",
	// lower-cased, with every character outside [a-z0-9-] turned into "-".
	// 1–40 lowercase letters, digits and hyphens, starting with a letter.
	Name string

	// AccountID is the Cloudflare account that owns the Worker, the KV
	// namespace and the load-balancer pools and monitors: 32 hex digits.
	// Required.
	AccountID string
	// ZoneID is the zone of Domain (routes, DNS records, load balancer,
	// Authenticated Origin Pulls): 32 hex digits. Required.
	ZoneID string
	// Domain is the zone's domain, e.g. "example.com". Every host below lies
	// in it. Required.
	Domain string
	// TenantHost is the host tenants are reached on, with "{tenant}" once
	// in place of the tenant id: "{tenant}.example.com",
	// "{tenant}-app.example.com". Required.
	TenantHost string
	// SharedHost is the host of the shared routes, e.g. "api.example.com".
	// It gets a Worker route too; the load balancer (when there are shared
	// routes) or a placeholder record makes it resolve. Required.
	SharedHost string
	// Tenants are the tenant ids served at the edge: each gets a Worker
	// route and a proxied DNS record on its TenantHost, unless
	// WildcardTenants is set. Zero: none.
	Tenants []string
	// WildcardTenants replaces the per-tenant routes and records with one
	// Worker route "*.<suffix>/*" and one proxied wildcard record
	// "*.<suffix>", where TenantHost is "{tenant}.<suffix>". Needed when
	// unknown tenants are placed (their hosts must resolve too) or when the
	// tenants outgrow the zone's route and record limits. It catches every
	// other proxied host under <suffix> that has no more specific route.
	// Default false.
	WildcardTenants bool

	// Cells are the cells behind the edge: one load-balancer pool and one
	// health monitor each (when there are shared routes). At least one.
	Cells []EdgeCell
	// SharedRoutes send path prefixes on SharedHost to weighted cells. The
	// registry (and so the Worker) routes them; the load balancer on
	// SharedHost mirrors them with the cells' pools. Zero: no load balancer,
	// pools or monitors.
	SharedRoutes []SharedRoute
	// Steering is the load balancer's steering policy: off, geo,
	// dynamic_latency or random. geo needs EdgeCell.Region on at least one
	// shared-route cell. Default off.
	Steering string

	// CellOutputs is the `cells` stack output: cell id → that cell's
	// cell.Outputs map (JSON keys of components/cell), from the cells of this
	// program or from StackReferences to the cell stacks (MergeCells).
	// Required.
	CellOutputs pulumi.MapInput
	// Routing is the `routing` stack output (router.Routing's JSON shape).
	// Required.
	Routing pulumi.MapInput

	// WorkerScript is the service-worker script (Go's wasm_exec.js and the
	// project's shim). Required.
	WorkerScript pulumi.StringInput
	// WorkerWasm is the router compiled to wasm, base64-encoded (the form
	// WorkerScriptWebassemblyBinding.Module takes). Checked at deploy time:
	// it must decode to a wasm module. Required.
	WorkerWasm pulumi.StringInput
	// WorkerConfig is the JSON bound as the CONFIG plain-text binding (the
	// Worker's config). Required.
	WorkerConfig pulumi.StringInput
	// CompatibilityDate is the Worker's compatibility date. Default
	// DefaultCompatibilityDate.
	CompatibilityDate string

	// EdgeKey is the secret the Worker signs forwarded requests with; every
	// cell verifies it. It is made secret here whatever the caller passed.
	// Required.
	EdgeKey pulumi.StringInput
	// EdgeKeyID is EdgeKey's id, sent in every signature (fabric.ValidKeyID:
	// 1–32 letters, digits, ".", "_" or "-"). Default "k1".
	EdgeKeyID string
	// HealthCron is the cron schedule on which the Worker probes every cell
	// and writes the result to KV: five fields. Default "* * * * *".
	HealthCron string

	// AuthenticatedOriginPulls turns on per-zone Authenticated Origin Pulls:
	// Cloudflare presents a client certificate to the origins, which must
	// then require it. Default false.
	AuthenticatedOriginPulls bool
	// OriginPullCertificate and OriginPullPrivateKey (PEM) are the zone's
	// own client certificate and key, uploaded as the per-zone certificate.
	// Both or neither; only with AuthenticatedOriginPulls. Neither: the zone
	// presents Cloudflare's shared origin-pull certificate. The key is made
	// secret here.
	OriginPullCertificate pulumi.StringInput
	OriginPullPrivateKey  pulumi.StringInput
}

// EdgeCell is one cell as the edge sees it.
type EdgeCell struct {
	// ID is the cell id (fabric.ValidCellID). Required, unique.
	ID string
	// Endpoint is the cell's base URL (cell.Outputs.Endpoint): its host is
	// the pool origin's address and Host header. Required.
	Endpoint pulumi.StringInput
	// HealthURL is the cell's health URL (cell.Outputs.HealthURL): its path
	// is the monitor's path. Required.
	HealthURL pulumi.StringInput
	// Weight is the cell's share under random steering (relative to the
	// other cells), 0–1,000,000. Zero: the pool is listed but gets no
	// random-steering traffic.
	Weight int
	// Region is the Cloudflare load-balancing region the cell is nearest
	// to (WNAM, ENAM, WEU, ...; LoadBalancerRegion maps cloud regions).
	// Used by geo steering and as the monitor's check region. Zero: the
	// cell takes part in geo steering only as a failover pool.
	Region string
}

// SharedRoute sends a path prefix on SharedHost to weighted cells.
type SharedRoute struct {
	// Prefix is the path prefix, starting with "/". Required, unique.
	Prefix string
	// Cells serve the prefix. At least one, each a cell of Args.Cells.
	Cells []WeightedCell
}

// WeightedCell is one cell of a shared route.
type WeightedCell struct {
	// Cell is the cell id. Required.
	Cell string
	// Weight is its share of the route, 0–1,000,000.
	Weight int
}
