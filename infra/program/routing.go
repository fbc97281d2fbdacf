package program

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/edge"
	"github.com/cellfabric/cellfabric/stacks"
)

// routingOutput is the `routing` export: the routing half of the registry
// (edge.Routing, Go values) in the shape of its JSON, router.Routing's, each
// cell trimmed to its weight and state. Its JSON is the contract: the edge
// stack and `cellfabric registry` read it back with router.ParseStackOutputs.
func routingOutput(topo *stacks.Topology) (pulumi.Map, error) {
	doc, err := json.Marshal(edge.Routing(topo).Trimmed())
	if err != nil {
		return nil, fmt.Errorf("encoding the routing output: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		return nil, fmt.Errorf("encoding the routing output: %w", err)
	}
	return pulumi.ToMap(m), nil
}
