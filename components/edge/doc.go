// Package edge builds cellfabric's Cloudflare edge: the ComponentResource
// cellfabric:edge:Edge, which puts the router (compiled to wasm, run by a
// Worker) in front of the cells.
//
// New registers, under the component and with the caller's Cloudflare
// provider:
//
//   - a Workers KV namespace and, under KeyRegistry, the registry document
//     built by RegistryJSON from the `cells` and `routing` outputs with
//     router.FromStackOutputs, the function `cellfabric registry` runs;
//   - a time.Static holding the registry's epoch: the Unix time at which the
//     registry's content last changed (see registryEpoch);
//   - the tenant directory's Workers KV namespace, "<name>-directory",
//     which Pulumi creates and leaves empty: its entries are written by the
//     control API;
//   - the Worker script in the service-worker format with its bindings: the
//     wasm module (BindingWasm), the two KV namespaces (BindingRegistry,
//     BindingDirectory), the edge key and the control key as secret text
//     bindings (BindingEdgeKey, BindingControlKey; the deployment refuses a
//     control key equal to the edge key) and the key ids and config as
//     plain text (BindingEdgeKeyID, BindingControlKeyID, BindingConfig);
//   - a cron trigger on which the Worker probes the cells and writes KeyHealth;
//   - one wildcard Worker route "*.<suffix>/*" and one proxied wildcard
//     placeholder record (AAAA 100::) for the tenant hosts
//     ("{tenant}.<suffix>"), however many tenants there are, and a route on
//     the shared host;
//   - with shared routes, a load balancer on the shared host with one monitor
//     and one pool per cell, steering from the args, a fallback pool and
//     default pools;
//   - optionally, per-zone Authenticated Origin Pulls.
//
// It imports the Pulumi SDK, the cloudflare and pulumiverse time SDKs,
// components/cell (output keys), router (the registry builder and id
// rules), router/edgeauth (the key id rule) and stacks (defaults and
// ArgsFromTopology). It must not import infra, cmd,
// the cloud cell packages or any cloud SDK, and it never creates a provider.
package edge
