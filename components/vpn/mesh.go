package vpn

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/vpn/plan"
	"github.com/cellfabric/cellfabric/fabric"
)

// Type tokens of the mesh and its sub-components.
const (
	ComponentType    = "cellfabric:vpn:Mesh"
	AWSGatewayType   = "cellfabric:vpn:AWSGateway"   // one per AWS cell
	AzureGatewayType = "cellfabric:vpn:AzureGateway" // one per Azure cell
	GCPGatewayType   = "cellfabric:vpn:GCPGateway"   // one per GCP cell
	PeeringType      = "cellfabric:vpn:Peering"      // one per same-cloud pair
)

// Mesh is the VPN mesh between the cells: a gateway per cell, the tunnels
// with BGP between every two cells on different clouds, native peering
// between cells on one cloud, the pre-shared keys and the firewall rules.
type Mesh struct {
	pulumi.ResourceState

	// Plan is the plan the mesh was built from (plain data, no secret).
	Plan *plan.Mesh
	// Network describes the mesh for the `network` stack output: the
	// planner's summary (every tunnel with both ends' cells, ASNs, BGP
	// addresses and gateway positions, the peerings, the pools' use), each
	// tunnel end's public IP, and the per-cloud counts. It holds no
	// pre-shared key and is not secret.
	Network pulumi.MapOutput
}

// gateway is one cell's sub-component and what the other cells need of it.
type gateway struct {
	cell *CellNetwork
	gw   plan.Gateway
	comp *cellGateway
	tag  tagger

	aws   *awsSide
	azure *azureSide
	gcp   *gcpSide
}

// peerAddress is the public address of interface iface of the gateway of
// cell peer (on peerCloud), as cell self dials it: for an AWS peer the
// outside address of tunnel tunnel of its connection iface towards self,
// for Azure and GCP the gateway's own interface address. self's cloud
// (selfCloud) never meets itself over VPN.
func (b *builder) peerAddress(self string, selfCloud fabric.Cloud, peer string, peerCloud fabric.Cloud, iface, tunnel int) (pulumi.StringOutput, error) {
	g := b.gws[peer]
	switch {
	case peerCloud == selfCloud:
		return pulumi.StringOutput{}, fmt.Errorf("peer %s is on %s: the plan never pairs %s with itself over VPN", peer, peerCloud, selfCloud)
	case peerCloud == fabric.AWS:
		conns := g.aws.byPeer[self]
		if conns == nil || conns[iface] == nil {
			return pulumi.StringOutput{}, fmt.Errorf("no AWS connection %d from %s: the plan and the built connections disagree", iface, peer)
		}
		return g.aws.tunnelAddress(conns[iface], tunnel), nil
	case peerCloud == fabric.Azure:
		return g.azure.ip(iface), nil
	case peerCloud == fabric.GCP:
		return g.gcp.ip(iface), nil
	}
	return pulumi.StringOutput{}, fmt.Errorf("peer %s is on unknown cloud %q", peer, peerCloud)
}

// cellGateway is the per-cell sub-component.
type cellGateway struct{ pulumi.ResourceState }

// builder carries one NewMesh call.
type builder struct {
	ctx     *pulumi.Context
	name    string
	args    MeshArgs
	plan    *plan.Mesh
	comp    *Mesh
	gws     map[string]*gateway // by cell id
	order   []*gateway          // in input order
	tunnels map[string]plan.Tunnel
	keys    map[string]pulumi.StringOutput // by tunnel id
}

