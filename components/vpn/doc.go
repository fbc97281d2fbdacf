// Package vpn builds cellfabric's private network between cells: the
// ComponentResource cellfabric:vpn:Mesh, which plans the mesh with
// components/vpn/plan and turns the plan into resources on AWS, Azure and
// GCP — a VPN gateway per cell, IPsec tunnels with BGP between every two
// cells on different clouds, native peering between cells on one cloud,
// one generated pre-shared key per tunnel, and firewall rules that admit the
// other cells' CIDRs and nothing else.
//
// It imports the Pulumi SDK, the aws, azure-native network, gcp and random
// SDKs, components/cell (tag keys) and components/vpn/plan. It must not
// import the cloud cell packages (components/aws, azure, gcp), stacks,
// infra, cmd or router: the infra program fills CellNetwork from its cells,
// in the same program or through StackReferences, and the mesh never
// creates a provider of a cloud.
//
// # What each cell gets
//
// Every cell's resources hang under a sub-component (cellfabric:vpn:
// AWSGateway, AzureGateway or GCPGateway, named "<mesh>-<cell>") and use
// that cell's CellNetwork.Provider:
//
//	AWS    a virtual private gateway attached to AWSNetwork.VpcID with the
//	       planned Amazon-side ASN; route propagation into every
//	       RouteTableIDs table; per planned connection a customer gateway
//	       (peer ASN, peer public IP, ipsec.1) and a VPN connection (BGP,
//	       Tunnel1/2 inside CIDRs and keys, IKE version, startup action
//	       "start"; toward GCP one transform set per phase, AES256 /
//	       SHA2-256 / DH 14); an ingress and an egress rule per remote cell
//	       in every SecurityGroupIDs group.
//	Azure  two Standard static public IPs; an active-active, route-based
//	       VirtualNetworkGateway (AzureGatewaySKU, BGP on, planned ASN, the
//	       planned APIPA addresses on each ipConfiguration) in the
//	       GatewaySubnet; per tunnel a local network gateway (peer IP, ASN
//	       and BGP address) and an IPsec connection with BGP and the
//	       planned gatewayCustomBgpIpAddresses; one inbound NSG rule.
//	GCP    an HA VPN gateway and a Cloud Router (planned ASN); per peer an
//	       external VPN gateway (FOUR_IPS_REDUNDANCY for AWS, TWO_IPS for
//	       Azure) with the peer's public IPs; per tunnel a VPN tunnel, a
//	       router interface (the planned address/30) and a BGP peer; one
//	       ingress firewall rule.
//
// Same-cloud pairs get a cellfabric:vpn:Peering sub-component: GCP network
// peering both ways (the second after the first), AWS VPC peering with an
// accepter and routes in both cells' route tables (one account), Azure VNet
// peering both ways. Custom routes are not exchanged and gateway transit is
// off, so no cell relays another's traffic.
//
// # Order, not cycles
//
// Every public IP a peer needs exists before the tunnel it serves: the
// Azure public IPs and the GCP HA VPN interfaces are created first and feed
// the AWS customer gateways and the other side's external/local gateways;
// the AWS tunnels' outside IPs exist once the AWS VPN connection does and
// feed the Azure local network gateways and GCP external gateways. No AWS
// resource waits for an Azure or GCP tunnel, so the graph has no cycle.
//
// # Keys
//
// One random.RandomPassword per tunnel, named "<mesh>-<Tunnel.KeyName>",
// 48 characters of [A-Za-z._] (see keyArgs for why no digits). The same
// secret Output goes to both ends (AWS TunnelNPresharedKey, Azure
// SharedKey, GCP SharedSecret). No output of the mesh carries a key.
//
// # What the infra program passes
//
// For each cell, CellNetwork{ID, Cloud, Region, CIDR, ASN} from the
// topology, Provider = the cell's provider, and:
//
//	AWS    VpcID ← Cell.VpcID; RouteTableIDs ← StringInputs(
//	       Cell.PrivateRouteTableIDs, zones) plus StringInputs(
//	       Cell.PublicRouteTableIDs, 1); SecurityGroupIDs ←
//	       {Cell.TaskSecurityGroupID}.
//	Azure  ResourceGroupName, VnetName, VnetID, GatewaySubnetID, NsgName ←
//	       the Cell fields of the same names.
//	GCP    NetworkSelfLink ← Cell.NetworkSelfLink; Project ← Cell.Project.
//
// Through a StackReference, the same values are the keys each cell
// component registers as outputs (vpcId, privateRouteTableIds,
// publicRouteTableIds, taskSecurityGroupId; resourceGroupName, vnetName,
// vnetId, gatewaySubnetId, nsgName; networkSelfLink, project), which the
// cell stack must export.
//
// # Known limits
//
// The Azure cell declares its NSG's rules inline; Azure Native then treats
// the mesh's separate SecurityRule as drift and removes it on the cell's
// next update (pulumi/pulumi-azure-native#3359). The cell must declare its
// rules as separate network.SecurityRule resources for the mesh's rule to
// stay. Until then Azure's default AllowVnetInBound rule (65000) still
// admits gateway-learned prefixes. The gateway's public IPs are
// zone-redundant (zones 1–3) unless AzureNetwork.NoZones says the region
// has no availability zones.
package vpn
