package plan

import "github.com/cellfabric/cellfabric/fabric"

// Defaults, in one place.
const (
	// DefaultAzureGCPTunnels is the tunnel count between an Azure and a GCP
	// cell when Input.AzureGCPTunnels is zero: two, the minimum for GCP's
	// 99.99% HA VPN SLA and the recommended Azure↔GCP topology.
	DefaultAzureGCPTunnels = 2
	// DefaultIKEVersion is the IKE version when Input.IKEVersion is zero.
	// IKEv2: with IKEv1, AWS's default proposals fragment IKE packets, which
	// Cloud VPN does not take.
	DefaultIKEVersion = 2
)

// Cell is one gateway of the mesh: a cell's private network on one cloud.
type Cell struct {
	// ID names the cell; it is the stem of every name the plan gives out.
	// Required: 3–20 lowercase letters, digits and hyphens, starting with a
	// letter and ending with a letter or digit (the stack model's rule).
	ID string `json:"id"`
	// Cloud is aws, azure or gcp. Required.
	Cloud fabric.Cloud `json:"cloud"`
	// Region is the cloud region of the cell's network. Required; the plan
	// only copies it (gateways are regional).
	Region string `json:"region"`
	// CIDR is the cell's private IPv4 block, e.g. "10.10.0.0/16". Required;
	// it must not overlap another cell's block or 169.254.0.0/16.
	CIDR string `json:"cidr"`
	// ASN is the BGP autonomous system number of the cell's VPN gateway (the
	// AWS VGW's Amazon-side ASN, the Azure gateway's ASN, the GCP Cloud
	// Router's ASN). Required: a private ASN (64512–65534 or
	// 4200000000–4294967294), not one Azure reserves (65515–65520), and used
	// by no other cell.
	ASN int64 `json:"asn"`
}

// Input is what the planner needs. Cells are planned in list order, and the
// order is part of the input: append new cells at the end, never insert or
// reorder (see the package documentation for the stability guarantee).
type Input struct {
	// Cells are the gateways to connect. At least two clouds must appear.
	Cells []Cell `json:"cells"`
	// AzureGCPTunnels is the number of tunnels between an Azure cell and a GCP
	// cell: 2 or 4. Zero means DefaultAzureGCPTunnels.
	AzureGCPTunnels int `json:"azureGcpTunnels"`
	// IKEVersion is the IKE version of every tunnel: 1 or 2. Zero means
	// DefaultIKEVersion.
	IKEVersion int `json:"ikeVersion"`
}

// withDefaults returns in with its zero options replaced by the defaults.
func (in Input) withDefaults() Input {
	if in.AzureGCPTunnels == 0 {
		in.AzureGCPTunnels = DefaultAzureGCPTunnels
	}
	if in.IKEVersion == 0 {
		in.IKEVersion = DefaultIKEVersion
	}
	return in
}
