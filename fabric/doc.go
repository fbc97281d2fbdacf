// Package fabric is the vocabulary every layer of cellfabric shares: the
// clouds, the states of cells and tenants, the unknown-tenant policy, the
// rules for cell ids, tenant ids and edge key ids, and the problem list that
// every validator returns.
//
// Each concept is defined here once. The stack model (stacks), the VPN
// planner (components/vpn/plan), the components, the router core and the
// edge Worker import it instead of keeping a copy, so a rule cannot drift
// between the stack file and the router.
//
// The package imports only the standard library and holds no behaviour
// beyond the rules themselves: it must never import another cellfabric
// package, a Pulumi or cloud SDK, or anything that does I/O. It is compiled
// into the edge Worker, so it stays small (no regexp, no encoding/json).
package fabric
