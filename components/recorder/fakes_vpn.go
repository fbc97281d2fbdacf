package recorder

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Fakes for the VPN mesh (components/vpn): the public IPs each cloud's
// gateway reports, which the other clouds' gateways are built from, and
// ids shaped like the real ones.
func init() {
	// AWS: ids with the service's prefixes; a VPN connection reports one
	// outside address per tunnel.
	for typ, prefix := range map[string]string{
		"aws:ec2/vpnGateway:VpnGateway":                     "vgw-",
		"aws:ec2/customerGateway:CustomerGateway":           "cgw-",
		"aws:ec2/vpnConnection:VpnConnection":               "vpn-",
		"aws:ec2/vpcPeeringConnection:VpcPeeringConnection": "pcx-",
	} {
		idFakes[typ] = func(res *Resource, fc FakeContext) string { return prefix + fc.Hash + hash8(fc.Hash) }
	}
	// The accepter manages the requester's connection: same id.
	idFakes["aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter"] = func(res *Resource, fc FakeContext) string {
		return str(res.Inputs, "vpcPeeringConnectionId")
	}
	outputFakes["aws:ec2/vpnConnection:VpnConnection"] = func(res *Resource, fc FakeContext) resource.PropertyMap {
		return props(map[string]any{
			"tunnel1Address": fakeIPv4(res.URN + "#tunnel1"),
			"tunnel2Address": fakeIPv4(res.URN + "#tunnel2"),
			"routes":         []any{},
		})
	}
	outputFakes["aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter"] = func(res *Resource, fc FakeContext) resource.PropertyMap {
		return props(map[string]any{"acceptStatus": "active"})
	}

	// Azure: ARM ids for the gateway's resources; child ids for NSG rules
	// and VNet peerings.
	for key, coll := range map[string]string{
		"network:PublicIPAddress":                 "Microsoft.Network/publicIPAddresses",
		"network:VirtualNetworkGateway":           "Microsoft.Network/virtualNetworkGateways",
		"network:LocalNetworkGateway":             "Microsoft.Network/localNetworkGateways",
		"network:VirtualNetworkGatewayConnection": "Microsoft.Network/connections",
	} {
		armCollections[key] = coll
		idFakes["azure-native:"+key] = armID
	}
	idFakes["azure-native:network:SecurityRule"] = func(res *Resource, fc FakeContext) string {
		return fmt.Sprintf("%s/providers/Microsoft.Network/networkSecurityGroups/%s/securityRules/%s",
			armGroupID(res), str(res.Inputs, "networkSecurityGroupName"), str(res.Inputs, "securityRuleName"))
	}
	idFakes["azure-native:network:VirtualNetworkPeering"] = func(res *Resource, fc FakeContext) string {
		return fmt.Sprintf("%s/providers/Microsoft.Network/virtualNetworks/%s/virtualNetworkPeerings/%s",
			armGroupID(res), str(res.Inputs, "virtualNetworkName"), str(res.Inputs, "virtualNetworkPeeringName"))
	}
	outputFakes["azure-native:network:VirtualNetworkGateway"] = func(res *Resource, fc FakeContext) resource.PropertyMap {
		return props(map[string]any{"provisioningState": "Succeeded", "resourceGuid": fakeUUID(res.URN)})
	}
	outputFakes["azure-native:network:VirtualNetworkGatewayConnection"] = func(res *Resource, fc FakeContext) resource.PropertyMap {
		return props(map[string]any{"provisioningState": "Succeeded", "connectionStatus": "Unknown"})
	}

	// GCP: an HA VPN gateway gets one public IP per interface.
	outputFakes["gcp:compute/haVpnGateway:HaVpnGateway"] = func(res *Resource, fc FakeContext) resource.PropertyMap {
		return props(map[string]any{"vpnInterfaces": []any{
			map[string]any{"id": 0, "ipAddress": fakeIPv4(res.URN + "#if0")},
			map[string]any{"id": 1, "ipAddress": fakeIPv4(res.URN + "#if1")},
		}})
	}
	gcpCollections["gcp:compute/externalVpnGateway:ExternalVpnGateway"] = "externalVpnGateways"
}
