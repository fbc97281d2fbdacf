package edge

import "github.com/cellfabric/cellfabric/router/edgeconf"

// Names the Worker script sees: its bindings and the keys of its KV
// namespace. They are router/edgeconf's, the contract the Worker
// (cmd/edgeworker) is built against, so neither side can rename one alone.
const (
	// BindingRegistry is the KV namespace binding holding the registry and
	// the health the cron trigger writes.
	BindingRegistry = edgeconf.KVBinding
	// KeyRegistry is the KV key of the registry document, written by
	// `pulumi up`.
	KeyRegistry = edgeconf.RegistryKey
	// KeyHealth is the KV key the Worker's cron trigger writes cell health
	// to. Pulumi never manages it (it would undo the Worker's writes).
	KeyHealth = edgeconf.HealthKey
	// BindingEdgeKey is the secret text binding of the edge signing key.
	BindingEdgeKey = edgeconf.KeyBinding
	// BindingEdgeKeyID is the plain text binding of the key's id.
	BindingEdgeKeyID = edgeconf.KeyIDBinding
	// BindingConfig is the plain text binding of the Worker's config JSON.
	BindingConfig = edgeconf.ConfigBinding
	// BindingWasm is the wasm module binding of the compiled router.
	BindingWasm = edgeconf.WasmBinding
	// BindingDirectory is the KV namespace binding of the tenant
	// directory.
	BindingDirectory = edgeconf.DirectoryBinding
	// BindingControlKey is the secret text binding of the control key.
	BindingControlKey = edgeconf.ControlKeyBinding
	// BindingControlKeyID is the plain text binding of its id.
	BindingControlKeyID = edgeconf.ControlKeyIDBinding
	// BindingAnalytics is the Analytics Engine dataset binding (with
	// Args.Analytics).
	BindingAnalytics = edgeconf.AnalyticsBinding
)
