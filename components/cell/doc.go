// Package cell is the contract every cloud's cell meets: the same Args in,
// the same Outputs out, whatever the cloud. components/aws, azure and gcp
// implement it; the infra program, the VPN mesh and the edge depend only on
// this contract; one conformance test runs it against all three clouds.
// Build runs what every cloud's NewCell shares: register the component,
// run its build steps, register its outputs.
//
// It imports the Pulumi SDK, fabric and stacks (for the pure network
// planner and the key id rule) only. Its edge key variables name what router/edgeauth reads;
// the tests, not the package, import edgeauth to hold the two together.
package cell
