package vpn

import (
	"slices"
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/components/recorder"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// remote are the CIDRs of every dev cell but id, sorted.
func remote(id string) []string {
	var out []string
	for _, c := range devCells {
		if c.id != id {
			out = append(out, c.cidr)
		}
	}
	slices.Sort(out)
	return out
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// TestFirewallsAdmitOnlyRemoteCells checks each cloud's rules: exactly the
// other cells' CIDRs, toward the cell's own groups or network.
func TestFirewallsAdmitOnlyRemoteCells(t *testing.T) {
	t.Parallel()
	d := dev(t)
	t.Run("aws", func(t *testing.T) {
		t.Parallel()
		for _, typ := range []string{tSGIn, tSGOut} {
			var cidrs []string
			for _, r := range d.rec.OfType(typ) {
				if in(r, "securityGroupId") != awsTaskSG("aws-use1") || in(r, "ipProtocol") != "-1" {
					t.Errorf("%s: group %q, protocol %q; want the task group, all protocols", r.Name, in(r, "securityGroupId"), in(r, "ipProtocol"))
				}
				cidrs = append(cidrs, in(r, "cidrIpv4"))
			}
			if got := sorted(cidrs); !slices.Equal(got, remote("aws-use1")) {
				t.Errorf("%s CIDRs %v, want the other cells' %v", typ, got, remote("aws-use1"))
			}
		}
	})
	t.Run("azure", func(t *testing.T) {
		t.Parallel()
		r := d.get(t, tNSGRule, "azure-weu", "nsg-mesh")
		if got := sorted(strs(r, "sourceAddressPrefixes")); !slices.Equal(got, remote("azure-weu")) {
			t.Errorf("sources %v, want %v", got, remote("azure-weu"))
		}
		if in(r, "sourceAddressPrefix") != "" || in(r, "destinationAddressPrefix") != "10.20.0.0/16" {
			t.Errorf("sourceAddressPrefix %q, destination %q; want none, the cell's CIDR", in(r, "sourceAddressPrefix"), in(r, "destinationAddressPrefix"))
		}
		if in(r, "direction") != "Inbound" || in(r, "access") != "Allow" || in(r, "networkSecurityGroupName") != azureNSG("azure-weu") ||
			num(r, "priority") != NSGPriority {
			t.Errorf("rule %v", recorder.Plain(resource.NewObjectProperty(r.Inputs)))
		}
	})
	t.Run("gcp", func(t *testing.T) {
		t.Parallel()
		for _, id := range []string{"gcp-euw1", "gcp-usc1"} {
			r := d.get(t, tFirewall, id, "mesh-ingress")
			if got := sorted(strs(r, "sourceRanges")); !slices.Equal(got, remote(id)) {
				t.Errorf("%s sources %v, want %v", id, got, remote(id))
			}
			if in(r, "direction") != "INGRESS" || in(r, "network") != gcpNetwork(id) || in(r, "allows", 0, "protocol") != "all" {
				t.Errorf("%s: direction %q, network %q, protocol %q", id, in(r, "direction"), in(r, "network"), in(r, "allows", 0, "protocol"))
			}
		}
	})
}

// TestNothingOpenToTheInternet scans every string the mesh records for an
// any-address source.
func TestNothingOpenToTheInternet(t *testing.T) {
	t.Parallel()
	d := dev(t)
	var walk func(v resource.PropertyValue, path string)
	walk = func(v resource.PropertyValue, path string) {
		switch {
		case v.IsSecret():
			walk(v.SecretValue().Element, path)
		case v.IsArray():
			for _, e := range v.ArrayValue() {
				walk(e, path+"[]")
			}
		case v.IsObject():
			for k, e := range v.ObjectValue() {
				walk(e, path+"."+string(k))
			}
		case v.IsString():
			s := v.StringValue()
			lower := strings.ToLower(path)
			if s == "0.0.0.0/0" || s == "::/0" || ((strings.Contains(lower, "sourceaddress") || strings.Contains(lower, "sourcerange")) && (s == "*" || s == "Internet" || s == "0.0.0.0")) {
				t.Errorf("%s = %q", path, s)
			}
		}
	}
	for _, r := range d.rec.Resources() {
		walk(resource.NewObjectProperty(r.Inputs), r.Name)
	}
}
