package vpn

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-azure-native-sdk/network/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/vpn/plan"
	"github.com/cellfabric/cellfabric/fabric"
)

// azureIPConfigs name the gateway's two ipConfigurations, by instance.
var azureIPConfigs = [2]string{"instance-0", "instance-1"}

// azureSide is what an Azure cell's gateway exposes to the rest of the mesh.
type azureSide struct {
	pips [2]*network.PublicIPAddress
	gw   *network.VirtualNetworkGateway
}

// ip is the public IP of gateway instance i.
func (s *azureSide) ip(i int) pulumi.StringOutput { return s.pips[i].IpAddress.Elem() }

// azurePublicIPs builds the gateway's two Standard, static public IPs, one
// per active-active instance. Peers read them before the gateway exists
// (it takes half an hour or more to create).
func (b *builder) azurePublicIPs(g *gateway) error {
	c := g.cell
	g.azure = &azureSide{}
	var zones pulumi.StringArrayInput
	if !c.Azure.NoZones {
		zones = pulumi.ToStringArray(azureZones)
	}
	for i := range 2 {
		pip, err := network.NewPublicIPAddress(b.ctx, b.res(c.ID, fmt.Sprintf("vpngw-ip%d", i)), &network.PublicIPAddressArgs{
			PublicIpAddressName:      pulumi.String(azureName(fmt.Sprintf("%s-vpngw-ip%d", c.ID, i))),
			ResourceGroupName:        c.Azure.ResourceGroupName,
			Location:                 pulumi.String(c.Region),
			Sku:                      &network.PublicIPAddressSkuArgs{Name: pulumi.String("Standard"), Tier: pulumi.String("Regional")},
			PublicIPAllocationMethod: pulumi.String("Static"),
			PublicIPAddressVersion:   pulumi.String("IPv4"),
			Zones:                    zones,
			Tags:                     g.tag.azure(),
		}, b.on(g, nil)...)
		if err != nil {
			return fmt.Errorf("public IP %d: %w", i, err)
		}
		g.azure.pips[i] = pip
	}
	return nil
}

// azureGatewayID is the ARM id the gateway will have. The gateway's BGP
// settings name its own ipConfigurations by id, before the gateway exists,
// so the id is built from the GatewaySubnet's subscription, the resource
// group and the gateway's explicit name.
func azureGatewayID(subnetID, group pulumi.StringInput, name string) pulumi.StringOutput {
	return pulumi.All(subnetID, group).ApplyT(func(v []any) (string, error) {
		sub, err := armSubscription(v[0].(string))
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/virtualNetworkGateways/%s", sub, v[1].(string), name), nil
	}).(pulumi.StringOutput)
}

// armSubscription extracts the subscription id from an ARM resource id.
func armSubscription(id string) (string, error) {
	parts := strings.Split(strings.TrimPrefix(id, "/"), "/")
	if len(parts) < 2 || !strings.EqualFold(parts[0], "subscriptions") || parts[1] == "" {
		return "", fmt.Errorf("%q is not an ARM resource id (/subscriptions/<id>/...): pass the GatewaySubnet's id as AzureNetwork.GatewaySubnetID", id)
	}
	return parts[1], nil
}

// azureConnections builds, for every Azure cell, the active-active
// route-based gateway with BGP and the planned APIPA addresses, then a local
// network gateway (the peer's public IP, ASN and BGP address) and an IPsec
// connection with BGP per planned tunnel.
func (b *builder) azureConnections() error {
	for _, g := range b.order {
		if g.azure == nil {
			continue
		}
		if err := b.azureGateway(g); err != nil {
			return fmt.Errorf("cell %s: %w", g.cell.ID, err)
		}
		for _, lg := range g.gw.Azure.LocalGateways {
			if err := b.azureConnection(g, lg); err != nil {
				return fmt.Errorf("cell %s, tunnel %s: %w", g.cell.ID, lg.Tunnel, err)
			}
		}
	}
	return nil
}

func (b *builder) azureGateway(g *gateway) error {
	c := g.cell
	name := azureName(c.ID + "-vpngw")
	selfID := azureGatewayID(c.Azure.GatewaySubnetID, c.Azure.ResourceGroupName, name)
	var ipconfs network.VirtualNetworkGatewayIPConfigurationArray
	var peering network.IPConfigurationBgpPeeringAddressArray
	for i, ic := range azureIPConfigs {
		ipconfs = append(ipconfs, network.VirtualNetworkGatewayIPConfigurationArgs{
			Name:                      pulumi.String(ic),
			PrivateIPAllocationMethod: pulumi.String("Dynamic"),
			PublicIPAddress:           &network.SubResourceArgs{Id: g.azure.pips[i].ID().ToStringOutput()},
			Subnet:                    &network.SubResourceArgs{Id: c.Azure.GatewaySubnetID},
		})
		peering = append(peering, network.IPConfigurationBgpPeeringAddressArgs{
			IpconfigurationId:    pulumi.Sprintf("%s/ipConfigurations/%s", selfID, ic),
			CustomBgpIpAddresses: pulumi.ToStringArray(g.gw.Azure.BGPAddresses[i]),
		})
	}
	gw, err := network.NewVirtualNetworkGateway(b.ctx, b.res(c.ID, "vpngw"), &network.VirtualNetworkGatewayArgs{
		VirtualNetworkGatewayName: pulumi.String(name),
		ResourceGroupName:         c.Azure.ResourceGroupName,
		Location:                  pulumi.String(c.Region),
		GatewayType:               pulumi.String("Vpn"),
		VpnType:                   pulumi.String("RouteBased"),
		Sku:                       &network.VirtualNetworkGatewaySkuArgs{Name: pulumi.String(b.args.AzureGatewaySKU), Tier: pulumi.String(b.args.AzureGatewaySKU)},
		ActiveActive:              pulumi.Bool(true),
		EnableBgp:                 pulumi.Bool(true),
		BgpSettings: &network.BgpSettingsArgs{
			Asn:                 pulumi.Float64(float64(g.gw.Azure.ASN)),
			BgpPeeringAddresses: peering,
		},
		IpConfigurations: ipconfs,
		Tags:             g.tag.azure(),
	}, b.on(g, nil)...)
	if err != nil {
		return fmt.Errorf("virtual network gateway: %w", err)
	}
	g.azure.gw = gw
	return nil
}

