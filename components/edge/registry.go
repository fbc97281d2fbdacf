package edge

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/router"
)

// RegistryJSON builds the registry document from the cells' outputs and the
// routing half, with router.FromStackOutputs on Go values: the same bytes
// that `cellfabric registry --epoch N` prints for `pulumi stack output
// --json` of a stack with those outputs, because it is the same function
// fed the same values. A document the router would refuse fails the
// deployment with every problem listed.
func RegistryJSON(cells cell.CellsOutput, routing router.Routing, epoch pulumi.IntInput) pulumi.StringOutput {
	return pulumi.All(cells, epoch).ApplyT(func(v []any) (string, error) {
		doc, err := registryDocument(v[0].(map[string]router.CellOutputs), routing, int64(v[1].(int)))
		return string(doc), err
	}).(pulumi.StringOutput)
}

// registryDocument builds and encodes the registry.
func registryDocument(cells map[string]router.CellOutputs, routing router.Routing, epoch int64) ([]byte, error) {
	reg, err := router.FromStackOutputs(router.StackOutputs{Cells: cells, Routing: routing}, epoch)
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
func registryHash(cells cell.CellsOutput, routing router.Routing) pulumi.StringOutput {
	return cells.ApplyT(func(m map[string]router.CellOutputs) (string, error) {
		doc, err := registryDocument(m, routing, contentEpoch)
		if err != nil {
			return "", err
		}
		sum := sha256.Sum256(doc)
		return "sha256:" + hex.EncodeToString(sum[:]), nil
	}).(pulumi.StringOutput)
}
