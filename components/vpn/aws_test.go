package vpn

import (
	"slices"
	"strings"
	"testing"
)

// TestAWSGateway checks the VGW: attached to the cell's VPC with the planned
// ASN, and route propagation on exactly the listed route tables.
func TestAWSGateway(t *testing.T) {
	t.Parallel()
	d := dev(t)
	vgw := d.get(t, tVGW, "aws-use1", "vgw")
	if in(vgw, "vpcId") != "vpc-aws-use1" || in(vgw, "amazonSideAsn") != "64610" {
		t.Errorf("VGW vpcId %q, amazonSideAsn %q; want vpc-aws-use1, 64610", in(vgw, "vpcId"), in(vgw, "amazonSideAsn"))
	}
	var tables []string
	for _, p := range d.rec.OfType(tPropagate) {
		if in(p, "vpnGatewayId") != vgw.ID {
			t.Errorf("%s propagates from %q, not the VGW %s", p.Name, in(p, "vpnGatewayId"), vgw.ID)
		}
		tables = append(tables, in(p, "routeTableId"))
	}
	slices.Sort(tables)
	want := awsRouteTables("aws-use1")
	slices.Sort(want)
	if !slices.Equal(tables, want) {
		t.Errorf("route propagation into %v, want every listed table %v", tables, want)
	}
}

// TestAWSConnections checks every VPN connection: BGP (not static), on the
// VGW, IKE version, tunnels started by AWS, and one transform set per phase
// exactly toward GCP peers.
func TestAWSConnections(t *testing.T) {
	t.Parallel()
	d := dev(t)
	vgw := d.get(t, tVGW, "aws-use1", "vgw")
	conns := d.rec.OfType(tVPNConn)
	if len(conns) == 0 {
		t.Fatal("no VPN connection")
	}
	for _, c := range conns {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			if at(c.Inputs, "staticRoutesOnly") != false || in(c, "type") != "ipsec.1" || in(c, "vpnGatewayId") != vgw.ID {
				t.Errorf("staticRoutesOnly %v, type %q, vpnGatewayId %q; want false, ipsec.1, %s",
					at(c.Inputs, "staticRoutesOnly"), in(c, "type"), in(c, "vpnGatewayId"), vgw.ID)
			}
			cgw := d.byID(t, tCGW, in(c, "customerGatewayId"))
			if in(cgw, "type") != "ipsec.1" || in(cgw, "bgpAsn") == "" {
				t.Errorf("customer gateway type %q, bgpAsn %q", in(cgw, "type"), in(cgw, "bgpAsn"))
			}
			toGCP := strings.Contains(c.Name, "-to-gcp-")
			for _, n := range []string{"1", "2"} {
				tn := "tunnel" + n
				if v := strs(c, tn+"IkeVersions"); !slices.Equal(v, []string{"ikev2"}) {
					t.Errorf("%sIkeVersions %v, want [ikev2]", tn, v)
				}
				if in(c, tn+"StartupAction") != "start" {
					t.Errorf("%sStartupAction %q, want start", tn, in(c, tn+"StartupAction"))
				}
				for _, phase := range []string{"Phase1", "Phase2"} {
					enc, integ := strs(c, tn+phase+"EncryptionAlgorithms"), strs(c, tn+phase+"IntegrityAlgorithms")
					dh, _ := at(c.Inputs, tn+phase+"DhGroupNumbers").([]any)
					if toGCP && (!slices.Equal(enc, []string{"AES256"}) || !slices.Equal(integ, []string{"SHA2-256"}) || len(dh) != 1 || dh[0] != 14.0) {
						t.Errorf("%s %s toward GCP: %v %v %v; want one transform set AES256 / SHA2-256 / 14", tn, phase, enc, integ, dh)
					}
					if !toGCP && (enc != nil || integ != nil || dh != nil) {
						t.Errorf("%s %s toward Azure restricts the proposals (%v %v %v); Microsoft's guide keeps AWS's defaults", tn, phase, enc, integ, dh)
					}
				}
			}
		})
	}
}
