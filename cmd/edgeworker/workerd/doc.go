// Package workerd runs the edge Worker in workerd, Cloudflare's open-source
// Workers runtime, for the runtime tests and the benchmark: the same script
// and wasm that are deployed, with the bindings of router/edgeconf, the
// registry's and the tenant directory's Workers KV namespaces each served by
// a KV (an in-memory store on loopback speaking the protocol of workerd's KV
// binding: get, put with expiration, delete and list, described on KV) and
// a control Worker that fires the Cron Trigger (Runtime.Scheduled). With
// Options.MemStats the Worker also reports its Go heap (Runtime.MemStats),
// through a binding the edge component never sets. With Options.Analytics
// the Worker's ANALYTICS binding is workerd's own Analytics Engine binding,
// whose data points workerd sends to an Analytics on loopback
// (Analytics.DataPoints decodes them).
//
// The workerd binary comes from the npm package pinned in package.json and
// package-lock.json next to this file (`npm ci --prefix
// cmd/edgeworker/workerd`, which `make test` runs): the Linux x64 build of
// the workerd package, @cloudflare/workerd-linux-64, depended on directly
// because the registry this project uses serves no other platform's build
// (so the launcher package's lock cannot be completed). On another platform,
// point CELLFABRIC_WORKERD at a workerd binary. Everything binds to and
// talks to 127.0.0.1 only: the Worker's fetch
// goes through a network service that allows local addresses and nothing
// else, and workerd has no telemetry or update check.
//
// The package imports the standard library, router/edgeauth,
// router/edgeconf and components/edge/bundle. It is test tooling: nothing in
// a deployment uses it.
package workerd
