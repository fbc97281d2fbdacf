// Package celltest is what the cell components' tests share, so that each
// cloud's tests say only what is particular to that cloud: recording a
// cell behind the provider a test passes (Setup, Run), a DNS function that
// records its calls (DNS), awaiting outputs, and the checks every cell
// meets in the same words: everything below the component and on the
// caller's provider (CheckTree, InvokesThrough), outputs set, right and
// public (CheckOutputs), nothing registered on bad arguments
// (NothingRegistered), a secret never in plain text (NoPlainLeak), tags on
// every resource that takes them (TagLists).
//
// It is for tests: only _test.go files import it. It imports
// components/cell, components/recorder and the Pulumi SDK, never a cloud's
// provider SDK (each test makes its own provider).
package celltest
