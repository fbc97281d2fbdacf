package azure

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/components/internal/celltest"
)

// TestBadArgsRegisterNothing: every validation rule has a case; each fails
// with an error naming the problem, before any resource is registered.
func TestBadArgsRegisterNothing(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		modify func(*cell.Args)
		want   []string
	}{
		{"bad id", func(a *cell.Args) { a.ID = "Azure_WEU" }, []string{"not a valid cell id"}},
		{"no region", func(a *cell.Args) { a.Region = "" }, []string{"Region: missing"}},
		{"no image", func(a *cell.Args) { a.Image = nil }, []string{"Image: missing"}},
		{"no edge key", func(a *cell.Args) { a.EdgeKey = nil }, []string{"EdgeKey: missing"}},
		{"bad cidr", func(a *cell.Args) { a.CIDR = "10.20.0.0" }, []string{"not a CIDR block"}},
		{"cidr too small", func(a *cell.Args) { a.CIDR = "10.20.0.0/25" }, []string{"too small"}},
		{"bad port", func(a *cell.Args) { a.Port = 70000 }, []string{"not a TCP port"}},
		{"bad health path", func(a *cell.Args) { a.HealthPath = "healthz" }, []string{"must start with /"}},
		{"min above max", func(a *cell.Args) { a.MinInstances, a.MaxInstances = 4, 2 }, []string{"min (4) <= max (2)"}},
		{"no ingress", func(a *cell.Args) { a.IngressCIDRs = nil }, []string{"IngressCIDRs: missing"}},
		{"open ingress", func(a *cell.Args) { a.IngressCIDRs = pulumi.ToStringArray([]string{"0.0.0.0/0"}) }, []string{"0.0.0.0/0 is too broad"}},
		{"open ingress v6", func(a *cell.Args) {
			a.IngressCIDRs = pulumi.ToStringArray([]string{"173.245.48.0/20", "::/0"})
		}, []string{"::/0 is too broad"}},
		{"ipv6 only", func(a *cell.Args) { a.IngressCIDRs = pulumi.ToStringArray(cloudflareV6) }, []string{"no IPv4 block"}},
		{"malformed ingress", func(a *cell.Args) { a.IngressCIDRs = pulumi.ToStringArray([]string{"cloudflare"}) }, []string{`"cloudflare" is not a CIDR block`}},
		{"env shadows port", func(a *cell.Args) { a.Env = pulumi.StringMap{cell.EnvPort: pulumi.String("9")} }, []string{cell.EnvPort}},
		{"env sets the client id", func(a *cell.Args) { a.Env = pulumi.StringMap{EnvAzureClientID: pulumi.String("x")} }, []string{EnvAzureClientID}},
		{"every problem at once", func(a *cell.Args) {
			a.Region, a.Image, a.IngressCIDRs = "", nil, nil
		}, []string{"Region: missing", "Image: missing", "IngressCIDRs: missing"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := validArgs()
			tc.modify(&args)
			r := runCell(args)
			if r.Err == nil {
				t.Fatal("NewCell succeeded")
			}
			// Like the AWS and GCP cells': the cloud and the cell first.
			if !strings.Contains(r.Err.Error(), "azure cell cell: cell ") {
				t.Errorf("error %q does not name the cloud and the cell first", r.Err)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.Err.Error(), w) {
					t.Errorf("error %q does not say %q", r.Err, w)
				}
			}
			celltest.NothingRegistered(t, r.Rec)
		})
	}
}

// TestOpenIngressOutputFails: ranges that arrive as an Output (as from
// cloudflare.GetIpRanges) are checked when they resolve; an open range
// fails the run and never reaches the NSG or the app.
func TestOpenIngressOutputFails(t *testing.T) {
	t.Parallel()
	args := validArgs()
	args.IngressCIDRs = pulumi.ToStringArray([]string{"173.245.48.0/20", "0.0.0.0/0"}).ToStringArrayOutput()
	r := runCell(args)
	if r.Err == nil || !strings.Contains(r.Err.Error(), "0.0.0.0/0 is too broad") {
		t.Fatalf("err = %v, want the open range refused", r.Err)
	}
	for _, res := range r.Rec.Resources() {
		walk(resource.NewObjectProperty(res.Inputs), false, func(str string, _ bool) {
			if str == "0.0.0.0/0" {
				t.Errorf("%s %s was registered with 0.0.0.0/0", res.Type, res.Name)
			}
		})
	}
}

// TestIngressOutputAccepted: a valid Output of ranges works like a plain
// list.
func TestIngressOutputAccepted(t *testing.T) {
	t.Parallel()
	args := validArgs()
	args.IngressCIDRs = pulumi.ToStringArray(append(append([]string{}, cloudflareV6...), cloudflareV4...)).ToStringArrayOutput()
	r := runCell(args)
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	got := in(r.One(t, tApp), "configuration", "ingress", "ipSecurityRestrictions")
	if n := len(got.ArrayValue()); n != len(cloudflareV4) {
		t.Errorf("%d restrictions, want %d", n, len(cloudflareV4))
	}
}
