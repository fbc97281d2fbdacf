package cell

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Outputs is what every cloud's cell returns. Every field is set on every
// cloud (the conformance test checks it). The `pulumi` tags are the names
// of the `cells` stack output, which exports one Outputs per cell (Map);
// they are also the JSON names of router.CellOutputs, the form the router's
// registry is built from (Resolved): one contract, checked field by field
// by a test.
type Outputs struct {
	// ID is the cell id.
	ID pulumi.StringOutput `pulumi:"id"`
	// Cloud is aws, azure or gcp.
	Cloud pulumi.StringOutput `pulumi:"cloud"`
	// Region is the cloud region.
	Region pulumi.StringOutput `pulumi:"region"`
	// Endpoint is the HTTPS base URL the edge forwards to.
	Endpoint pulumi.StringOutput `pulumi:"endpoint"`
	// HealthURL is Endpoint plus the health path.
	HealthURL pulumi.StringOutput `pulumi:"healthUrl"`
	// NetworkID is the VPC / VNet / VPC network the cell runs in.
	NetworkID pulumi.StringOutput `pulumi:"networkId"`
	// CIDR is the cell's private block.
	CIDR pulumi.StringOutput `pulumi:"cidr"`
	// StateStoreID is the cell's state store: DynamoDB table ARN, Azure
	// Storage table resource id, Firestore database name.
	StateStoreID pulumi.StringOutput `pulumi:"stateStoreId"`
	// WorkloadIdentity is the identity the workload runs as: IAM role ARN,
	// managed identity principal id, service account email.
	WorkloadIdentity pulumi.StringOutput `pulumi:"workloadIdentity"`
}

// Map returns the outputs as the map the `cells` stack output holds for
// this cell, keyed by the fields' `pulumi` tags.
func (o Outputs) Map() pulumi.Map { return OutputMap(o) }

// Cell is implemented by every cloud's cell component.
type Cell interface {
	pulumi.ComponentResource
	// Outputs returns the contract's outputs.
	Outputs() Outputs
}

// Constructor is the signature of every cloud's NewCell, so callers (the infra
// program, the conformance test) can pick one by cloud.
type Constructor func(ctx *pulumi.Context, name string, args Args, opts ...pulumi.ResourceOption) (Cell, error)

// ConstructorFor adapts a cloud's NewCell, which returns that cloud's cell
// type, to Constructor.
func ConstructorFor[C Cell](newCell func(ctx *pulumi.Context, name string, args Args, opts ...pulumi.ResourceOption) (C, error)) Constructor {
	return func(ctx *pulumi.Context, name string, args Args, opts ...pulumi.ResourceOption) (Cell, error) {
		return newCell(ctx, name, args, opts...)
	}
}
