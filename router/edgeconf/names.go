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
)

// Keys in the KV namespace.
const (
	// RegistryKey holds the registry document. `pulumi up` writes it; the
	// Worker only reads it.
	RegistryKey = "registry"
	// HealthKey holds the Health document. The Worker's Cron Trigger
	// writes it; the fetch handler reads it. Deployments must not write it.
	HealthKey = "health"
)

// CompatibilityDate is the Workers compatibility date the Worker is built
// and tested for (the runtime tests run workerd with it). The component sets
// it on the WorkerScript.
const CompatibilityDate = "2025-06-01"
