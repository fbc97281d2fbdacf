// Package edgeconf is the contract between the edge Worker (cmd/edgeworker)
// and the Pulumi component that deploys it (components/edge): the names of
// the Worker's bindings, the keys it reads and writes in its Workers KV
// namespace, the Config it reads from its CONFIG binding and the health
// document its Cron Trigger writes.
//
// Both sides import these names instead of spelling them, so a binding
// renamed on one side cannot silently go missing on the other. The Worker
// reads exactly what is described here and nothing else (MemStatsBinding and
// SettleBinding are test tooling, never deployed):
//
//   - KVBinding (Workers KV): RegistryKey holds the registry document
//     (router.Registry as JSON, written by `pulumi up`); HealthKey holds the
//     Health document (written by the Worker's own cron probe);
//   - DirectoryBinding (Workers KV): the tenant directory, one key per
//     tenant (DirectoryTenantKey) holding router.Tenant as JSON, written by
//     the control API and read by the Worker one tenant at a time;
//   - KeyBinding (secret text): the secret of the edge key the Worker signs
//     with (router/edgeauth), and KeyIDBinding (plain text) its id;
//   - ControlKeyBinding (secret text) and ControlKeyIDBinding (plain text):
//     the separate key the directory's control API verifies;
//   - ConfigBinding (plain text): Config as JSON; absent or empty means
//     every default;
//   - WasmBinding (WebAssembly module): the router compiled with GOOS=js
//     GOARCH=wasm;
//   - AnalyticsBinding (Workers Analytics Engine dataset, optional): written
//     to, one data point per request, never read.
//
// The package is pure (no I/O, no clocks of its own) and imports only the
// standard library and router/jsonkeys (itself standard library only, the
// duplicate-key check every cellfabric document gets), so that the Worker
// build (GOOS=js GOARCH=wasm) and the Pulumi component can both depend on
// it. It must never import a Pulumi or cloud SDK, net/http, or any other
// cellfabric package.
package edgeconf
