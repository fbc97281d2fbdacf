package edge

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/router"
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
	// TenantHost is the host tenants are reached on, "{tenant}.<suffix>":
	// the tenant id is the whole first label, so that one wildcard Worker
	// route "*.<suffix>/*" and one proxied wildcard record "*.<suffix>"
	// serve every tenant, listed or not, however many there are. Required.
	TenantHost string
	// SharedHost is the host of the shared routes, e.g. "api.example.com".
	// It gets a Worker route too; the load balancer (when there are shared
	// routes) or a placeholder record makes it resolve. Required.
	SharedHost string

	// Routing is the routing half of the registry: the cells behind the
	// edge (each with its cloud, region, weight and state; Routing builds it
	// from a topology), the tenants of the stack file (the seed of the
	// tenant directory, in the registry; they add no route or record), the
	// shared routes and the unknown-tenant policy. With shared routes, each
	// cell gets a load-balancer pool and health monitor, a cell that is not
	// active weighs nothing there, and its cloud region decides its
	// Cloudflare load-balancing region (LoadBalancerRegion) for geo
	// steering. At least one cell. Required.
	Routing router.Routing
	// CellOutputs is the other half: the cells' outputs, where each cell is
	// (cell.ResolveCells over this program's cells, or cell.DecodeCells
	// over the cell stacks' StackReferences). Required.
	CellOutputs cell.CellsOutput
	// Steering is the load balancer's steering policy: off, geo,
	// dynamic_latency or random. geo needs a shared-route cell in a region
	// LoadBalancerRegion knows. Default off.
	Steering string

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
	// ControlKey is the secret the tenant directory's control API verifies
	// (the Worker's CONTROL_KEY binding): at least 16 bytes, never the edge
	// key, which the deployment refuses. It is made secret here whatever
	// the caller passed. Required.
	ControlKey pulumi.StringInput
	// ControlKeyID is ControlKey's id (fabric.ValidKeyID). Default
	// DefaultControlKeyID.
	ControlKeyID string
	// Analytics binds the Worker to a Workers Analytics Engine dataset
	// named DatasetName(Name) as edgeconf.AnalyticsBinding: the Worker then
	// writes one data point per request to it. Default false (the stack
	// config's edge.analytics defaults to true and sets it).
	Analytics bool
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
