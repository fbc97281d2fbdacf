package router

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router/jsonkeys"
)

// StackOutputs is the part of a stack's outputs the registry is built from,
// with the JSON names that `pulumi stack output --json` prints. Other outputs
// are ignored.
type StackOutputs struct {
	// Cells maps cell id to the cell's outputs (the cell contract of
	// components/cell).
	Cells map[string]CellOutputs `json:"cells"`
	// Routing is the routing part of the stack's topology.
	Routing Routing `json:"routing"`
}

// CellOutputs is one cell's outputs. Only ID, Cloud, Region, Endpoint and
// HealthURL reach the registry; the rest are read so that a document can be
// checked and round-tripped.
type CellOutputs struct {
	ID               string       `json:"id"`
	Cloud            fabric.Cloud `json:"cloud"`
	Region           string       `json:"region"`
	Endpoint         string       `json:"endpoint"`
	HealthURL        string       `json:"healthUrl"`
	NetworkID        string       `json:"networkId,omitempty"`
	CIDR             string       `json:"cidr,omitempty"`
	StateStoreID     string       `json:"stateStoreId,omitempty"`
	WorkloadIdentity string       `json:"workloadIdentity,omitempty"`
}

// Routing is the routing part of a stack's topology: the `routing` stack
// output, the half of the registry that the stack file decides (the other
// half, where the cells are, comes from the cells' outputs).
type Routing struct {
	// Cells holds each cell's routing settings: only Weight and State of a
	// Cell are read (and written). A cell in StackOutputs.Cells without an
	// entry gets DefaultCellWeight and state active. Zero: none.
	Cells map[string]Cell `json:"cells,omitempty"`
	// Tenants are the tenants, in registry order.
	Tenants []Tenant `json:"tenants"`
	// SharedRoutes are the shared routes, as the registry holds them (a
	// cell's weight in a route is explicit).
	SharedRoutes []SharedRoute `json:"sharedRoutes"`
	// UnknownTenants is reject or place. Zero: reject.
	UnknownTenants fabric.Policy `json:"unknownTenants,omitempty"`
}

// MaxOutputsBytes is the size limit of a stack outputs document.
const MaxOutputsBytes = MaxRegistryBytes

// ErrNoCells is returned (wrapped) by ParseStackOutputs for a document
// without a "cells" output.
var ErrNoCells = errors.New(`stack outputs have no "cells" output`)

// ParseStackOutputs decodes the JSON that `pulumi stack output --json`
// prints. Outputs other than cells and routing, and fields the registry does
// not use, are ignored; a key written twice in one object is refused
// anywhere in the document (`cells.aws-use1.endpoint: duplicate key`), and
// so is a value the registry uses that is masked as MaskedSecret.
func ParseStackOutputs(data []byte) (StackOutputs, error) {
	var out StackOutputs
	if len(data) > MaxOutputsBytes {
		return out, fmt.Errorf("stack outputs are %d bytes, over the %d byte limit: %w", len(data), MaxOutputsBytes, ErrTooLarge)
	}
	if err := json.Unmarshal(data, &out); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se) || strings.Contains(err.Error(), "unexpected end"):
			return out, fmt.Errorf("decoding stack outputs (pass the output of `pulumi stack output --json`): %w", err)
		case errors.As(err, &te) && te.Value == "string" && bytes.Contains(data, []byte(`"`+MaskedSecret+`"`)):
			return out, fmt.Errorf("decoding stack outputs: %w (if that string is an output masked as %q: %s)", err, MaskedSecret, maskedAdvice)
		}
		return out, fmt.Errorf("decoding stack outputs: %w", err)
	}
	if err := jsonkeys.Check(data); err != nil {
		return StackOutputs{}, fmt.Errorf("decoding stack outputs: %w", err)
	}
	if out.Cells == nil {
		return out, fmt.Errorf("%w: run `pulumi up` on a stack that deploys cells, or pass the outputs of a cell stack", ErrNoCells)
	}
	p := fabric.Collector{In: ProblemsIn}
	checkMasked(&p, &out)
	if err := p.Err(); err != nil {
		return StackOutputs{}, err
	}
	return out, nil
}

