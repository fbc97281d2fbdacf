// Package stacks is cellfabric's typed stack model: the Topology a stack
// declares (cells, tenants, network plan, edge settings, stack role), how it is
// loaded from Pulumi config or from a plain Pulumi.<stack>.yaml file, its
// defaults, and Validate, which reports every problem at once with the config
// path of the bad field.
//
// Everything here is pure data and pure functions: no I/O beyond reading a
// stack file on request, no resources. It may import the standard library, the
// Pulumi SDK's config package (for FromPulumi) and a YAML parser; it must not
// import components, infra, router or any provider SDK. Other packages depend
// on these types, never the reverse: checks that need a component's rules
// (the VPN mesh planner's limits) run in infra/program.Check, which adds
// their problems to the same Problems list.
package stacks