// NewMesh builds the VPN mesh between args.Cells. It checks args and plans
// the mesh first, and registers nothing when either fails (the error lists
// every problem). Every resource on a cell's side is registered with that
// cell's provider; the pre-shared keys use the random provider the caller
// passes in opts (pulumi.Providers), or the default one, which needs no
// configuration.
func NewMesh(ctx *pulumi.Context, name string, args MeshArgs, opts ...pulumi.ResourceOption) (*Mesh, error) {
	args = args.withDefaults()
	m, err := args.build()
	if err != nil {
		// err reads "vpn mesh: N problem(s): ..." and lists them, or
		// "vpn mesh: planning: ...": it names the mesh already.
		return nil, err
	}
	comp := &Mesh{Plan: m}
	if err := ctx.RegisterComponentResource(ComponentType, name, comp, opts...); err != nil {
		return nil, fmt.Errorf("registering vpn mesh %s: %w", name, err)
	}
	b := &builder{ctx: ctx, name: name, args: args, plan: m, comp: comp,
		gws: map[string]*gateway{}, tunnels: map[string]plan.Tunnel{}, keys: map[string]pulumi.StringOutput{}}
	for _, p := range m.Pairs {
		for _, t := range p.Tunnels {
			b.tunnels[t.ID] = t
		}
	}
	steps := []struct {
		what string
		fn   func() error
	}{
		{"generating the pre-shared keys", b.preSharedKeys},
		{"building the gateways", b.gateways},
		{"building the AWS VPN connections", b.awsConnections},
		{"building the Azure gateways and connections", b.azureConnections},
		{"building the GCP tunnels and BGP peers", b.gcpTunnels},
		{"building the firewall rules", b.firewalls},
		{"building the peerings", b.peerings},
		{"describing the network", b.network},
	}
	for _, s := range steps {
		if err := s.fn(); err != nil {
			return nil, fmt.Errorf("vpn mesh %s: %s: %w", name, s.what, err)
		}
	}
	for _, g := range b.order {
		if err := ctx.RegisterResourceOutputs(g.comp, pulumi.Map{"cell": pulumi.String(g.cell.ID)}); err != nil {
			return nil, fmt.Errorf("vpn mesh %s: registering the outputs of %s: %w", name, g.cell.ID, err)
		}
	}
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"network": comp.Network}); err != nil {
		return nil, fmt.Errorf("registering the outputs of vpn mesh %s: %w", name, err)
	}
	return comp, nil
}

// gateways registers each cell's sub-component and the resources that
// depend on no other cell: the AWS VGW and its route propagation, the Azure
// public IPs, the GCP HA VPN gateway and Cloud Router. Peers read their
// public IPs from these.
func (b *builder) gateways() error {
	for i := range b.args.Cells {
		c := &b.args.Cells[i]
		g := &gateway{cell: c, gw: b.plan.Gateways[i], comp: &cellGateway{},
			tag: tagger{cell: c.ID, stack: b.ctx.Stack(), cloud: c.Cloud, extra: b.args.Tags}}
		typ := map[fabric.Cloud]string{fabric.AWS: AWSGatewayType, fabric.Azure: AzureGatewayType, fabric.GCP: GCPGatewayType}[c.Cloud]
		if err := b.ctx.RegisterComponentResource(typ, b.name+"-"+c.ID, g.comp, pulumi.Parent(b.comp)); err != nil {
			return fmt.Errorf("cell %s: %w", c.ID, err)
		}
		b.gws[c.ID] = g
		b.order = append(b.order, g)
		var err error
		switch c.Cloud {
		case fabric.AWS:
			err = b.awsGateway(g)
		case fabric.Azure:
			err = b.azurePublicIPs(g)
		case fabric.GCP:
			err = b.gcpGateway(g)
		}
		if err != nil {
			return fmt.Errorf("cell %s: %w", c.ID, err)
		}
	}
	return nil
}

// on are the options of a resource on g's side: under g's sub-component
// (or parent, when given) and on g's provider.
func (b *builder) on(g *gateway, parent pulumi.Resource, extra ...pulumi.ResourceOption) []pulumi.ResourceOption {
	if parent == nil {
		parent = g.comp
	}
	return append([]pulumi.ResourceOption{pulumi.Parent(parent), pulumi.Provider(g.cell.Provider)}, extra...)
}

// res is the logical name of a child: the mesh name, then the parts.
func (b *builder) res(parts ...string) string {
	s := b.name
	for _, p := range parts {
		s += "-" + p
	}
	return s
}

// endIP is the public IP of one tunnel end: the AWS tunnel's outside
// address, the Azure instance's public IP, or the GCP HA VPN interface's.
func (b *builder) endIP(e plan.End) pulumi.StringOutput {
	g := b.gws[e.Cell]
	switch {
	case e.AWS != nil:
		return g.aws.tunnelAddress(g.aws.conns[e.AWS.Connection], e.AWS.TunnelNumber)
	case e.Azure != nil:
		return g.azure.ip(e.Azure.Instance)
	default:
		return g.gcp.ip(e.GCP.Interface)
	}
}

// remoteCIDRs are the CIDRs of every cell but id, in input order.
func (b *builder) remoteCIDRs(id string) []string {
	var out []string
	for _, c := range b.args.Cells {
		if c.ID != id {
			out = append(out, c.CIDR)
		}
	}
	return out
}
