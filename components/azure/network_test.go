package azure

import (
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/stacks"
)

// TestNetworkLayout: the VNet spans the cell's CIDR, the subnets are the
// planner's, the apps subnet is delegated to Container Apps and guarded by
// the NSG, and GatewaySubnet is there under that exact name, bare.
func TestNetworkLayout(t *testing.T) {
	t.Parallel()
	r := mustShared(t)
	plan, err := stacks.PlanNetwork(stacks.Cell{ID: "azure-weu", Cloud: fabric.Azure, CIDR: "10.20.0.0/16", MaxInstances: 5})
	if err != nil {
		t.Fatal(err)
	}
	wantApps, _ := plan.Subnet("apps")
	wantGW, _ := plan.Subnet("GatewaySubnet")

	vnet := r.One(t, tVNet)
	if got := strs(in(vnet, "addressSpace", "addressPrefixes")); !slices.Equal(got, []string{"10.20.0.0/16"}) {
		t.Errorf("VNet address space = %v", got)
	}
	subnets := r.Rec.OfType(tSubnet)
	if len(subnets) != 2 {
		t.Fatalf("%d subnets, want apps and GatewaySubnet", len(subnets))
	}
	apps := r.Named(t, tSubnet, "cell-apps")
	if got := s(apps, "subnetName"); got != "apps" {
		t.Errorf("apps subnet name = %q", got)
	}
	if got := s(apps, "addressPrefix"); got != wantApps.CIDR.String() {
		t.Errorf("apps subnet = %s, want the plan's %s", got, wantApps.CIDR)
	}
	if got := s(apps, "delegations", 0, "serviceName"); got != "Microsoft.App/environments" {
		t.Errorf("apps subnet delegated to %q, want Microsoft.App/environments", got)
	}
	if got := s(apps, "networkSecurityGroup", "id"); got != r.One(t, tNSG).ID {
		t.Errorf("apps subnet NSG = %q, want %q", got, r.One(t, tNSG).ID)
	}
	if got := s(apps, "serviceEndpoints", 0, "service"); got != "Microsoft.Storage" {
		t.Errorf("apps subnet service endpoint = %q", got)
	}

	gw := r.Named(t, tSubnet, "cell-gateway")
	if got := s(gw, "subnetName"); got != "GatewaySubnet" {
		t.Errorf("gateway subnet name = %q, want exactly GatewaySubnet", got)
	}
	if got := s(gw, "addressPrefix"); got != wantGW.CIDR.String() {
		t.Errorf("GatewaySubnet = %s, want the plan's %s", got, wantGW.CIDR)
	}
	for _, k := range []string{"networkSecurityGroup", "delegations", "routeTable"} {
		if !in(gw, k).IsNull() {
			t.Errorf("GatewaySubnet has %s; the VPN gateway needs it bare", k)
		}
	}
	if !slices.Contains(gw.DependsOn, apps.URN) {
		t.Error("GatewaySubnet does not wait for the apps subnet (concurrent VNet updates fail)")
	}
	for _, sn := range subnets {
		if s(sn, "virtualNetworkName") != s(vnet, "virtualNetworkName") {
			t.Errorf("subnet %s is in VNet %q", sn.Name, s(sn, "virtualNetworkName"))
		}
	}
}

// openSources are NSG sources and restriction ranges that mean "anyone".
var openSources = []string{"*", "internet", "any", "0.0.0.0/0", "::/0", "0.0.0.0", "::"}

func isOpen(src string) bool { return slices.Contains(openSources, strings.ToLower(src)) }

// TestIngressOnlyFromEdge: no NSG rule and no app IP restriction admits
// everyone; the edge rule and the restrictions are exactly the edge's IPv4
// ranges (the endpoint is IPv4-only); the load balancer rule is the only
// other inbound allow.
func TestIngressOnlyFromEdge(t *testing.T) {
	t.Parallel()
	r := mustShared(t)
	nsg := r.One(t, tNSG)
	if v, ok := nsg.Inputs["securityRules"]; ok && !v.IsNull() {
		t.Fatalf("the NSG declares inline rules %v: they would delete the mesh's separate rule on update", v)
	}
	rules := r.Rec.OfType("azure-native:network:SecurityRule")
	if len(rules) != 2 {
		t.Fatalf("%d NSG rules, want the edge and load balancer rules", len(rules))
	}
	for _, res := range rules {
		if got := res.Inputs["networkSecurityGroupName"]; !got.IsString() || got.StringValue() != nsg.Outputs["name"].StringValue() {
			t.Errorf("rule %s is on NSG %v, want %v", res.Name, got, nsg.Outputs["name"])
		}
		rule := resource.NewObjectProperty(res.Inputs)
		name := at(rule, "securityRuleName").StringValue()
		srcs := strs(at(rule, "sourceAddressPrefixes"))
		if v := at(rule, "sourceAddressPrefix"); v.IsString() {
			srcs = append(srcs, v.StringValue())
		}
		if len(srcs) == 0 {
			t.Errorf("rule %s has no source (Azure would read it as any)", name)
		}
		inbound := at(rule, "direction").StringValue() == "Inbound" && at(rule, "access").StringValue() == "Allow"
		for _, src := range srcs {
			if inbound && isOpen(src) {
				t.Errorf("rule %s admits %q", name, src)
			}
		}
		switch name {
		case "allow-edge-https":
			if !slices.Equal(srcs, cloudflareV4) {
				t.Errorf("edge rule sources = %v, want %v", srcs, cloudflareV4)
			}
			if got := strs(at(rule, "destinationPortRanges")); !slices.Equal(got, []string{"443", "31443"}) {
				t.Errorf("edge rule ports = %v", got)
			}
		case "allow-azure-load-balancer":
			if !slices.Equal(srcs, []string{"AzureLoadBalancer"}) {
				t.Errorf("load balancer rule sources = %v", srcs)
			}
		default:
			t.Errorf("unexpected NSG rule %s", name)
		}
	}

	app := r.One(t, tApp)
	restr := in(app, "configuration", "ingress", "ipSecurityRestrictions")
	var ranges []string
	for i := range restr.ArrayValue() {
		rule := at(restr, i)
		if got := at(rule, "action").StringValue(); got != "Allow" {
			t.Errorf("restriction %d action = %q; mixing Deny makes the list a block list", i, got)
		}
		rng := at(rule, "ipAddressRange").StringValue()
		if isOpen(rng) {
			t.Errorf("restriction %d admits %q", i, rng)
		}
		ranges = append(ranges, rng)
	}
	if !slices.Equal(ranges, cloudflareV4) {
		t.Errorf("app restrictions = %v, want the edge's IPv4 ranges %v", ranges, cloudflareV4)
	}
}
