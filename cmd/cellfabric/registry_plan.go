package main

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/cellfabric/cellfabric/router/jsonkeys"
)

// synthPlan is the part of a `cellfabric synth --format json` document
// (infra/synth.Plan) that `cellfabric registry --from` reads.
type synthPlan struct {
	Project   string          `json:"project"`
	Stack     string          `json:"stack"`
	Role      string          `json:"role"`
	Resources json.RawMessage `json:"resources"`
	Outputs   json.RawMessage `json:"outputs"`
	// Cells is set when the document is stack outputs, not a plan.
	Cells json.RawMessage `json:"cells"`
}

// planOutputs tells whether data is a synth plan (an object with a
// "resources" list and an "outputs" object, and no "cells" of its own) and
// returns the plan with its stack outputs. A plan with a key written twice
// is refused, with the path in the plan (outputs.cells...).
func planOutputs(data []byte) (*synthPlan, bool, error) {
	var p synthPlan
	if json.Unmarshal(data, &p) != nil || p.Cells != nil || !startsWith(p.Resources, '[') || !startsWith(p.Outputs, '{') {
		return nil, false, nil
	}
	if err := jsonkeys.Check(data); err != nil {
		return nil, true, fmt.Errorf("decoding the synth plan: %w", err)
	}
	return &p, true, nil
}

func startsWith(raw json.RawMessage, c byte) bool {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	return len(raw) > 0 && raw[0] == c
}

// describe names the plan in messages.
func (p *synthPlan) describe() string {
	return fmt.Sprintf("a cellfabric synth plan of stack %q (role %s)", p.Stack, p.Role)
}

// planWarning is printed when a registry is built from a synth plan: the
// mock engine invents what the clouds decide at deploy time.
const planWarning = "building the registry from %s: synth runs the program against a mock engine, so outputs a cloud decides at deploy time (for example an Azure Container App's host name in a cell endpoint) are stand-ins; check the endpoints before a router serves traffic with this registry, and build the registry of a deployed stack from pulumi stack output --json\n"
