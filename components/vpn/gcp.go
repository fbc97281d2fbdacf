package vpn

import (
	"fmt"

	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/compute"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/vpn/plan"
	"github.com/cellfabric/cellfabric/fabric"
)

// gcpSide is what a GCP cell's gateway exposes to the rest of the mesh.
type gcpSide struct {
	ha     *compute.HaVpnGateway
	router *compute.Router
}

// ip is the public IP of HA VPN interface i.
func (s *gcpSide) ip(i int) pulumi.StringOutput {
	return s.ha.VpnInterfaces.ApplyT(func(ifs []compute.HaVpnGatewayVpnInterface) (string, error) {
		for _, f := range ifs {
			if f.Id != nil && *f.Id == i && f.IpAddress != nil {
				return *f.IpAddress, nil
			}
		}
		return "", fmt.Errorf("the HA VPN gateway reports no address for interface %d", i)
	}).(pulumi.StringOutput)
}

// gcpName is the physical name of a GCP resource of this mesh.
func (b *builder) gcpName(stem string) string {
	return gcpName(b.ctx.Project()+"\x00"+b.ctx.Stack()+"\x00"+b.name, stem)
}

// gcpProject is the cell's project input, or nil for the provider's.
func gcpProject(c *CellNetwork) pulumi.StringPtrInput {
	if c.GCP.Project == nil {
		return nil // not a typed nil: the provider's project applies
	}
	return c.GCP.Project
}

// gcpGateway builds the cell's HA VPN gateway (two interfaces, two public
// IPs) and Cloud Router with the planned ASN, in the cell's network and
// region.
func (b *builder) gcpGateway(g *gateway) error {
	c := g.cell
	g.gcp = &gcpSide{}
	ha, err := compute.NewHaVpnGateway(b.ctx, b.res(c.ID, "ha-vpn"), &compute.HaVpnGatewayArgs{
		Name:        pulumi.String(b.gcpName(c.ID + "-vpngw")),
		Description: pulumi.String("cellfabric mesh: cell " + c.ID),
		Network:     c.GCP.NetworkSelfLink,
		Region:      pulumi.String(c.Region),
		Project:     gcpProject(c),
		StackType:   pulumi.String("IPV4_ONLY"),
	}, b.on(g, nil)...)
	if err != nil {
		return fmt.Errorf("HA VPN gateway: %w", err)
	}
	router, err := compute.NewRouter(b.ctx, b.res(c.ID, "router"), &compute.RouterArgs{
		Name:        pulumi.String(b.gcpName(c.ID + "-router")),
		Description: pulumi.String("cellfabric mesh: cell " + c.ID),
		Network:     c.GCP.NetworkSelfLink,
		Region:      pulumi.String(c.Region),
		Project:     gcpProject(c),
		// DEFAULT advertises the network's subnets; with regional routing
		// that is the cell's own, so no cell becomes a transit for another.
		Bgp: &compute.RouterBgpArgs{Asn: pulumi.Int(int(g.gw.GCP.RouterASN)), AdvertiseMode: pulumi.String("DEFAULT")},
	}, b.on(g, nil)...)
	if err != nil {
		return fmt.Errorf("cloud router: %w", err)
	}
	g.gcp.ha, g.gcp.router = ha, router
	return nil
}

// gcpTunnels builds, for every GCP cell and every peer, the external VPN
// gateway holding the peer's public IPs with the planned redundancy type,
// then per tunnel the VPN tunnel, the router interface and the BGP peer.
func (b *builder) gcpTunnels() error {
	for _, g := range b.order {
		if g.gcp == nil {
			continue
		}
		for _, x := range g.gw.GCP.ExternalGateways {
			if err := b.gcpPeer(g, x); err != nil {
				return fmt.Errorf("cell %s, peer %s: %w", g.cell.ID, x.Peer, err)
			}
		}
	}
	return nil
}

