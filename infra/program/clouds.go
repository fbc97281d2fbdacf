package program

import (
	"github.com/cellfabric/cellfabric/components/aws"
	"github.com/cellfabric/cellfabric/components/azure"
	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/components/gcp"
	"github.com/cellfabric/cellfabric/stacks"
)

// DefaultCellConstructors returns the cell component of each cloud.
func DefaultCellConstructors() map[stacks.Cloud]cell.Constructor {
	return map[stacks.Cloud]cell.Constructor{
		stacks.AWS:   aws.Constructor,
		stacks.Azure: azure.Constructor,
		stacks.GCP:   gcp.Constructor,
	}
}