func (b *builder) azureConnection(g *gateway, lg plan.AzureLocalGateway) error {
	c := g.cell
	peerIP, err := b.peerAddress(c.ID, fabric.Azure, lg.Peer, lg.PeerCloud, lg.PeerInterface, lg.PeerTunnelNumber)
	if err != nil {
		return err
	}
	lng, err := network.NewLocalNetworkGateway(b.ctx, b.res(lg.Name, "lng"), &network.LocalNetworkGatewayArgs{
		LocalNetworkGatewayName: pulumi.String(azureName("lng-" + lg.Name)),
		ResourceGroupName:       c.Azure.ResourceGroupName,
		Location:                pulumi.String(c.Region),
		GatewayIpAddress:        peerIP,
		// With BGP the address space may stay empty: routes come from the
		// peer's advertisements.
		BgpSettings: &network.BgpSettingsArgs{
			Asn:               pulumi.Float64(float64(lg.PeerASN)),
			BgpPeeringAddress: pulumi.String(lg.PeerBGPAddress),
		},
		Tags: g.tag.azure(),
	}, b.on(g, nil)...)
	if err != nil {
		return fmt.Errorf("local network gateway: %w", err)
	}
	gwID := g.azure.gw.ID().ToStringOutput()
	var custom network.GatewayCustomBgpIpAddressIpConfigurationArray
	for i, ic := range azureIPConfigs {
		custom = append(custom, network.GatewayCustomBgpIpAddressIpConfigurationArgs{
			IpConfigurationId:  pulumi.Sprintf("%s/ipConfigurations/%s", gwID, ic),
			CustomBgpIpAddress: pulumi.String(lg.CustomBGPAddresses[i]),
		})
	}
	_, err = network.NewVirtualNetworkGatewayConnection(b.ctx, b.res(lg.Name, "connection"), &network.VirtualNetworkGatewayConnectionArgs{
		VirtualNetworkGatewayConnectionName: pulumi.String(azureName("cn-" + lg.Name)),
		ResourceGroupName:                   c.Azure.ResourceGroupName,
		Location:                            pulumi.String(c.Region),
		ConnectionType:                      pulumi.String("IPsec"),
		ConnectionProtocol:                  pulumi.String(fmt.Sprintf("IKEv%d", b.plan.IKEVersion)),
		EnableBgp:                           pulumi.Bool(true),
		SharedKey:                           b.keys[lg.Tunnel],
		VirtualNetworkGateway1:              network.VirtualNetworkGatewayTypeArgs{Id: gwID},
		LocalNetworkGateway2:                &network.LocalNetworkGatewayTypeArgs{Id: lng.ID().ToStringOutput()},
		GatewayCustomBgpIpAddresses:         custom,
		Tags:                                g.tag.azure(),
	}, b.on(g, nil)...)
	if err != nil {
		return fmt.Errorf("connection: %w", err)
	}
	return nil
}

// azureFirewall adds one inbound rule to the cell's NSG: every protocol
// from the other cells' CIDRs to the cell's own.
func (b *builder) azureFirewall(g *gateway) error {
	c := g.cell
	_, err := network.NewSecurityRule(b.ctx, b.res(c.ID, "nsg-mesh"), &network.SecurityRuleArgs{
		SecurityRuleName:         pulumi.String("allow-cellfabric-mesh"),
		ResourceGroupName:        c.Azure.ResourceGroupName,
		NetworkSecurityGroupName: c.Azure.NsgName,
		Description:              pulumi.String("cellfabric mesh: the other cells' CIDRs"),
		Direction:                pulumi.String("Inbound"),
		Access:                   pulumi.String("Allow"),
		Protocol:                 pulumi.String("*"),
		Priority:                 pulumi.Int(NSGPriority),
		SourceAddressPrefixes:    pulumi.ToStringArray(b.remoteCIDRs(c.ID)),
		SourcePortRange:          pulumi.String("*"),
		DestinationAddressPrefix: pulumi.String(c.CIDR),
		DestinationPortRange:     pulumi.String("*"),
	}, b.on(g, nil)...)
	if err != nil {
		return fmt.Errorf("NSG rule: %w", err)
	}
	return nil
}
