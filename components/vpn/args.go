package vpn

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/vpn/plan"
	"github.com/cellfabric/cellfabric/fabric"
)

// CellNetwork is one cell's private network as the mesh sees it: what the
// planner needs (plain values that decide the shape of the mesh) and what
// the cell's gateway attaches to (Pulumi inputs, from an in-program cell or
// a StackReference). Exactly the section of Cloud must be set.
type CellNetwork struct {
	// ID is the cell id, the stem of every name on the cell's side.
	// Required; the stack model's rule (3–20 of [a-z0-9-], starting with a
	// letter).
	ID string
	// Cloud is fabric.AWS, fabric.Azure or fabric.GCP. Required.
	Cloud fabric.Cloud
	// Region is the cell's region: the AWS region, the Azure location or the
	// GCP region of its network. Required; every resource on the cell's side
	// goes there.
	Region string
	// CIDR is the cell's private IPv4 block. Required; other cells' firewall
	// rules admit it, and it must not overlap another cell or 169.254/16.
	CIDR string
	// ASN is the cell's gateway ASN (AWS VGW Amazon-side ASN, Azure gateway
	// ASN, GCP Cloud Router ASN). Required: private, unique, not reserved.
	ASN int64
	// Provider is the explicit provider of the cell's cloud (for its region
	// on AWS and Azure, its project on GCP). Required: every resource on the
	// cell's side is registered with it; the mesh never uses a default
	// provider of a cloud.
	Provider pulumi.ProviderResource

	AWS   *AWSNetwork
	Azure *AzureNetwork
	GCP   *GCPNetwork
}

// AWSNetwork is what the mesh attaches to in an AWS cell.
type AWSNetwork struct {
	// VpcID is the cell's VPC; the virtual private gateway attaches to it.
	// Required.
	VpcID pulumi.StringInput
	// RouteTableIDs are the route tables that must learn the remote cells'
	// routes: the mesh turns on VGW route propagation in each, and adds the
	// VPC peering routes there. Required, at least one. A plain slice, as
	// the mesh creates one resource per table; split an array output of
	// known length with StringInputs.
	RouteTableIDs []pulumi.StringInput
	// SecurityGroupIDs are the groups that must admit the remote cells'
	// CIDRs; each gets an ingress and an egress rule (all protocols) per
	// remote cell. Required, at least one.
	SecurityGroupIDs []pulumi.StringInput
}

// AzureNetwork is what the mesh attaches to in an Azure cell.
type AzureNetwork struct {
	// ResourceGroupName is the cell's resource group; the gateway, its
	// public IPs, local network gateways and connections go there. Required.
	ResourceGroupName pulumi.StringInput
	// VnetName is the cell's virtual network. Required.
	VnetName pulumi.StringInput
	// VnetID is the virtual network's ARM id. Required only when another
	// Azure cell peers with this one (the remote side names it); zero
	// otherwise is fine.
	VnetID pulumi.StringInput
	// GatewaySubnetID is the ARM id of the subnet named "GatewaySubnet"
	// (/27 or larger recommended) that the gateway's two ipConfigurations
	// use. Required. Its subscription is also the gateway's.
	GatewaySubnetID pulumi.StringInput
	// NsgName is the network security group of the cell's workload subnet;
	// the mesh adds one inbound rule admitting the remote cells' CIDRs.
	// Required. The group must not declare its rules inline (see the package
	// documentation).
	NsgName pulumi.StringInput
	// NoZones is true in a region without availability zones. Zero (false):
	// the gateway's public IPs are zone-redundant (zones 1, 2 and 3), as a
	// VpnGw*AZ gateway expects; since network API 2020-08-01 a Standard IP
	// without zones is non-zonal.
	NoZones bool
}

// GCPNetwork is what the mesh attaches to in a GCP cell.
type GCPNetwork struct {
	// NetworkSelfLink is the cell's VPC network. Required: the HA VPN
	// gateway, Cloud Router, firewall rule and peerings attach to it.
	NetworkSelfLink pulumi.StringInput
	// Project is the cell's project. Zero: the project of the cell's
	// provider.
	Project pulumi.StringInput
}

