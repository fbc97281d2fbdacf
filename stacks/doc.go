// Package stacks is cellfabric's typed stack model: the Topology a stack
// declares (cells, tenants, network plan, edge settings, stack role), how it
// is decoded from config values (as a Pulumi program receives them, or read
// from a plain Pulumi.<stack>.yaml file), its defaults, and Validate, which
// reports every problem at once with the config path of the bad field.
//
// Everything here is pure data and pure functions: no I/O beyond reading a
// stack file on request, no resources. It imports the standard library, a
// YAML parser and the shared vocabulary (fabric: clouds, states, id rules,
// the problem list) only — never the Pulumi SDK, so that the packages that
// must stay free of it (the VPN planner, the router core) can import the
// model. Reading a running stack's config belongs to the program
// (infra/program.LoadTopology). It must not import components, infra, router
// or any provider SDK. Other packages depend on these types, never the
// reverse: checks that need a component's rules (the VPN mesh planner's
// limits) run in infra/program.Check, which adds their problems to the same
// fabric.Problems.
package stacks
