package vpn

import (
	"fmt"
	"net/netip"
	"strconv"
	"testing"

	"github.com/cellfabric/cellfabric/components/vpn/plan"
	"github.com/cellfabric/cellfabric/fabric"
)

// view is one tunnel end as the recorded resources on that side state it,
// read without the plan (except to find the resources by name).
type view struct {
	cidr           string // the inside /30 this side states; "" on Azure, which states addresses only
	addr, peerAddr string // this side's and the peer's BGP addresses
	asn, peerASN   int64  // this side's and the peer's ASNs
	key            string // the pre-shared key this side uses
	keySecret      bool
	peerIP         string // the peer's public IP this side is configured with
	ownIP          string // this side's public IP for the tunnel (the fake output)
}

func asn(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("ASN %q: %v", s, err)
	}
	return n
}

// hostOf returns the n-th address of a /30.
func hostOf(t *testing.T, cidr string, n int) string {
	t.Helper()
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		t.Fatalf("inside CIDR %q: %v", cidr, err)
	}
	a := p.Addr()
	for range n {
		a = a.Next()
	}
	return a.String()
}

// interfaceIP finds interface id in an array of {id, ipAddress} objects.
func interfaceIP(arr any, id float64) string {
	list, _ := arr.([]any)
	for _, e := range list {
		m, _ := e.(map[string]any)
		if f, _ := m["id"].(float64); f == id {
			s, _ := m["ipAddress"].(string)
			return s
		}
	}
	return ""
}

func (d *deployment) awsView(t *testing.T, e plan.End) view {
	conn := d.get(t, tVPNConn, e.AWS.Connection, "vpn")
	n := e.AWS.TunnelNumber
	cidr := in(conn, fmt.Sprintf("tunnel%dInsideCidr", n))
	vgw := d.byID(t, tVGW, in(conn, "vpnGatewayId"))
	cgw := d.byID(t, tCGW, in(conn, "customerGatewayId"))
	keyField := fmt.Sprintf("tunnel%dPresharedKey", n)
	return view{
		cidr: cidr,
		// AWS takes the first host of the /30 and expects the peer on the
		// second: the side states it by the CIDR alone.
		addr: hostOf(t, cidr, 1), peerAddr: hostOf(t, cidr, 2),
		asn: asn(t, in(vgw, "amazonSideAsn")), peerASN: asn(t, in(cgw, "bgpAsn")),
		key: in(conn, keyField), keySecret: isSecret(conn, keyField),
		peerIP: in(cgw, "ipAddress"), ownIP: out(conn, fmt.Sprintf("tunnel%dAddress", n)),
	}
}

func (d *deployment) azureView(t *testing.T, e plan.End) view {
	cn := d.get(t, tAzConn, e.Azure.LocalGateway, "connection")
	lng := d.byID(t, tLNG, in(cn, "localNetworkGateway2", "id"))
	gw := d.byID(t, tVNG, in(cn, "virtualNetworkGateway1", "id"))
	ipconf := azureIPConfigs[e.Azure.Instance]
	v := view{
		peerAddr: in(lng, "bgpSettings", "bgpPeeringAddress"),
		asn:      int64(num(gw, "bgpSettings", "asn")), peerASN: int64(num(lng, "bgpSettings", "asn")),
		key: in(cn, "sharedKey"), keySecret: isSecret(cn, "sharedKey"),
		peerIP: in(lng, "gatewayIpAddress"),
	}
	for i := range 2 {
		if in(cn, "gatewayCustomBgpIpAddresses", i, "ipConfigurationId") == gw.ID+"/ipConfigurations/"+ipconf {
			v.addr = in(cn, "gatewayCustomBgpIpAddresses", i, "customBgpIpAddress")
		}
		if in(gw, "ipConfigurations", i, "name") == ipconf {
			pip := d.byID(t, tPIP, in(gw, "ipConfigurations", i, "publicIPAddress", "id"))
			v.ownIP = out(pip, "ipAddress")
		}
	}
	return v
}

func (d *deployment) gcpView(t *testing.T, id string) view {
	tun := d.get(t, tTunnel, id, "tunnel")
	iface := d.get(t, tRouterIf, id, "router-if")
	peer := d.get(t, tRouterPeer, id, "bgp-peer")
	if in(iface, "vpnTunnel") != out(tun, "name") || in(peer, "interface") != out(iface, "name") {
		t.Errorf("%s: router interface → tunnel %q (want %q), BGP peer → interface %q (want %q)",
			id, in(iface, "vpnTunnel"), out(tun, "name"), in(peer, "interface"), out(iface, "name"))
	}
	ipRange, err := netip.ParsePrefix(in(iface, "ipRange"))
	if err != nil || ipRange.Bits() != 30 {
		t.Fatalf("%s: router interface ipRange %q is not an address/30", id, in(iface, "ipRange"))
	}
	if in(peer, "ipAddress") != ipRange.Addr().String() {
		t.Errorf("%s: BGP peer ipAddress %q is not the interface's %s", id, in(peer, "ipAddress"), ipRange.Addr())
	}
	router := d.byID(t, tRouter, in(tun, "router"))
	ext := d.byID(t, tExtGW, in(tun, "peerExternalGateway"))
	ha := d.byID(t, tHAVPN, in(tun, "vpnGateway"))
	return view{
		cidr: ipRange.Masked().String(),
		addr: ipRange.Addr().String(), peerAddr: in(peer, "peerIpAddress"),
		asn: int64(num(router, "bgp", "asn")), peerASN: int64(num(peer, "peerAsn")),
		key: in(tun, "sharedSecret"), keySecret: isSecret(tun, "sharedSecret"),
		peerIP: interfaceIP(at(ext.Inputs, "interfaces"), num(tun, "peerExternalGatewayInterface")),
		ownIP:  interfaceIP(at(ha.Outputs, "vpnInterfaces"), num(tun, "vpnGatewayInterface")),
	}
}

