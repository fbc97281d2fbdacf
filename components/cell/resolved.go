package cell

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/router"
)

// CellsOutput is the `cells` stack output as the router reads it — cell id
// to router.CellOutputs — once every cell's outputs are known: the typed
// input of router.FromStackOutputs, so a program builds its registry from
// Go values, not from JSON.
type CellsOutput struct{ *pulumi.OutputState }

var cellsType = reflect.TypeOf(map[string]router.CellOutputs{})

// ElementType implements pulumi.Output.
func (CellsOutput) ElementType() reflect.Type { return cellsType }

func init() { pulumi.RegisterOutputType(CellsOutput{}) }

// outputFields pairs each field of Outputs with the field of
// router.CellOutputs whose JSON name is the Outputs field's `pulumi` tag.
var outputFields = func() [][2]int {
	plain := map[string]int{}
	pt := reflect.TypeOf(router.CellOutputs{})
	for i := range pt.NumField() {
		name, _, _ := strings.Cut(pt.Field(i).Tag.Get("json"), ",")
		plain[name] = i
	}
	var pairs [][2]int
	ot := reflect.TypeOf(Outputs{})
	for i := range ot.NumField() {
		j, ok := plain[ot.Field(i).Tag.Get("pulumi")]
		if !ok {
			panic("cell.Outputs." + ot.Field(i).Name + " has no field in router.CellOutputs") // a test holds them together
		}
		pairs = append(pairs, [2]int{i, j})
	}
	return pairs
}()

// ResolveCells turns this program's cells (cell id → Outputs) into the
// `cells` output as the router reads it.
func ResolveCells(cells map[string]Outputs) CellsOutput {
	ids := slices.Sorted(maps.Keys(cells))
	var all []any
	for _, id := range ids {
		v := reflect.ValueOf(cells[id])
		for _, p := range outputFields {
			all = append(all, v.Field(p[0]).Interface())
		}
	}
	return pulumi.All(all...).ApplyT(func(vals []any) map[string]router.CellOutputs {
		out := make(map[string]router.CellOutputs, len(ids))
		n := len(outputFields)
		for k, id := range ids {
			var co router.CellOutputs
			pv := reflect.ValueOf(&co).Elem()
			for f, p := range outputFields {
				s, _ := vals[k*n+f].(string)
				pv.Field(p[1]).SetString(s)
			}
			out[id] = co
		}
		return out
	}).(CellsOutput)
}

// DecodeCells reads `cells` outputs as other stacks exported them (one map
// per cell stack, as StackReference.GetOutput("cells") gives it) and merges
// them. They are outside input: decoded with the checks `cellfabric registry`
// applies to `pulumi stack output --json`. A cell exported by two stacks, or
// an entry the router cannot read, fails the deployment naming it.
func DecodeCells(parts ...pulumi.MapInput) CellsOutput {
	ins := make([]any, len(parts))
	for i, p := range parts {
		ins[i] = p
	}
	return pulumi.All(ins...).ApplyT(func(vs []any) (map[string]router.CellOutputs, error) {
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
		doc, err := json.Marshal(map[string]any{"cells": merged})
		if err != nil {
			return nil, fmt.Errorf("reading the cell stacks' cells outputs: %w", err)
		}
		out, err := router.ParseStackOutputs(doc)
		if err != nil {
			return nil, fmt.Errorf("reading the cell stacks' cells outputs: %w", err)
		}
		return out.Cells, nil
	}).(CellsOutput)
}

// Endpoints returns one cell's endpoint and health URL from cells. A cell
// missing from cells, or without them, fails the deployment with a message
// that names it, so an edge stack pointed at the wrong cell stacks says so.
func (cells CellsOutput) Endpoints(id string) (endpoint, healthURL pulumi.StringOutput) {
	get := func(pick func(router.CellOutputs) string, what string) pulumi.StringOutput {
		return cells.ApplyT(func(m map[string]router.CellOutputs) (string, error) {
			co, ok := m[id]
			if !ok {
				return "", fmt.Errorf("cell %q has no outputs (have: %s): deploy its cell stack and list it in cellStacks", id, strings.Join(slices.Sorted(maps.Keys(m)), ", "))
			}
			if s := pick(co); s != "" {
				return s, nil
			}
			return "", fmt.Errorf("cell %q: output %q is missing or empty: update its cell stack", id, what)
		}).(pulumi.StringOutput)
	}
	return get(func(c router.CellOutputs) string { return c.Endpoint }, "endpoint"),
		get(func(c router.CellOutputs) string { return c.HealthURL }, "healthUrl")
}
