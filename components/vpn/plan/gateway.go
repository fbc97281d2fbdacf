package plan

import "github.com/cellfabric/cellfabric/fabric"

// Gateway is what one cell builds for the mesh. Exactly one of AWS, Azure and
// GCP is set, matching Cloud.
type Gateway struct {
	Cell   string       `json:"cell"`
	Cloud  fabric.Cloud `json:"cloud"`
	Region string       `json:"region"`
	CIDR   string       `json:"cidr"`
	ASN    int64        `json:"asn"`

	AWS   *AWSGateway   `json:"aws,omitempty"`
	Azure *AzureGateway `json:"azure,omitempty"`
	GCP   *GCPGateway   `json:"gcp,omitempty"`
}

// AWSGateway is an AWS cell's side: one virtual private gateway attached to
// the cell's VPC (route propagation on in its route tables) with
// AmazonSideASN, and per VPN peer two customer gateways, each with one VPN
// connection (BGP, not static routes).
type AWSGateway struct {
	AmazonSideASN int64           `json:"amazonSideAsn"`
	Connections   []AWSConnection `json:"connections"`
}

// AWSConnection is one customer gateway and the VPN connection to it.
type AWSConnection struct {
	// Name is "<pair id>-c<index>", the stem of both resources' names.
	Name string `json:"name"`
	// Index is 0 or 1 within the pair.
	Index int `json:"index"`
	// Peer, PeerCloud and PeerASN describe the remote cell; PeerASN is the
	// customer gateway's ASN.
	Peer      string       `json:"peer"`
	PeerCloud fabric.Cloud `json:"peerCloud"`
	PeerASN   int64        `json:"peerAsn"`
	// ExtendedASN is true when PeerASN is above 2147483647 and so goes in
	// CustomerGateway.BgpAsnExtended instead of BgpAsn.
	ExtendedASN bool `json:"extendedAsn"`
	// PeerInterface is the remote public endpoint the customer gateway's
	// IpAddress holds: the GCP HA VPN gateway interface, or the Azure
	// gateway instance's public IP, with this number.
	PeerInterface int `json:"peerInterface"`
	// Tunnels are the IDs of the tunnels in Tunnel1* and Tunnel2*.
	Tunnels [2]string `json:"tunnels"`
}

// AzureGateway is an Azure cell's side: one active-active, route-based
// virtual network gateway with BGP on, two Standard static public IPs (one
// per ipConfiguration, in the cell's GatewaySubnet), ASN, and the custom
// APIPA BGP addresses below; per tunnel a local network gateway and an IPsec
// connection with BGP.
type AzureGateway struct {
	ASN int64 `json:"asn"`
	// BGPAddresses are the customBgpIpAddresses each ipConfiguration declares
	// (index = instance), in allocation order: every Azure-side BGP address
	// of the tunnels that instance ends.
	BGPAddresses [2][]string `json:"bgpAddresses"`
	// LocalGateways has one entry per tunnel, in allocation order.
	LocalGateways []AzureLocalGateway `json:"localGateways"`
}

// AzureLocalGateway is one local network gateway and the IPsec connection to
// it: the remote end of one tunnel.
type AzureLocalGateway struct {
	// Name is the tunnel ID, the stem of both resources' names.
	Name string `json:"name"`
	// Tunnel is the ID of the tunnel.
	Tunnel string `json:"tunnel"`
	// Peer, PeerCloud: the remote cell. PeerASN and PeerBGPAddress go in the
	// local network gateway's BgpSettings (Asn, BgpPeeringAddress).
	Peer           string       `json:"peer"`
	PeerCloud      fabric.Cloud `json:"peerCloud"`
	PeerASN        int64        `json:"peerAsn"`
	PeerBGPAddress string       `json:"peerBgpAddress"`
	// PeerInterface and PeerTunnelNumber locate the remote public IP that
	// goes in GatewayIpAddress: for a GCP peer, HA VPN interface
	// PeerInterface; for an AWS peer, the outside address of tunnel
	// PeerTunnelNumber (1 or 2) of the peer's VPN connection PeerInterface.
	PeerInterface    int `json:"peerInterface"`
	PeerTunnelNumber int `json:"peerTunnelNumber,omitempty"`
	// Instance and CustomBGPAddresses: see AzureEnd.
	Instance           int       `json:"instance"`
	CustomBGPAddresses [2]string `json:"customBgpAddresses"`
}

// GCPGateway is a GCP cell's side: one HA VPN gateway and one Cloud Router
// (RouterASN) in the cell's network and region; per VPN peer an external VPN
// gateway; per tunnel a VPN tunnel, a router interface and a BGP peer.
type GCPGateway struct {
	RouterASN        int64                `json:"routerAsn"`
	ExternalGateways []GCPExternalGateway `json:"externalGateways"`
}

// Redundancy types of a GCP external VPN gateway.
const (
	FourIPsRedundancy = "FOUR_IPS_REDUNDANCY" // an fabric.AWS peer: 2 connections × 2 tunnels
	TwoIPsRedundancy  = "TWO_IPS_REDUNDANCY"  // an fabric.Azure active-active peer
)

// GCPExternalGateway describes the peer's public endpoints to GCP.
type GCPExternalGateway struct {
	// Name is the pair ID.
	Name      string       `json:"name"`
	Peer      string       `json:"peer"`
	PeerCloud fabric.Cloud `json:"peerCloud"`
	PeerASN   int64        `json:"peerAsn"`
	// RedundancyType is FourIPsRedundancy or TwoIPsRedundancy.
	RedundancyType string `json:"redundancyType"`
	// Interfaces are the external gateway's interfaces, by ID.
	Interfaces []GCPExternalInterface `json:"interfaces"`
	// Tunnels are the IDs of the pair's tunnels.
	Tunnels []string `json:"tunnels"`
}

// GCPExternalInterface is one interface of an external VPN gateway and the
// remote public IP it holds.
type GCPExternalInterface struct {
	ID int `json:"id"`
	// For an Azure peer: the public IP of gateway instance PeerInterface.
	// For an AWS peer: the outside address of tunnel PeerTunnelNumber (1 or
	// 2) of the VPN connection with index PeerInterface.
	PeerInterface    int `json:"peerInterface"`
	PeerTunnelNumber int `json:"peerTunnelNumber,omitempty"`
}