// FromStackOutputs builds the registry from a stack's outputs. It is the one
// way a registry is made: `cellfabric registry`, `cellfabric local` and the
// edge component all call it. Cells are sorted by id; tenants and shared
// routes keep their order. Every problem is reported with its path in the
// outputs document (`routing.tenants[3].cell: unknown cell "x"`). It is pure.
func FromStackOutputs(out StackOutputs, epoch int64) (*Registry, error) {
	p := fabric.Collector{In: ProblemsIn}
	reg := &Registry{
		Version:        SchemaVersion,
		Epoch:          epoch,
		Tenants:        slices.Clone(out.Routing.Tenants),
		UnknownTenants: out.Routing.UnknownTenants,
	}
	if reg.Tenants == nil {
		reg.Tenants = []Tenant{}
	}
	for _, key := range slices.Sorted(maps.Keys(out.Cells)) {
		co := out.Cells[key]
		if co.ID != "" && co.ID != key {
			p.Add("cells."+key+".id", "%q differs from its key %q", co.ID, key)
		}
		c := Cell{ID: key, Cloud: co.Cloud, Region: co.Region, Endpoint: strings.TrimSuffix(co.Endpoint, "/"), HealthURL: co.HealthURL, Weight: DefaultCellWeight, State: fabric.CellActive}
		if rc, ok := out.Routing.Cells[key]; ok {
			c.Weight, c.Geo = rc.Weight, rc.Geo
			if rc.State != "" {
				c.State = rc.State
			}
		}
		reg.Cells = append(reg.Cells, c)
	}
	for _, key := range slices.Sorted(maps.Keys(out.Routing.Cells)) {
		if _, ok := out.Cells[key]; !ok {
			p.Add("routing.cells."+key, "unknown cell %q: it has no entry in the cells output", key)
		}
	}
	for i := range reg.Tenants {
		if reg.Tenants[i].State == "" {
			reg.Tenants[i].State = fabric.TenantActive
		}
	}
	for _, r := range out.Routing.SharedRoutes {
		reg.SharedRoutes = append(reg.SharedRoutes, SharedRoute{Prefix: r.Prefix, Balance: r.Balance, Cells: slices.Clone(r.Cells)})
	}
	if reg.UnknownTenants == "" {
		reg.UnknownTenants = fabric.PolicyReject
	}
	if err := reg.Validate(); err != nil {
		var ps fabric.Problems
		errors.As(err, &ps)
		for _, pr := range ps.List {
			p.AddProblem(fabric.Problem{Path: outputsPath(pr.Path, reg), Msg: pr.Msg})
		}
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	return reg, nil
}

// outputsPath turns a registry path into the path of the same value in the
// stack outputs document.
func outputsPath(path string, reg *Registry) string {
	switch {
	case strings.HasPrefix(path, "cells["):
		end := strings.IndexByte(path, ']')
		i, err := strconv.Atoi(path[len("cells["):end])
		if err != nil || i >= len(reg.Cells) {
			return path
		}
		rest := path[end+1:]
		if rest == ".weight" || rest == ".state" {
			return "routing.cells." + reg.Cells[i].ID + rest
		}
		return "cells." + reg.Cells[i].ID + rest
	case strings.HasPrefix(path, "tenants"), strings.HasPrefix(path, "sharedRoutes"), path == "unknownTenants":
		return "routing." + path
	}
	return path
}

// Trimmed returns r as a stack exports it in its `routing` output: each
// cell reduced to its weight, state and geography (a program may hold more
// of each cell, its cloud and region for the edge's load balancer, but the
// output's shape is a public contract the edge stack and `cellfabric
// registry` read), and empty lists rather than none.
func (r Routing) Trimmed() Routing {
	out := Routing{Tenants: r.Tenants, SharedRoutes: r.SharedRoutes, UnknownTenants: r.UnknownTenants}
	if r.Cells != nil {
		out.Cells = make(map[string]Cell, len(r.Cells))
		for id, c := range r.Cells {
			out.Cells[id] = Cell{Weight: c.Weight, State: c.State, Geo: c.Geo}
		}
	}
	if out.Tenants == nil {
		out.Tenants = []Tenant{}
	}
	if out.SharedRoutes == nil {
		out.SharedRoutes = []SharedRoute{}
	}
	return out
}
