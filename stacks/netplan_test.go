package stacks

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/fabric"
)

func TestPlanNetworkLayouts(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		cell     Cell
		subnets  map[string]string
		reserved []string
	}{
		{
			name: "aws two zones",
			cell: Cell{Cloud: fabric.AWS, CIDR: "10.10.0.0/16", Zones: 2, MaxInstances: 3},
			subnets: map[string]string{
				"private-0": "10.10.0.0/18", "private-1": "10.10.64.0/18",
				"public-0": "10.10.192.0/20", "public-1": "10.10.208.0/20",
			},
			reserved: []string{"10.10.128.0/18", "10.10.224.0/20", "10.10.240.0/20"},
		},
		{
			name: "aws three zones",
			cell: Cell{Cloud: fabric.AWS, CIDR: "10.10.0.0/16", Zones: 3, MaxInstances: 3},
			subnets: map[string]string{
				"private-0": "10.10.0.0/18", "private-1": "10.10.64.0/18", "private-2": "10.10.128.0/18",
				"public-0": "10.10.192.0/20", "public-1": "10.10.208.0/20", "public-2": "10.10.224.0/20",
			},
			reserved: []string{"10.10.240.0/20"},
		},
		{
			name:     "aws smallest",
			cell:     Cell{Cloud: fabric.AWS, CIDR: "192.168.4.0/23", MaxInstances: 3},
			subnets:  map[string]string{"private-0": "192.168.4.0/25", "private-1": "192.168.4.128/25", "public-0": "192.168.5.128/27", "public-1": "192.168.5.160/27"},
			reserved: []string{"192.168.5.0/25", "192.168.5.192/27", "192.168.5.224/27"},
		},
		{
			name:     "azure",
			cell:     Cell{Cloud: fabric.Azure, CIDR: "10.20.0.0/16", MaxInstances: 3},
			subnets:  map[string]string{"apps": "10.20.0.0/17", "GatewaySubnet": "10.20.128.0/27"},
			reserved: []string{"10.20.128.32/27", "10.20.128.64/26", "10.20.128.128/25", "10.20.129.0/24", "10.20.130.0/23", "10.20.132.0/22", "10.20.136.0/21", "10.20.144.0/20", "10.20.160.0/19", "10.20.192.0/18"},
		},
		{
			name:     "azure smallest",
			cell:     Cell{Cloud: fabric.Azure, CIDR: "10.20.0.0/24", MaxInstances: 3},
			subnets:  map[string]string{"apps": "10.20.0.0/25", "GatewaySubnet": "10.20.0.128/27"},
			reserved: []string{"10.20.0.160/27", "10.20.0.192/26"},
		},
		{
			name:     "gcp",
			cell:     Cell{Cloud: fabric.GCP, CIDR: "172.16.0.0/20", MaxInstances: 3},
			subnets:  map[string]string{"workloads": "172.16.0.0/21"},
			reserved: []string{"172.16.8.0/21"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			plan, err := PlanNetwork(tc.cell)
			if err != nil {
				t.Fatal(err)
			}
			for name, want := range tc.subnets {
				s, ok := plan.Subnet(name)
				if !ok || s.CIDR.String() != want {
					t.Errorf("subnet %s = %v (found %v), want %s", name, s.CIDR, ok, want)
				}
			}
			if len(plan.Subnets) != len(tc.subnets) {
				t.Errorf("%d subnets, want %d: %v", len(plan.Subnets), len(tc.subnets), plan.Subnets)
			}
			var res []string
			for _, r := range plan.Reserved {
				res = append(res, r.String())
			}
			if strings.Join(res, " ") != strings.Join(tc.reserved, " ") {
				t.Errorf("reserved = %v, want %v", res, tc.reserved)
			}
			assertTiles(t, plan)
		})
	}
}

// assertTiles checks that subnets and reserved blocks cover the cell's block
// exactly, with no overlap: nothing is lost, nothing is used twice.
func assertTiles(t *testing.T, plan NetworkPlan) {
	t.Helper()
	var all []netip.Prefix
	for _, s := range plan.Subnets {
		all = append(all, s.CIDR)
	}
	all = append(all, plan.Reserved...)
	total := 0
	for i, a := range all {
		if !plan.CIDR.Contains(a.Addr()) || a.Bits() < plan.CIDR.Bits() {
			t.Errorf("%s lies outside %s", a, plan.CIDR)
		}
		for _, b := range all[i+1:] {
			if a.Overlaps(b) {
				t.Errorf("%s overlaps %s", a, b)
			}
		}
		total += 1 << (32 - a.Bits())
	}
	if want := 1 << (32 - plan.CIDR.Bits()); total != want {
		t.Errorf("blocks cover %d addresses of %d", total, want)
	}
}

func TestPlanNetworkErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		cell Cell
		msg  string
	}{
		{"not a prefix", Cell{Cloud: fabric.GCP, CIDR: "banana"}, "not a CIDR block"},
		{"ipv6", Cell{Cloud: fabric.GCP, CIDR: "fd00::/48"}, "not an IPv4 block"},
		{"host bits", Cell{Cloud: fabric.GCP, CIDR: "10.0.0.1/16"}, "did you mean 10.0.0.0/16"},
		{"aws too small", Cell{Cloud: fabric.AWS, CIDR: "10.0.0.0/24"}, "too small: cells on aws need at least a /23"},
		{"azure too small", Cell{Cloud: fabric.Azure, CIDR: "10.0.0.0/25"}, "too small: cells on azure need at least a /24"},
		{"too large", Cell{Cloud: fabric.GCP, CIDR: "10.0.0.0/7"}, "larger than a /8"},
		{"unknown cloud", Cell{Cloud: "ibm", CIDR: "10.0.0.0/16"}, "no network layout"},
		{"aws one zone", Cell{Cloud: fabric.AWS, CIDR: "10.0.0.0/16", Zones: 1}, "2 or 3 zones"},
		{"aws capacity", Cell{Cloud: fabric.AWS, CIDR: "10.0.0.0/23", MaxInstances: 200}, "too small for maxInstances 200"},
		{"gcp capacity", Cell{Cloud: fabric.GCP, CIDR: "10.0.0.0/24", MaxInstances: 40}, "too small for maxInstances 40"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := PlanNetwork(tc.cell)
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.msg)
			}
		})
	}
}

// FuzzPlanNetwork: any valid plan tiles its block exactly; no input panics.
func FuzzPlanNetwork(f *testing.F) {
	f.Add("aws", "10.0.0.0/16", 2, 3)
	f.Add("azure", "192.168.0.0/24", 2, 1)
	f.Add("gcp", "172.16.0.0/12", 3, 1000)
	f.Fuzz(func(t *testing.T, cloud, cidr string, zones, maxI int) {
		plan, err := PlanNetwork(Cell{Cloud: fabric.Cloud(cloud), CIDR: cidr, Zones: zones, MaxInstances: maxI})
		if err != nil {
			return
		}
		assertTiles(t, plan)
	})
}
