package vpn

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"github.com/cellfabric/cellfabric/components/vpn/plan"
)

// TestAzureGateway checks the gateway: active-active, route-based, BGP with
// the planned ASN, an AZ SKU, both ipConfigurations in the GatewaySubnet on
// their own public IP, and each declaring the planned APIPA addresses under
// the id the gateway actually gets.
func TestAzureGateway(t *testing.T) {
	t.Parallel()
	d := dev(t)
	gw := d.get(t, tVNG, "azure-weu", "vpngw")
	checks := map[string][2]any{
		"activeActive": {at(gw.Inputs, "activeActive"), true},
		"enableBgp":    {at(gw.Inputs, "enableBgp"), true},
		"gatewayType":  {in(gw, "gatewayType"), "Vpn"},
		"vpnType":      {in(gw, "vpnType"), "RouteBased"},
		"sku.name":     {in(gw, "sku", "name"), DefaultAzureGatewaySKU},
		"sku.tier":     {in(gw, "sku", "tier"), DefaultAzureGatewaySKU},
		"bgp asn":      {num(gw, "bgpSettings", "asn"), 64620.0},
		"location":     {in(gw, "location"), "westeurope"},
		"group":        {in(gw, "resourceGroupName"), azureRG("azure-weu")},
	}
	for what, v := range checks {
		if v[0] != v[1] {
			t.Errorf("gateway %s = %v, want %v", what, v[0], v[1])
		}
	}
	var g plan.Gateway
	for _, x := range d.mesh.Plan.Gateways {
		if x.Cell == "azure-weu" {
			g = x
		}
	}
	pips := map[string]bool{}
	for i := range 2 {
		name := fmt.Sprintf("instance-%d", i)
		if in(gw, "ipConfigurations", i, "name") != name {
			t.Errorf("ipConfigurations[%d] is %q, want %s", i, in(gw, "ipConfigurations", i, "name"), name)
		}
		if s := in(gw, "ipConfigurations", i, "subnet", "id"); s != azureGatewaySubnet("azure-weu") {
			t.Errorf("ipConfigurations[%d] subnet %q, want the GatewaySubnet", i, s)
		}
		pip := d.byID(t, tPIP, in(gw, "ipConfigurations", i, "publicIPAddress", "id"))
		pips[pip.ID] = true
		if id := in(gw, "bgpSettings", "bgpPeeringAddresses", i, "ipconfigurationId"); id != gw.ID+"/ipConfigurations/"+name {
			t.Errorf("bgpPeeringAddresses[%d] names %q, want the gateway's own %s/ipConfigurations/%s", i, id, gw.ID, name)
		}
		addrs := strs(gw, "bgpSettings", "bgpPeeringAddresses", i, "customBgpIpAddresses")
		if len(addrs) == 0 || !slices.Equal(addrs, g.Azure.BGPAddresses[i]) {
			t.Errorf("instance %d declares %v, the plan %v", i, addrs, g.Azure.BGPAddresses[i])
		}
		for _, a := range addrs {
			if ip, err := netip.ParseAddr(a); err != nil || !plan.InAPIPA(ip) {
				t.Errorf("instance %d: %q is outside Azure's APIPA range", i, a)
			}
		}
	}
	if len(pips) != 2 {
		t.Errorf("the two instances use %d distinct public IPs, want 2", len(pips))
	}
}

// TestAzurePublicIPs checks both gateway IPs are Standard, static and
// zone-redundant, unless the cell says its region has no zones.
func TestAzurePublicIPs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		noZones bool
		zones   []string
	}{
		{name: "zone-redundant", zones: []string{"1", "2", "3"}},
		{name: "region without zones", noZones: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d, err := run(devCells, func(a *MeshArgs) { a.Cells[1].Azure.NoZones = tc.noZones })
			if err != nil {
				t.Fatal(err)
			}
			pips := d.rec.OfType(tPIP)
			if len(pips) != 2 {
				t.Fatalf("%d public IPs, want 2", len(pips))
			}
			for _, p := range pips {
				if in(p, "sku", "name") != "Standard" || in(p, "publicIPAllocationMethod") != "Static" || in(p, "publicIPAddressVersion") != "IPv4" {
					t.Errorf("%s: sku %q, allocation %q, version %q; want Standard, Static, IPv4",
						p.Name, in(p, "sku", "name"), in(p, "publicIPAllocationMethod"), in(p, "publicIPAddressVersion"))
				}
				if z := strs(p, "zones"); !slices.Equal(z, tc.zones) {
					t.Errorf("%s: zones %v, want %v", p.Name, z, tc.zones)
				}
			}
		})
	}
}

// TestAzureConnections checks every connection: IPsec with BGP on the
// gateway object, to its own local network gateway, with one custom BGP
// address per ipConfiguration.
func TestAzureConnections(t *testing.T) {
	t.Parallel()
	d := dev(t)
	gw := d.get(t, tVNG, "azure-weu", "vpngw")
	lngs := map[string]bool{}
	for _, c := range d.rec.OfType(tAzConn) {
		if in(c, "connectionType") != "IPsec" || in(c, "connectionProtocol") != "IKEv2" || at(c.Inputs, "enableBgp") != true {
			t.Errorf("%s: type %q, protocol %q, BGP %v; want IPsec, IKEv2, true", c.Name, in(c, "connectionType"), in(c, "connectionProtocol"), at(c.Inputs, "enableBgp"))
		}
		if in(c, "virtualNetworkGateway1", "id") != gw.ID {
			t.Errorf("%s: virtualNetworkGateway1 %v, want the object {id: %s}", c.Name, at(c.Inputs, "virtualNetworkGateway1"), gw.ID)
		}
		lng := in(c, "localNetworkGateway2", "id")
		d.byID(t, tLNG, lng)
		if lngs[lng] {
			t.Errorf("%s: local network gateway %s already has a connection", c.Name, lng)
		}
		lngs[lng] = true
		for i := range 2 {
			want := fmt.Sprintf("%s/ipConfigurations/instance-%d", gw.ID, i)
			if id := in(c, "gatewayCustomBgpIpAddresses", i, "ipConfigurationId"); id != want {
				t.Errorf("%s: gatewayCustomBgpIpAddresses[%d] for %q, want %s", c.Name, i, id, want)
			}
			addr := in(c, "gatewayCustomBgpIpAddresses", i, "customBgpIpAddress")
			if !slices.Contains(strs(gw, "bgpSettings", "bgpPeeringAddresses", i, "customBgpIpAddresses"), addr) {
				t.Errorf("%s: custom address %q is not one instance %d declares", c.Name, addr, i)
			}
		}
	}
	if len(lngs) != 8 {
		t.Errorf("%d local network gateways with a connection, want 8", len(lngs))
	}
}
