// Package cell is the contract every cloud's cell meets: the same Args in,
// the same Outputs out, whatever the cloud. components/aws, azure and gcp
// implement it; the infra program, the VPN mesh and the edge depend only on
// this contract; one conformance test runs it against all three clouds.
// What every cloud's NewCell shares lives here: Normalize checks Args
// (every rule that is not one cloud's own), CheckEnv the extra
// environment, Build registers the component, runs its build steps and
// registers its outputs, and DNSRecordsOutput renders the records a cell
// needs.
//
// It imports the Pulumi SDK, fabric (ids, key ids, clouds), stacks (the
// pure network planner), workload/state/contract (the state store's
// environment variables) and router (the form the registry reads cell
// outputs in) only. Its edge key variables name what router/edgeauth
// reads; the tests, not the package, import edgeauth to hold the two
// together.
package cell
