// Package synth runs the infra program offline, against the recording engine
// (components/recorder), and renders what it would deploy: every resource
// with its type, name, parent, provider and inputs (secrets masked), and the
// stack outputs, as text, JSON or Markdown. It is `cellfabric synth`, and the
// golden files under testdata/ show every change to planned infrastructure in
// review.
//
// It imports infra/program, stacks and components/recorder; it registers
// nothing itself.
package synth
