// Package recorder runs Pulumi programs against the SDK's mock engine and
// records what they would deploy: every resource (type, name, parent,
// provider, inputs with secrets kept secret, options), every invoke, and the
// program's outputs. It answers with deterministic fake outputs (ids, ARNs,
// hostnames, IP addresses derived from each resource's URN), so the same
// program always records the same plan.
//
// It is the one harness every component test uses, and the engine behind
// `cellfabric synth`. Programs that import cellfabric's components can use it
// to unit-test their own stacks. The fake answers for resource outputs and
// invokes live in the fakes_*.go files, one per provider; add to them when a
// component reads a new computed output. Plain, Strings and Leaks read
// recorded values: as plain Go values, string by string with whether each
// lies under a secret, and where a given secret shows in plain text; At
// (and Resource.Input, Resource.Output, String, StringList) walks to one
// value by a path of keys and indexes; Masked and MaskedMap turn values
// into what a plan shows, every secret replaced by MaskedSecret.
//
// It imports only the Pulumi SDK.
package recorder
