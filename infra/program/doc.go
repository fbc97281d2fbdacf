// Package program is the cellfabric Pulumi program as an importable package:
// it loads and validates the stack's Topology (a bad stack fails before any
// resource is registered, listing every problem), creates an explicit
// provider per cell, builds the components for the stack's role and exports
// the outputs the router's registry is built from.
//
// infra/main.go runs it under `pulumi up`; `cellfabric synth` and the tests
// run the very same code against components/recorder. It imports stacks and
// components; nothing imports it but infra/main.go, cmd and tests.
package program
