package plan

import "github.com/cellfabric/cellfabric/fabric"

// tunnelSpec places tunnel k of a pair on both gateways. Positions mean, by
// cloud: aws — VPN connection index (0|1) and tunnel number (1|2); azure —
// gateway instance (0|1); gcp — HA VPN interface (0|1) and the peer's
// external gateway interface.
type tunnelSpec struct {
	aIface, aTunnel int // end A's position; aTunnel is 0 unless A is fabric.AWS
	bIface          int // end B's position (fabric.Azure instance or fabric.GCP interface)
	bExt            int // fabric.GCP external gateway interface, -1 when B is not fabric.GCP
	// partner is the tunnel of the same pair that ends on the other Azure
	// instance; its Azure address fills that instance's entry of this
	// tunnel's connection's gatewayCustomBgpIpAddresses. -1 without Azure.
	partner int
}

// layouts are the recommended topologies of CLOUD-FACTS, tunnel by tunnel.
//
// AWS↔GCP: AWS connection c's customer gateway holds GCP interface c's IP;
// the GCP external gateway is FOUR_IPS_REDUNDANCY with interfaces 0–3 = AWS
// connection 0 tunnels 1, 2, connection 1 tunnels 1, 2. So GCP interface 0
// carries tunnels 0 and 1, interface 1 tunnels 2 and 3.
//
// AWS↔Azure: AWS connection c's customer gateway holds Azure instance c's
// public IP; each AWS tunnel gets its own local network gateway and
// connection on Azure. The partner of tunnel k is k^2, as in Microsoft's
// AWS guide (21.2 pairs with 21.6, 22.2 with 22.6).
//
// Azure↔GCP: GCP external gateway TWO_IPS_REDUNDANCY, interface i = Azure
// instance i. Tunnels 0 and 1 are the two-tunnel layout (Azure instance i ↔
// GCP interface i); tunnels 2 and 3 add the crossed paths (instance 1 ↔
// interface 0, instance 0 ↔ interface 1). Each tunnel has its own local
// network gateway and connection on Azure, so tunnels 0 and 2 (and 1 and 3)
// have local network gateways with the same public IP — see the package
// documentation before choosing four.
var layouts = map[PairKind][]tunnelSpec{
	AWSGCP: {
		{aIface: 0, aTunnel: 1, bIface: 0, bExt: 0, partner: -1},
		{aIface: 0, aTunnel: 2, bIface: 0, bExt: 1, partner: -1},
		{aIface: 1, aTunnel: 1, bIface: 1, bExt: 2, partner: -1},
		{aIface: 1, aTunnel: 2, bIface: 1, bExt: 3, partner: -1},
	},
	AWSAzure: {
		{aIface: 0, aTunnel: 1, bIface: 0, bExt: -1, partner: 2},
		{aIface: 0, aTunnel: 2, bIface: 0, bExt: -1, partner: 3},
		{aIface: 1, aTunnel: 1, bIface: 1, bExt: -1, partner: 0},
		{aIface: 1, aTunnel: 2, bIface: 1, bExt: -1, partner: 1},
	},
	AzureGCP: {
		{aIface: 0, bIface: 0, bExt: 0, partner: 1},
		{aIface: 1, bIface: 1, bExt: 1, partner: 0},
		{aIface: 1, bIface: 0, bExt: 1, partner: 3},
		{aIface: 0, bIface: 1, bExt: 0, partner: 2},
	},
}

// kindOf returns the pair kind for two different clouds given in canonical
// order.
func kindOf(a, b fabric.Cloud) PairKind {
	return PairKind(string(a) + "-" + string(b))
}

// tunnelCount is how many tunnels a pair of the kind has.
func tunnelCount(kind PairKind, azureGCP int) int {
	if kind == AzureGCP {
		return azureGCP
	}
	return 4
}

// peeringKind is the native peering between two cells on cloud.
func peeringKind(c fabric.Cloud) PeeringKind {
	switch c {
	case fabric.AWS:
		return AWSVPCPeering
	case fabric.Azure:
		return AzureVNetPeering
	default:
		return GCPNetworkPeering
	}
}
