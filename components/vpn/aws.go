package vpn

import (
	"fmt"
	"strconv"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/vpn/plan"
	"github.com/cellfabric/cellfabric/fabric"
)

// gcpTransforms is the single IKE transform set per phase that AWS tunnels
// to GCP offer: with AWS's full default set the IKE packets fragment, which
// Cloud VPN does not support, and rekeys fail (Google's "Connect HA VPN to
// AWS peer gateways", known issue). AES-256, SHA2-256 and DH group 14 are in
// both clouds' supported lists.
var gcpTransforms = struct {
	encryption, integrity []string
	dhGroups              []int
}{[]string{"AES256"}, []string{"SHA2-256"}, []int{14}}

// awsSide is what an AWS cell's gateway exposes to the rest of the mesh.
type awsSide struct {
	vgw *ec2.VpnGateway
	// conns are the VPN connections by plan.AWSConnection name; byPeer by
	// peer cell id and connection index.
	conns  map[string]*ec2.VpnConnection
	byPeer map[string]*[2]*ec2.VpnConnection
}

// tunnelAddress is the AWS outside IP of tunnel n (1 or 2) of conn.
func (s *awsSide) tunnelAddress(conn *ec2.VpnConnection, n int) pulumi.StringOutput {
	if n == 1 {
		return conn.Tunnel1Address
	}
	return conn.Tunnel2Address
}

// awsGateway builds the cell's virtual private gateway, attached to its VPC
// with the planned Amazon-side ASN, and turns on route propagation in every
// listed route table.
func (b *builder) awsGateway(g *gateway) error {
	c := g.cell
	g.aws = &awsSide{conns: map[string]*ec2.VpnConnection{}, byPeer: map[string]*[2]*ec2.VpnConnection{}}
	vgw, err := ec2.NewVpnGateway(b.ctx, b.res(c.ID, "vgw"), &ec2.VpnGatewayArgs{
		VpcId:         c.AWS.VpcID,
		AmazonSideAsn: pulumi.String(strconv.FormatInt(g.gw.AWS.AmazonSideASN, 10)),
		Tags:          g.tag.aws(c.ID + "-vgw"),
	}, b.on(g, nil)...)
	if err != nil {
		return fmt.Errorf("virtual private gateway: %w", err)
	}
	g.aws.vgw = vgw
	for i, rt := range c.AWS.RouteTableIDs {
		if _, err := ec2.NewVpnGatewayRoutePropagation(b.ctx, b.res(c.ID, "rt"+strconv.Itoa(i), "propagation"), &ec2.VpnGatewayRoutePropagationArgs{
			VpnGatewayId: vgw.ID(),
			RouteTableId: rt,
		}, b.on(g, nil)...); err != nil {
			return fmt.Errorf("route propagation into route table %d: %w", i, err)
		}
	}
	return nil
}

// awsConnections builds, for every AWS cell and every planned connection, a
// customer gateway holding the peer's public IP and a BGP VPN connection
// whose two tunnels carry the planned inside CIDRs and keys. The peer's IP
// exists before its gateway is complete (Azure public IP, GCP HA VPN
// interface), so nothing here waits for the peer's tunnels.
func (b *builder) awsConnections() error {
	for _, g := range b.order {
		if g.aws == nil {
			continue
		}
		for _, cn := range g.gw.AWS.Connections {
			conn, err := b.awsConnection(g, cn)
			if err != nil {
				return fmt.Errorf("cell %s, connection %s: %w", g.cell.ID, cn.Name, err)
			}
			g.aws.conns[cn.Name] = conn
			if g.aws.byPeer[cn.Peer] == nil {
				g.aws.byPeer[cn.Peer] = &[2]*ec2.VpnConnection{}
			}
			g.aws.byPeer[cn.Peer][cn.Index] = conn
		}
	}
	return nil
}

