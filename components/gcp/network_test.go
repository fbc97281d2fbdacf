package gcp

import (
	"testing"

	"github.com/cellfabric/cellfabric/fabric"
)

// TestNetworkFollowsThePlan: a custom-mode network, and one subnetwork, the
// plan's "workloads" block in the cell's region, with Private Google Access
// and sampled flow logs; the plan's reserved half stays unused.
func TestNetworkFollowsThePlan(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, cidr, want string }{
		{"a /16", "10.30.0.0/16", "10.30.0.0/17"},
		{"the smallest block", "10.44.8.0/24", "10.44.8.0/25"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := baseArgs()
			args.CIDR = tc.cidr
			args.MaxInstances = 3
			d := deploy(t, args, false)
			_, plan, err := args.Normalize(fabric.GCP)
			if err != nil {
				t.Fatal(err)
			}
			if ws, _ := plan.Subnet("workloads"); ws.CIDR.String() != tc.want {
				t.Fatalf("plan gives %s, test expects %s", ws.CIDR, tc.want)
			}
			net := d.One(t, typeNetwork)
			if b, ok := in(net, "autoCreateSubnetworks").(bool); !ok || b {
				t.Error("the network is not custom-mode")
			}
			sub := d.One(t, typeSubnetwork)
			if str(sub, "ipCidrRange") != tc.want || str(sub, "region") != testRegion || str(sub, "network") != net.ID {
				t.Errorf("subnetwork = %v", sub.Inputs)
			}
			if b, _ := in(sub, "privateIpGoogleAccess").(bool); !b {
				t.Error("Private Google Access is off")
			}
			if s := num(sub, "logConfig", "flowSampling"); s <= 0 || s > 1 {
				t.Errorf("flow log sampling %v", s)
			}
			for _, r := range plan.Reserved {
				for _, s := range d.Rec.OfType(typeSubnetwork) {
					if str(s, "ipCidrRange") == r.String() {
						t.Errorf("reserved block %s is used", r)
					}
				}
			}
		})
	}
}

// TestNoFirewallRules: the cell opens nothing in its VPC; GCP's implied
// rules deny all ingress, so in particular nothing admits 0.0.0.0/0.
func TestNoFirewallRules(t *testing.T) {
	t.Parallel()
	d := deploy(t, baseArgs(), false)
	if fw := d.Rec.OfType(typeFirewall); len(fw) != 0 {
		t.Errorf("%d firewall rules", len(fw))
	}
}
