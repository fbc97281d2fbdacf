// Package router is cellfabric's routing core: the registry document (cells,
// tenants, shared routes and the unknown-tenant policy), its parsing and
// validation, the JSON Schema that describes it, the one function that builds
// it from stack outputs (FromStackOutputs), the compiled immutable Snapshot,
// the routing decision (Snapshot.Decide, and Snapshot.DecideFor for a
// placement the tenant directory gives), the Store that swaps snapshots
// atomically and refuses bad updates, and the Directory: the tenant
// directory as a server router holds it, a compact index of every tenant's
// placement updated one TenantChange at a time.
//
// Everything here is pure: no network, no files, no goroutines, no clocks on
// the decision path. The same code runs in the router server (router/server)
// and, compiled with GOOS=js GOARCH=wasm, in the Cloudflare Worker. Callers
// supply what the core cannot know by itself: the resolved tenant (see
// router/tenant), a random number for weighted choices and a HealthView
// telling which cells are healthy (router/health on a server, a KV document
// written by a cron probe in the Worker).
//
// This package imports only the standard library and router/jsonkeys (a
// standard-library-only leaf: the duplicate-key check of every document
// read). It must never import a Pulumi or cloud SDK, net/http server code,
// or any other cellfabric package: the stack model, the components and the
// behaviour packages under router/ depend on it, never the reverse.
package router
