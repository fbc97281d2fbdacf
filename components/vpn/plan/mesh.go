package plan

import "github.com/cellfabric/cellfabric/fabric"

// Mesh is the plan: what every cell's gateway must build and every tunnel
// between them. It holds no secret and no value known only after deployment
// (public IPs); the component fills those in. Every slice is in a fixed,
// documented order, so the same Input always gives the same Mesh, and its
// JSON form is stable.
type Mesh struct {
	// IKEVersion is the IKE version of every tunnel (1 or 2).
	IKEVersion int `json:"ikeVersion"`
	// AzureGCPTunnels is the tunnel count of every Azure↔GCP pair (2 or 4).
	AzureGCPTunnels int `json:"azureGcpTunnels"`
	// Gateways has one entry per input cell, in input order.
	Gateways []Gateway `json:"gateways"`
	// Pairs are the VPN pairs (cells on different clouds), in allocation
	// order: by the later cell's input index, then the earlier one's.
	Pairs []Pair `json:"pairs"`
	// Peerings are the same-cloud pairs, in the same order as Pairs.
	Peerings []Peering `json:"peerings"`
}

// PairKind says which clouds a VPN pair joins and so which layout it uses.
type PairKind string

// The three VPN pair kinds, named end A first.
const (
	AWSAzure PairKind = "aws-azure" // 4 tunnels; inside /30s from APIPAPool
	AWSGCP   PairKind = "aws-gcp"   // 4 tunnels; inside /30s from LinkLocalPool
	AzureGCP PairKind = "azure-gcp" // 2 or 4 tunnels; inside /30s from APIPAPool
)

// Pair is the VPN between two cells on different clouds. End A is the cell on
// the earlier cloud in canonical order (aws, azure, gcp), whatever their
// input order.
type Pair struct {
	// ID is "<A>-to-<B>": the stem of per-pair resource names (the GCP
	// external VPN gateway, the AWS connections). Unique in the mesh.
	ID   string   `json:"id"`
	Kind PairKind `json:"kind"`
	// A and B are the cell ids of the two ends.
	A string `json:"a"`
	B string `json:"b"`
	// FirstSlot is the first of the SlotsPerPair /30 slots of Pool reserved
	// for the pair; tunnel k's inside CIDR is slot FirstSlot+k. Pool is the
	// pool as "first-last" (APIPAPool or LinkLocalPool, e.g.
	// "169.254.21.0-169.254.22.255").
	FirstSlot int    `json:"firstSlot"`
	Pool      string `json:"pool"`
	// Tunnels are the pair's tunnels, by index.
	Tunnels []Tunnel `json:"tunnels"`
}

// Tunnel is one IPsec tunnel with one BGP session over it.
type Tunnel struct {
	// ID is "<pair id>-t<index>": the stem of per-tunnel resource names on
	// both sides (AWS tunnel options, Azure local network gateway and
	// connection, GCP VPN tunnel, router interface and BGP peer). Unique in
	// the mesh.
	ID string `json:"id"`
	// Pair is the ID of the pair the tunnel belongs to.
	Pair string `json:"pair"`
	// Index is the tunnel's position in its pair (0–3).
	Index int `json:"index"`
	// KeyName names the tunnel's pre-shared key: the component generates one
	// secret per KeyName and gives the same Output to both ends. The plan
	// never holds the key itself.
	KeyName string `json:"keyName"`
	// InsideCIDR is the tunnel's inside /30, e.g. "169.254.21.0/30".
	InsideCIDR string `json:"insideCidr"`
	// IKEVersion is 1 or 2.
	IKEVersion int `json:"ikeVersion"`
	// A is the end on the pair's A cell; it takes the first host of
	// InsideCIDR. B is the end on the B cell; it takes the second.
	A End `json:"a"`
	B End `json:"b"`
}

