package edgeconf

// Binding names: in the service-worker format every binding is a global
// variable of the Worker script with this name.
const (
	// KVBinding is the Workers KV namespace holding RegistryKey and
	// HealthKey (a KvNamespaceBinding).
	KVBinding = "REGISTRY"
	// KeyBinding is the secret text binding holding the edge key's secret:
	// the same value every cell verifies with (at least 16 bytes).
	KeyBinding = "EDGE_KEY"
	// KeyIDBinding is the plain text binding holding the edge key's id
	// (router/edgeauth key id syntax). Absent or empty: edgeauth's
	// DefaultKeyID, "k1".
	KeyIDBinding = "EDGE_KEY_ID"
	// ConfigBinding is the plain text binding holding Config as JSON.
	ConfigBinding = "CONFIG"
	// WasmBinding is the WebAssembly module binding holding the router
	// compiled to wasm (a WebassemblyBinding).
	WasmBinding = "EDGE_WASM"
	// DirectoryBinding is the Workers KV namespace of the tenant directory
	// (a KvNamespaceBinding): one key per tenant, DirectoryTenantPrefix
	// followed by the tenant id, read one at a time by the Worker and
	// written by the control API only.
	DirectoryBinding = "DIRECTORY"
	// ControlKeyBinding is the secret text binding holding the control
	// key's secret: the key the tenant directory's control API verifies,
	// never the edge key (at least 16 bytes).
	ControlKeyBinding = "CONTROL_KEY"
	// ControlKeyIDBinding is the plain text binding holding the control
	// key's id (router/edgeauth key id syntax).
	ControlKeyIDBinding = "CONTROL_KEY_ID"
	// AnalyticsBinding is the Workers Analytics Engine dataset the Worker
	// writes one data point per request to (an AnalyticsEngineBinding;
	// columns in cmd/edgeworker/analytics.go). Optional: without it the
	// Worker records nothing.
	AnalyticsBinding = "ANALYTICS"
	// MemStatsBinding, when bound to "1", makes the Worker answer
	// MemStatsPath itself with its Go heap figures. Test tooling only: the
	// workerd harness (cmd/edgeworker/workerd) binds it; the edge component
	// never does, so no deployed Worker answers that path.
	MemStatsBinding = "CELLFABRIC_TEST_MEMSTATS"
	// SettleBinding, when bound to a whole number of milliseconds, replaces
	// the Workers KV propagation bound (60 s) that the control API's
	// changes feed waits out before it returns a journal record. Test
	// tooling only: workerd's local KV is one location, so the runtime
	// tests bind 0 to read their own writes back; the edge component never
	// binds it (on Workers KV a shorter bound could skip records written
	// elsewhere).
	SettleBinding = "CELLFABRIC_TEST_SETTLE_MS"
)

// MemStatsPath is the path a Worker run with MemStatsBinding answers with
// its memory figures (after a garbage collection), on any host.
const MemStatsPath = "/__cellfabric_test/memstats"

// Keys in the KV namespace.
const (
	// RegistryKey holds the registry document. `pulumi up` writes it; the
	// Worker only reads it.
	RegistryKey = "registry"
	// HealthKey holds the Health document. The Worker's Cron Trigger
	// writes it; the fetch handler reads it. Deployments must not write it.
	HealthKey = "health"
)

// DirectoryTenantPrefix precedes the tenant id in the key of a tenant's
// entry in the directory namespace: "t/acme" holds router.Tenant's JSON
// for tenant acme.
const DirectoryTenantPrefix = "t/"

// DirectoryTenantKey is the directory key of a tenant's entry.
func DirectoryTenantKey(tenant string) string { return DirectoryTenantPrefix + tenant }

// CompatibilityDate is the Workers compatibility date the Worker is built
// and tested for (the runtime tests run workerd with it). The component sets
// it on the WorkerScript.
const CompatibilityDate = "2025-06-01"