func (d *deployment) view(t *testing.T, tun plan.Tunnel, e plan.End) view {
	switch e.Cloud {
	case fabric.AWS:
		return d.awsView(t, e)
	case fabric.Azure:
		return d.azureView(t, e)
	default:
		return d.gcpView(t, tun.ID)
	}
}

// TestTunnelEndsAgree reads both ends of every dev tunnel from the recorded
// resources and checks they describe one tunnel: the same inside /30, each
// side's BGP address the other's peer address, each side's ASN the other's
// peer ASN, the same secret key, and each side aimed at the other's actual
// public IP.
func TestTunnelEndsAgree(t *testing.T) {
	t.Parallel()
	d := dev(t)
	asnOf := map[string]int64{}
	for _, c := range devCells {
		asnOf[c.id] = c.asn
	}
	tunnels := d.allTunnels()
	if len(tunnels) != 16 {
		t.Fatalf("%d tunnels in the dev mesh, want 16 (4 AWS↔Azure, 2×4 AWS↔GCP, 2×2 Azure↔GCP)", len(tunnels))
	}
	for _, tun := range tunnels {
		t.Run(tun.ID, func(t *testing.T) {
			t.Parallel()
			a, b := d.view(t, tun, tun.A), d.view(t, tun, tun.B)
			inside, err := netip.ParsePrefix(tun.InsideCIDR)
			if err != nil {
				t.Fatal(err)
			}
			for side, v := range map[string]view{"a": a, "b": b} {
				if v.cidr != "" && v.cidr != tun.InsideCIDR {
					t.Errorf("end %s states inside CIDR %s, the plan %s", side, v.cidr, tun.InsideCIDR)
				}
				network := inside.Masked().Addr()
				broadcast := network.Next().Next().Next()
				for _, addr := range []string{v.addr, v.peerAddr} {
					ip, err := netip.ParseAddr(addr)
					if err != nil || !inside.Contains(ip) || ip == network || ip == broadcast {
						t.Errorf("end %s: BGP address %q is not a host of %s", side, addr, inside)
					}
				}
				if v.key == "" || !v.keySecret {
					t.Errorf("end %s: key set %v, secret %v; want a secret key", side, v.key != "", v.keySecret)
				}
				if v.peerIP == "" || v.ownIP == "" {
					t.Errorf("end %s: peer IP %q, own IP %q; want both", side, v.peerIP, v.ownIP)
				}
			}
			if a.addr == b.addr || a.addr != b.peerAddr || b.addr != a.peerAddr {
				t.Errorf("BGP addresses: a %s (peer %s), b %s (peer %s); want complementary", a.addr, a.peerAddr, b.addr, b.peerAddr)
			}
			if a.addr != tun.A.BGPAddress || b.addr != tun.B.BGPAddress {
				t.Errorf("BGP addresses a %s, b %s; the plan says %s, %s", a.addr, b.addr, tun.A.BGPAddress, tun.B.BGPAddress)
			}
			if a.asn != asnOf[tun.A.Cell] || b.asn != asnOf[tun.B.Cell] || a.peerASN != b.asn || b.peerASN != a.asn {
				t.Errorf("ASNs: a %d (peer %d), b %d (peer %d); cells %s=%d, %s=%d",
					a.asn, a.peerASN, b.asn, b.peerASN, tun.A.Cell, asnOf[tun.A.Cell], tun.B.Cell, asnOf[tun.B.Cell])
			}
			if a.key != b.key {
				t.Error("the two ends use different pre-shared keys")
			}
			pw := d.get(t, tPassword, tun.KeyName)
			if want := out(pw, "result"); a.key != want {
				t.Errorf("the ends' key is not the result of %s", pw.Name)
			}
			if a.peerIP != b.ownIP || b.peerIP != a.ownIP {
				t.Errorf("public IPs: a aims at %s, b is %s; b aims at %s, a is %s", a.peerIP, b.ownIP, b.peerIP, a.ownIP)
			}
		})
	}
}

// TestPublicIPsDistinct guards the wiring checks above: they compare fake
// IPs, which only tell ends apart when no two coincide.
func TestPublicIPsDistinct(t *testing.T) {
	t.Parallel()
	d := dev(t)
	seen := map[string]string{}
	add := func(ip, what string) {
		if ip == "" {
			t.Errorf("%s has no public IP", what)
		} else if prev, dup := seen[ip]; dup {
			t.Errorf("%s and %s share the fake IP %s: change a fake seed in components/recorder/fakes_vpn.go", prev, what, ip)
		}
		seen[ip] = what
	}
	for _, r := range d.rec.OfType(tVPNConn) {
		add(out(r, "tunnel1Address"), r.Name+" tunnel 1")
		add(out(r, "tunnel2Address"), r.Name+" tunnel 2")
	}
	for _, r := range d.rec.OfType(tPIP) {
		add(out(r, "ipAddress"), r.Name)
	}
	for _, r := range d.rec.OfType(tHAVPN) {
		for i := range 2 {
			add(out(r, "vpnInterfaces", i, "ipAddress"), fmt.Sprintf("%s interface %d", r.Name, i))
		}
	}
	if len(seen) != 6*2+2+2*2 {
		t.Errorf("%d public IPs, want 18 (6 AWS connections × 2, 2 Azure, 2 GCP gateways × 2)", len(seen))
	}
}