// End is one side of a tunnel: the cell, its BGP session, and where on the
// cell's gateway the tunnel lands. Exactly one of AWS, Azure and GCP is set,
// matching Cloud.
type End struct {
	Cell   string       `json:"cell"`
	Cloud  fabric.Cloud `json:"cloud"`
	Region string       `json:"region"`
	// ASN is this side's ASN; PeerASN is the other side's.
	ASN     int64 `json:"asn"`
	PeerASN int64 `json:"peerAsn"`
	// BGPAddress is this side's BGP address in InsideCIDR (no prefix length);
	// PeerBGPAddress is the other side's.
	BGPAddress     string `json:"bgpAddress"`
	PeerBGPAddress string `json:"peerBgpAddress"`

	AWS   *AWSEnd   `json:"aws,omitempty"`
	Azure *AzureEnd `json:"azure,omitempty"`
	GCP   *GCPEnd   `json:"gcp,omitempty"`
}

// AWSEnd places a tunnel on an AWS cell: one of the two tunnels of one of the
// two VPN connections the cell's VGW has to the peer cell.
type AWSEnd struct {
	// Connection is the Name of the AWSConnection (customer gateway + VPN
	// connection) that carries the tunnel.
	Connection string `json:"connection"`
	// ConnectionIndex is 0 or 1: which of the two connections to the peer.
	ConnectionIndex int `json:"connectionIndex"`
	// TunnelNumber is 1 or 2: the VpnConnection's Tunnel1* or Tunnel2*
	// options (inside CIDR, pre-shared key, IKE versions) and outputs
	// (Tunnel1Address / Tunnel2Address, the tunnel's AWS outside IP).
	TunnelNumber int `json:"tunnelNumber"`
}

// AzureEnd places a tunnel on an Azure cell's active-active gateway.
type AzureEnd struct {
	// Instance is 0 or 1: the gateway ipConfiguration (and its public IP)
	// that ends the tunnel.
	Instance int `json:"instance"`
	// LocalGateway is the name stem of the local network gateway and the
	// IPsec connection built for this tunnel (one of each per tunnel).
	LocalGateway string `json:"localGateway"`
	// CustomBGPAddresses is the connection's gatewayCustomBgpIpAddresses, one
	// per ipConfiguration (index = instance): the entry for Instance is this
	// end's BGPAddress; the other is an address the other instance declares,
	// which Azure requires but this tunnel does not use.
	CustomBGPAddresses [2]string `json:"customBgpAddresses"`
}

// GCPEnd places a tunnel on a GCP cell's HA VPN gateway.
type GCPEnd struct {
	// Interface is 0 or 1: the HA VPN gateway interface (VPNTunnel
	// VpnGatewayInterface).
	Interface int `json:"interface"`
	// ExternalGateway is the Name of the GCPExternalGateway for the peer;
	// ExternalInterface is the interface of it the tunnel goes to
	// (VPNTunnel PeerExternalGatewayInterface).
	ExternalGateway   string `json:"externalGateway"`
	ExternalInterface int    `json:"externalInterface"`
	// IPRange is the Cloud Router interface's IpRange: BGPAddress with the
	// /30 prefix length, e.g. "169.254.64.2/30".
	IPRange string `json:"ipRange"`
}

// PeeringKind is the native peering used between two cells on one cloud.
type PeeringKind string

// Same-cloud connections. Cells on one cloud have separate networks, so the
// plan joins them with the cloud's native peering instead of VPN tunnels:
// no gateway hours, no inside addresses, no BGP.
const (
	AWSVPCPeering     PeeringKind = "aws-vpc-peering"     // (inter-region) VPC peering + routes both ways
	AzureVNetPeering  PeeringKind = "azure-vnet-peering"  // (global) VNet peering, both directions
	GCPNetworkPeering PeeringKind = "gcp-network-peering" // VPC Network Peering, both directions
)

// Peering joins two cells on the same cloud.
type Peering struct {
	// ID is "<A>-to-<B>", A being the cell that comes first in the input.
	ID    string       `json:"id"`
	Kind  PeeringKind  `json:"kind"`
	Cloud fabric.Cloud `json:"cloud"`
	// A and B are the cell ids; ACIDR and BCIDR their blocks, ARegion and
	// BRegion their regions.
	A       string `json:"a"`
	B       string `json:"b"`
	ACIDR   string `json:"aCidr"`
	BCIDR   string `json:"bCidr"`
	ARegion string `json:"aRegion"`
	BRegion string `json:"bRegion"`
}