func (b *builder) gcpPeer(g *gateway, x plan.GCPExternalGateway) error {
	c := g.cell
	var ifs compute.ExternalVpnGatewayInterfaceArray
	for _, xi := range x.Interfaces {
		ip, err := b.peerAddress(c.ID, fabric.GCP, x.Peer, x.PeerCloud, xi.PeerInterface, xi.PeerTunnelNumber)
		if err != nil {
			return err
		}
		ifs = append(ifs, compute.ExternalVpnGatewayInterfaceArgs{Id: pulumi.Int(xi.ID), IpAddress: ip})
	}
	ext, err := compute.NewExternalVpnGateway(b.ctx, b.res(x.Name, "peer-gw"), &compute.ExternalVpnGatewayArgs{
		Name:           pulumi.String(b.gcpName(x.Name)),
		Description:    pulumi.String(fmt.Sprintf("cellfabric mesh: cell %s (%s) seen from %s", x.Peer, x.PeerCloud, c.ID)),
		RedundancyType: pulumi.String(x.RedundancyType),
		Interfaces:     ifs,
		Project:        gcpProject(c),
		Labels:         g.tag.gcp(),
	}, b.on(g, nil)...)
	if err != nil {
		return fmt.Errorf("external VPN gateway: %w", err)
	}
	for _, id := range x.Tunnels {
		t := b.tunnels[id]
		if t.B.GCP == nil || t.B.Cell != c.ID {
			return fmt.Errorf("tunnel %s does not end on %s: the plan puts GCP on end B", id, c.ID)
		}
		if err := b.gcpTunnel(g, ext, t); err != nil {
			return fmt.Errorf("tunnel %s: %w", id, err)
		}
	}
	return nil
}

func (b *builder) gcpTunnel(g *gateway, ext *compute.ExternalVpnGateway, t plan.Tunnel) error {
	c, e := g.cell, t.B
	tun, err := compute.NewVPNTunnel(b.ctx, b.res(t.ID, "tunnel"), &compute.VPNTunnelArgs{
		Name:                         pulumi.String(b.gcpName(t.ID)),
		Description:                  pulumi.String("cellfabric mesh: " + t.ID),
		Region:                       pulumi.String(c.Region),
		Project:                      gcpProject(c),
		VpnGateway:                   g.gcp.ha.ID(),
		VpnGatewayInterface:          pulumi.Int(e.GCP.Interface),
		PeerExternalGateway:          ext.ID(),
		PeerExternalGatewayInterface: pulumi.Int(e.GCP.ExternalInterface),
		SharedSecret:                 b.keys[t.ID],
		IkeVersion:                   pulumi.Int(t.IKEVersion),
		Router:                       g.gcp.router.ID(),
		Labels:                       g.tag.gcp(),
	}, b.on(g, nil)...)
	if err != nil {
		return fmt.Errorf("vpn tunnel: %w", err)
	}
	iface, err := compute.NewRouterInterface(b.ctx, b.res(t.ID, "router-if"), &compute.RouterInterfaceArgs{
		Name:      pulumi.String(b.gcpName(t.ID + "-if")),
		Router:    g.gcp.router.Name,
		Region:    pulumi.String(c.Region),
		Project:   gcpProject(c),
		IpRange:   pulumi.String(e.GCP.IPRange),
		VpnTunnel: tun.Name,
	}, b.on(g, nil)...)
	if err != nil {
		return fmt.Errorf("router interface: %w", err)
	}
	_, err = compute.NewRouterPeer(b.ctx, b.res(t.ID, "bgp-peer"), &compute.RouterPeerArgs{
		Name:          pulumi.String(b.gcpName(t.ID + "-bgp")),
		Router:        g.gcp.router.Name,
		Region:        pulumi.String(c.Region),
		Project:       gcpProject(c),
		Interface:     iface.Name,
		IpAddress:     pulumi.String(e.BGPAddress),
		PeerIpAddress: pulumi.String(e.PeerBGPAddress),
		PeerAsn:       pulumi.Int(int(e.PeerASN)),
	}, b.on(g, nil)...)
	if err != nil {
		return fmt.Errorf("bgp peer: %w", err)
	}
	return nil
}

// gcpFirewall admits every protocol from the other cells' CIDRs into the
// cell's network. GCP allows egress by default.
func (b *builder) gcpFirewall(g *gateway) error {
	c := g.cell
	_, err := compute.NewFirewall(b.ctx, b.res(c.ID, "mesh-ingress"), &compute.FirewallArgs{
		Name:         pulumi.String(b.gcpName(c.ID + "-mesh-in")),
		Description:  pulumi.String("cellfabric mesh: the other cells' CIDRs"),
		Network:      c.GCP.NetworkSelfLink,
		Project:      gcpProject(c),
		Direction:    pulumi.String("INGRESS"),
		Priority:     pulumi.Int(FirewallPriority),
		SourceRanges: pulumi.ToStringArray(b.remoteCIDRs(c.ID)),
		Allows:       compute.FirewallAllowArray{compute.FirewallAllowArgs{Protocol: pulumi.String("all")}},
	}, b.on(g, nil)...)
	if err != nil {
		return fmt.Errorf("firewall rule: %w", err)
	}
	return nil
}
