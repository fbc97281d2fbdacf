package program

import (
	"github.com/cellfabric/cellfabric/components/aws"
	"github.com/cellfabric/cellfabric/components/azure"
	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/components/gcp"
	"github.com/cellfabric/cellfabric/fabric"
)

// DefaultCellConstructors returns the cell component of each cloud.
func DefaultCellConstructors() map[fabric.Cloud]cell.Constructor {
	return map[fabric.Cloud]cell.Constructor{
		fabric.AWS:   aws.Constructor,
		fabric.Azure: azure.Constructor,
		fabric.GCP:   gcp.Constructor,
	}
}
