package edge

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/router"
)

// Stack output names the registry is built from (infra/program exports them;
// cell stacks export `cells` for the edge stack to read).
const (
	OutputCells   = "cells"
	OutputRouting = "routing"
)

// RegistryJSON builds the registry document from the `cells` output (cell id
// → cell.Outputs map) and the `routing` output: the same JSON, byte for byte,
// that `cellfabric registry --epoch N` prints for `pulumi stack output
// --json` of a stack with those outputs, because it runs the same two
// functions (router.ParseStackOutputs, router.FromStackOutputs). cells may
// come from the program's own cells (role all) or from StackReferences to
// the cell stacks (role edge, see MergeCells). A document the router would
// refuse fails the deployment with every problem listed.
func RegistryJSON(cells pulumi.MapInput, routing pulumi.MapInput, epoch pulumi.IntInput) pulumi.StringOutput {
	return pulumi.All(cells, routing, epoch).ApplyT(func(v []any) (string, error) {
		doc, err := registryDocument(v[0], v[1], int64(v[2].(int)))
		return string(doc), err
	}).(pulumi.StringOutput)
}

// registryDocument turns resolved outputs into the registry JSON.
func registryDocument(cells, routing any, epoch int64) ([]byte, error) {
	raw, err := json.Marshal(map[string]any{OutputCells: cells, OutputRouting: routing})
	if err != nil {
		return nil, fmt.Errorf("encoding the cells and routing outputs: %w", err)
	}
	outputs, err := router.ParseStackOutputs(raw)
	if err != nil {
		return nil, fmt.Errorf("building the edge registry: %w", err)
	}
	reg, err := router.FromStackOutputs(outputs, epoch)
	if err != nil {
		return nil, fmt.Errorf("building the edge registry from the cells' outputs (fix the topology or the cell stacks, then run `pulumi up` again): %w", err)
	}
	doc, err := reg.Encode()
	if err != nil {
		return nil, fmt.Errorf("encoding the edge registry: %w", err)
	}
	return doc, nil
}

// contentEpoch is the fixed epoch of the document whose hash decides whether
// the registry changed: the epoch itself must not take part.
const contentEpoch = 1

// registryHash returns "sha256:" and the hex SHA-256 of the registry built
// with a fixed epoch: equal for equal content, different when anything a
// router reads changes. The prefix says in a preview's diff what the value is.
func registryHash(cells pulumi.MapInput, routing pulumi.MapInput) pulumi.StringOutput {
	return pulumi.All(cells, routing).ApplyT(func(v []any) (string, error) {
		doc, err := registryDocument(v[0], v[1], contentEpoch)
		if err != nil {
			return "", err
		}
		sum := sha256.Sum256(doc)
		return "sha256:" + hex.EncodeToString(sum[:]), nil
	}).(pulumi.StringOutput)
}

// MergeCells joins `cells` outputs (one per cell stack, each as
// StackReference.GetOutput("cells").AsMapOutput() gives it, or in-program
// maps) into one. A cell id found in two parts fails the deployment: two
// stacks must not claim one cell.
func MergeCells(parts ...pulumi.MapInput) pulumi.MapOutput {
	ins := make([]any, len(parts))
	for i, p := range parts {
		ins[i] = p
	}
	return pulumi.All(ins...).ApplyT(func(vs []any) (map[string]any, error) {
		merged := map[string]any{}
		from := map[string]int{}
		for i, v := range vs {
			m, _ := v.(map[string]any)
			for id, co := range m {
				if j, dup := from[id]; dup {
					return nil, fmt.Errorf("merging cell outputs: cell %q is exported by cell stacks %d and %d: each cell belongs to one stack", id, j, i)
				}
				from[id] = i
				merged[id] = co
			}
		}
		return merged, nil
	}).(pulumi.MapOutput)
}

// CellField returns one field (a components/cell Key* name) of one cell in
// a `cells` map. A missing cell or field fails the deployment with a
// message that names both, so an edge stack pointed at the wrong cell
// stacks says so.
func CellField(cells pulumi.MapInput, id, key string) pulumi.StringOutput {
	return cells.ToMapOutput().ApplyT(func(m map[string]any) (string, error) {
		co, ok := m[id].(map[string]any)
		if !ok {
			ids := make([]string, 0, len(m))
			for k := range m {
				ids = append(ids, k)
			}
			slices.Sort(ids)
			return "", fmt.Errorf("cell %q has no outputs (have: %s): deploy its cell stack and list it in cellStacks", id, strings.Join(ids, ", "))
		}
		s, ok := co[key].(string)
		if !ok || s == "" {
			return "", fmt.Errorf("cell %q: output %q is missing or empty: update its cell stack", id, key)
		}
		return s, nil
	}).(pulumi.StringOutput)
}

// CellEndpoints returns a cell's endpoint and health URL from a `cells` map.
func CellEndpoints(cells pulumi.MapInput, id string) (endpoint, healthURL pulumi.StringOutput) {
	return CellField(cells, id, cell.KeyEndpoint), CellField(cells, id, cell.KeyHealthURL)
}