func (b *builder) awsConnection(g *gateway, cn plan.AWSConnection) (*ec2.VpnConnection, error) {
	peer := b.gws[cn.Peer]
	var peerIP pulumi.StringOutput
	switch cn.PeerCloud {
	case fabric.Azure:
		peerIP = peer.azure.ip(cn.PeerInterface)
	case fabric.GCP:
		peerIP = peer.gcp.ip(cn.PeerInterface)
	default:
		return nil, fmt.Errorf("peer %s is on %s: the plan never pairs AWS with itself over VPN", cn.Peer, cn.PeerCloud)
	}
	cgwArgs := &ec2.CustomerGatewayArgs{
		IpAddress: peerIP,
		Type:      pulumi.String("ipsec.1"),
		Tags:      g.tag.aws(cn.Name),
	}
	asn := pulumi.String(strconv.FormatInt(cn.PeerASN, 10))
	if cn.ExtendedASN {
		cgwArgs.BgpAsnExtended = asn
	} else {
		cgwArgs.BgpAsn = asn
	}
	cgw, err := ec2.NewCustomerGateway(b.ctx, b.res(cn.Name, "cgw"), cgwArgs, b.on(g, nil)...)
	if err != nil {
		return nil, fmt.Errorf("customer gateway: %w", err)
	}
	t1, t2 := b.tunnels[cn.Tunnels[0]], b.tunnels[cn.Tunnels[1]]
	ike := pulumi.StringArray{pulumi.String("ikev" + strconv.Itoa(b.plan.IKEVersion))}
	args := &ec2.VpnConnectionArgs{
		CustomerGatewayId:    cgw.ID(),
		VpnGatewayId:         g.aws.vgw.ID(),
		Type:                 pulumi.String("ipsec.1"),
		StaticRoutesOnly:     pulumi.Bool(false),
		Tunnel1InsideCidr:    pulumi.String(t1.InsideCIDR),
		Tunnel2InsideCidr:    pulumi.String(t2.InsideCIDR),
		Tunnel1PresharedKey:  b.keys[t1.ID],
		Tunnel2PresharedKey:  b.keys[t2.ID],
		Tunnel1IkeVersions:   ike,
		Tunnel2IkeVersions:   ike,
		Tunnel1StartupAction: pulumi.String("start"),
		Tunnel2StartupAction: pulumi.String("start"),
		Tags:                 g.tag.aws(cn.Name),
	}
	if cn.PeerCloud == fabric.GCP {
		enc, integ, dh := pulumi.ToStringArray(gcpTransforms.encryption), pulumi.ToStringArray(gcpTransforms.integrity), pulumi.ToIntArray(gcpTransforms.dhGroups)
		args.Tunnel1Phase1EncryptionAlgorithms, args.Tunnel2Phase1EncryptionAlgorithms = enc, enc
		args.Tunnel1Phase2EncryptionAlgorithms, args.Tunnel2Phase2EncryptionAlgorithms = enc, enc
		args.Tunnel1Phase1IntegrityAlgorithms, args.Tunnel2Phase1IntegrityAlgorithms = integ, integ
		args.Tunnel1Phase2IntegrityAlgorithms, args.Tunnel2Phase2IntegrityAlgorithms = integ, integ
		args.Tunnel1Phase1DhGroupNumbers, args.Tunnel2Phase1DhGroupNumbers = dh, dh
		args.Tunnel1Phase2DhGroupNumbers, args.Tunnel2Phase2DhGroupNumbers = dh, dh
	}
	conn, err := ec2.NewVpnConnection(b.ctx, b.res(cn.Name, "vpn"), args, b.on(g, nil)...)
	if err != nil {
		return nil, fmt.Errorf("vpn connection: %w", err)
	}
	return conn, nil
}

// awsFirewall admits every other cell's CIDR into, and lets traffic to it
// out of, each listed security group (all protocols; nothing else).
func (b *builder) awsFirewall(g *gateway) error {
	c := g.cell
	for i, sg := range c.AWS.SecurityGroupIDs {
		for _, other := range b.args.Cells {
			if other.ID == c.ID {
				continue
			}
			in := b.res(c.ID, "sg"+strconv.Itoa(i), "from", other.ID)
			if _, err := vpc.NewSecurityGroupIngressRule(b.ctx, in, &vpc.SecurityGroupIngressRuleArgs{
				SecurityGroupId: sg,
				Description:     pulumi.String("cellfabric mesh: from cell " + other.ID),
				IpProtocol:      pulumi.String("-1"),
				CidrIpv4:        pulumi.String(other.CIDR),
				Tags:            g.tag.aws(c.ID + "-from-" + other.ID),
			}, b.on(g, nil)...); err != nil {
				return fmt.Errorf("security group %d, ingress from %s: %w", i, other.ID, err)
			}
			out := b.res(c.ID, "sg"+strconv.Itoa(i), "to", other.ID)
			if _, err := vpc.NewSecurityGroupEgressRule(b.ctx, out, &vpc.SecurityGroupEgressRuleArgs{
				SecurityGroupId: sg,
				Description:     pulumi.String("cellfabric mesh: to cell " + other.ID),
				IpProtocol:      pulumi.String("-1"),
				CidrIpv4:        pulumi.String(other.CIDR),
				Tags:            g.tag.aws(c.ID + "-to-" + other.ID),
			}, b.on(g, nil)...); err != nil {
				return fmt.Errorf("security group %d, egress to %s: %w", i, other.ID, err)
			}
		}
	}
	return nil
}