// MeshArgs configures NewMesh.
type MeshArgs struct {
	// Cells are the gateways to connect, in the topology's order: append new
	// cells at the end and never reorder, or existing tunnels are
	// renumbered (see components/vpn/plan). Required: cells on at least two
	// clouds.
	Cells []CellNetwork
	// AzureGCPTunnels is the tunnel count of every Azure↔GCP pair, 2 or 4.
	// Zero means plan.DefaultAzureGCPTunnels (2).
	AzureGCPTunnels int
	// IKEVersion is the IKE version of every tunnel, 1 or 2. Zero means
	// plan.DefaultIKEVersion (2).
	IKEVersion int
	// AzureGatewaySKU is the SKU of every Azure VPN gateway: VpnGw1AZ to
	// VpnGw5AZ (the non-AZ SKUs can no longer be created). Zero means
	// DefaultAzureGatewaySKU.
	AzureGatewaySKU string
	// Tags are added to the standard cellfabric tags (cellfabric-cell,
	// cellfabric-cloud, cellfabric-stack) on every resource that takes tags
	// or labels; the standard keys win. Zero: none.
	Tags map[string]string
}

// Defaults and fixed settings, in one place.
const (
	// DefaultAzureGatewaySKU is the smallest zone-redundant SKU that does
	// active-active and BGP.
	DefaultAzureGatewaySKU = "VpnGw1AZ"
	// KeyLength is the length of every generated pre-shared key: 48
	// characters from [A-Za-z._] (about 276 bits), inside AWS's 8–64 and
	// above Google's recommended 32.
	KeyLength = 48
	// KeySpecials are the only punctuation a key may hold: AWS accepts
	// letters, digits, '.' and '_' only.
	KeySpecials = "._"
	// NSGPriority is the priority of the mesh's inbound rule in an Azure
	// cell's NSG: after the cell's own rules (100, 110), before Azure's
	// defaults (65000+).
	NSGPriority = 400
	// FirewallPriority is the priority of the mesh's GCP ingress rules (the
	// API's default).
	FirewallPriority = 1000
)

// azureGatewaySKUs are the SKUs that do active-active with BGP and can still
// be created (CLOUD-FACTS: non-AZ VpnGw1–5 can't be since 2025-01-01).
var azureGatewaySKUs = []string{"VpnGw1AZ", "VpnGw2AZ", "VpnGw3AZ", "VpnGw4AZ", "VpnGw5AZ"}

// azureZones are the zones of a zone-redundant public IP.
var azureZones = []string{"1", "2", "3"}

// withDefaults fills the zero options that the planner does not default.
func (a MeshArgs) withDefaults() MeshArgs {
	if a.AzureGatewaySKU == "" {
		a.AzureGatewaySKU = DefaultAzureGatewaySKU
	}
	return a
}

// PlanInput is what the planner sees of a: the cells' ids, clouds, regions,
// CIDRs and ASNs and the tunnel options. A program that knows its cells
// before it has their networks (cellfabric's own checks a stack file first)
// can run PlanInput().Validate() to find every problem the planner would,
// without providers or a Pulumi context.
func (a MeshArgs) PlanInput() plan.Input {
	in := plan.Input{AzureGCPTunnels: a.AzureGCPTunnels, IKEVersion: a.IKEVersion}
	for _, c := range a.Cells {
		in.Cells = append(in.Cells, plan.Cell{ID: c.ID, Cloud: c.Cloud, Region: c.Region, CIDR: c.CIDR, ASN: c.ASN})
	}
	return in
}

// StringInputs splits an array output whose length n is known when the
// program runs (a cell's route tables: one per zone) into n inputs, for
// AWSNetwork.RouteTableIDs and SecurityGroupIDs.
func StringInputs(arr pulumi.StringArrayInput, n int) []pulumi.StringInput {
	out := make([]pulumi.StringInput, n)
	for i := range n {
		out[i] = arr.ToStringArrayOutput().Index(pulumi.Int(i))
	}
	return out
}
