package cell

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Outputs is what every cloud's cell returns. Every field is set on every
// cloud (the conformance test checks it). The infra program exports them as
// the `cells` stack output, keyed by cell id, with the JSON names below; the
// router's registry is built from that output.
type Outputs struct {
	// ID is the cell id.
	ID pulumi.StringOutput
	// Cloud is aws, azure or gcp.
	Cloud pulumi.StringOutput
	// Region is the cloud region.
	Region pulumi.StringOutput
	// Endpoint is the HTTPS base URL the edge forwards to.
	Endpoint pulumi.StringOutput
	// HealthURL is Endpoint plus the health path.
	HealthURL pulumi.StringOutput
	// NetworkID is the VPC / VNet / VPC network the cell runs in.
	NetworkID pulumi.StringOutput
	// CIDR is the cell's private block.
	CIDR pulumi.StringOutput
	// StateStoreID is the cell's state store: DynamoDB table ARN, Azure
	// Storage table resource id, Firestore database name.
	StateStoreID pulumi.StringOutput
	// WorkloadIdentity is the identity the workload runs as: IAM role ARN,
	// managed identity principal id, service account email.
	WorkloadIdentity pulumi.StringOutput
}

// Output keys: the JSON names of Outputs in the `cells` stack output.
const (
	KeyID               = "id"
	KeyCloud            = "cloud"
	KeyRegion           = "region"
	KeyEndpoint         = "endpoint"
	KeyHealthURL        = "healthUrl"
	KeyNetworkID        = "networkId"
	KeyCIDR             = "cidr"
	KeyStateStoreID     = "stateStoreId"
	KeyWorkloadIdentity = "workloadIdentity"
)

// ToMap returns the outputs as the map exported per cell.
func (o Outputs) ToMap() pulumi.Map {
	return pulumi.Map{
		KeyID:               o.ID,
		KeyCloud:            o.Cloud,
		KeyRegion:           o.Region,
		KeyEndpoint:         o.Endpoint,
		KeyHealthURL:        o.HealthURL,
		KeyNetworkID:        o.NetworkID,
		KeyCIDR:             o.CIDR,
		KeyStateStoreID:     o.StateStoreID,
		KeyWorkloadIdentity: o.WorkloadIdentity,
	}
}

// Cell is implemented by every cloud's cell component.
type Cell interface {
	pulumi.ComponentResource
	// Outputs returns the contract's outputs.
	Outputs() Outputs
}

// Constructor is the signature of every cloud's NewCell, so callers (the infra
// program, the conformance test) can pick one by cloud.
type Constructor func(ctx *pulumi.Context, name string, args Args, opts ...pulumi.ResourceOption) (Cell, error)
