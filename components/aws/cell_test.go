package aws

import (
	"strconv"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/components/internal/celltest"
	"github.com/cellfabric/cellfabric/components/recorder"
)

// TestChildrenParentedAndOnTheCallersProvider checks that the cell makes no
// provider, that every resource and invoke goes through the one passed in,
// and that every resource hangs under the cell.
func TestChildrenParentedAndOnTheCallersProvider(t *testing.T) {
	t.Parallel()
	d := deploy(t, baseArgs(), true)
	// DNS records come from the caller's DNS function, on its provider:
	// the AWS resources hang directly under the cell.
	for _, r := range celltest.CheckTree(t, d.Rec, d.Comp, d.Provider, "aws:") {
		if r.Parent != d.Comp.URN {
			t.Errorf("%s has parent %s, want the cell", r.URN, r.Parent)
		}
	}
	if n := len(d.Rec.Descendants(d.Comp.URN)); n < 40 {
		t.Fatalf("only %d resources under the cell", n)
	}
	for _, r := range d.Rec.Resources() {
		if r.IsProvider() && r.URN != d.Provider.URN {
			t.Errorf("the cell created a provider: %s", r.URN)
		}
	}
	celltest.InvokesThrough(t, d.Rec, d.Provider, "no invokes recorded")
}

// TestOutputs awaits every contract output and the VPN mesh's outputs.
func TestOutputs(t *testing.T) {
	t.Parallel()
	for _, zones := range []int{2, 3} {
		t.Run(strings.Repeat("z", zones), func(t *testing.T) {
			t.Parallel()
			args := baseArgs()
			args.Zones = zones
			d := deploy(t, args, false)
			o := d.Cell.Outputs()
			table := d.One(t, "aws:dynamodb/table:Table")
			role := d.Named(t, "aws:iam/role:Role", "cell-aws-use1-task")
			vpc := d.One(t, "aws:ec2/vpc:Vpc")
			want := map[string]celltest.Want{
				"ID":               {Out: o.ID, Value: "aws-use1"},
				"Cloud":            {Out: o.Cloud, Value: "aws"},
				"Region":           {Out: o.Region, Value: "us-east-1"},
				"Endpoint":         {Out: o.Endpoint, Value: "https://" + testHostname},
				"HealthURL":        {Out: o.HealthURL, Value: "https://" + testHostname + "/healthz"},
				"NetworkID":        {Out: o.NetworkID, Value: vpc.ID},
				"CIDR":             {Out: o.CIDR, Value: "10.10.0.0/16"},
				"StateStoreID":     {Out: o.StateStoreID, Value: out(table, "arn").(string)},
				"WorkloadIdentity": {Out: o.WorkloadIdentity, Value: out(role, "arn").(string)},
				"VpcID":            {Out: d.Cell.VpcID, Value: vpc.ID},
				"TaskSecurityGroupID": {Out: d.Cell.TaskSecurityGroupID,
					Value: d.Named(t, "aws:ec2/securityGroup:SecurityGroup", "cell-aws-use1-task").ID},
				"LoadBalancerDNSName": {Out: d.Cell.LoadBalancerDNSName,
					Value: out(d.One(t, "aws:lb/loadBalancer:LoadBalancer"), "dnsName").(string)},
			}
			celltest.CheckOutputs(t, want)
			if !strings.HasPrefix(want["StateStoreID"].Value, "arn:aws:dynamodb:us-east-1:") ||
				!strings.HasPrefix(want["WorkloadIdentity"].Value, "arn:aws:iam::") {
				t.Errorf("state store %q / identity %q are not ARNs", want["StateStoreID"].Value, want["WorkloadIdentity"].Value)
			}
			for field, arr := range map[string]pulumi.StringArrayOutput{
				"PrivateSubnetIDs":     d.Cell.PrivateSubnetIDs,
				"PublicSubnetIDs":      d.Cell.PublicSubnetIDs,
				"PrivateRouteTableIDs": d.Cell.PrivateRouteTableIDs,
				"PublicRouteTableIDs":  d.Cell.PublicRouteTableIDs,
			} {
				n := zones
				if field == "PublicRouteTableIDs" {
					n = 1
				}
				ids := awaitStrings(t, arr)
				if len(ids) != n {
					t.Errorf("%s = %v, want %d ids", field, ids, n)
				}
				for _, id := range ids {
					if id == "" {
						t.Errorf("%s has an empty id", field)
					}
				}
			}
			// Private route tables are in zone order: table z routes via
			// the NAT gateway of zone z.
			rts := awaitStrings(t, d.Cell.PrivateRouteTableIDs)
			for z, id := range rts {
				rt := d.Named(t, "aws:ec2/routeTable:RouteTable", "cell-aws-use1-private-"+strconv.Itoa(z))
				if id != rt.ID {
					t.Errorf("PrivateRouteTableIDs[%d] = %v, want %s", z, id, rt.ID)
				}
			}
		})
	}
}

// TestInvalidArgsRegisterNothing checks every rule NewCell enforces before
// registering: one bad field per case, nothing recorded.
func TestInvalidArgsRegisterNothing(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		edit  func(*cell.Args)
		error string
	}{
		{"bad id", func(a *cell.Args) { a.ID = "Bad_ID" }, "not a valid cell id"},
		{"id too long", func(a *cell.Args) { a.ID = "a23456789012345678901" }, "not a valid cell id"},
		{"no region", func(a *cell.Args) { a.Region = "" }, "Region: missing"},
		{"no image", func(a *cell.Args) { a.Image = nil }, "Image: missing"},
		{"no edge key", func(a *cell.Args) { a.EdgeKey = nil }, "EdgeKey: missing"},
		{"no hostname", func(a *cell.Args) { a.Hostname = "" }, "Hostname: missing: cells on aws need the DNS name"},
		{"hostname with scheme", func(a *cell.Args) { a.Hostname = "https://x.example.com" }, "not a lowercase DNS name"},
		{"cidr too small", func(a *cell.Args) { a.CIDR = "10.10.0.0/24" }, "too small"},
		{"one zone", func(a *cell.Args) { a.Zones = 1 }, "2 or 3 zones"},
		{"min above max", func(a *cell.Args) { a.MinInstances, a.MaxInstances = 5, 2 }, "min (5) <= max (2)"},
		{"no ingress", func(a *cell.Args) { a.IngressCIDRs = nil }, "IngressCIDRs: missing"},
		{"empty ingress", func(a *cell.Args) { a.IngressCIDRs = pulumi.StringArray{} }, "ingressCIDRs: empty"},
		{"open ipv4 ingress", func(a *cell.Args) { a.IngressCIDRs = pulumi.ToStringArray([]string{"0.0.0.0/0"}) }, "too broad"},
		{"open ipv6 ingress", func(a *cell.Args) { a.IngressCIDRs = pulumi.ToStringArray([]string{"::/0"}) }, "too broad"},
		{"half the internet", func(a *cell.Args) { a.IngressCIDRs = pulumi.ToStringArray([]string{"0.0.0.0/1", "128.0.0.0/1"}) }, "too broad"},
		{"garbage ingress", func(a *cell.Args) { a.IngressCIDRs = pulumi.ToStringArray([]string{"cloudflare"}) }, "not a CIDR block"},
		{"env shadows port", func(a *cell.Args) { a.Env = pulumi.StringMap{"PORT": pulumi.String("9")} }, "PORT is set by the cell"},
		{"env carries edge key", func(a *cell.Args) {
			a.Env = pulumi.StringMap{cell.EnvEdgeKey: pulumi.String("plain")}
		}, cell.EnvEdgeKey + " is set by the cell"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := baseArgs()
			tc.edit(&args)
			r := celltest.Setup[*Cell]{New: NewCell, Type: ComponentType, Name: "bad", Stack: testStack}.Record(args)
			if r.Err == nil || !strings.Contains(r.Err.Error(), tc.error) {
				t.Fatalf("err = %v, want one containing %q", r.Err, tc.error)
			}
			celltest.NothingRegistered(t, r.Rec)
		})
	}
}

// TestDeployTimeChecks covers what only resolves at deploy time: edge
// ranges given as an Output, extra environment as an Output, and the
// provider's region.
func TestDeployTimeChecks(t *testing.T) {
	t.Parallel()
	asOutput := func(cidrs ...string) pulumi.StringArrayInput {
		return pulumi.ToStringArray(cidrs).ToStringArrayOutput().ApplyT(func(v []string) []string { return v }).(pulumi.StringArrayOutput)
	}
	cases := []struct {
		name     string
		edit     func(*cell.Args)
		region   string
		errorHas string // "" for success
	}{
		{"output ranges ok", func(a *cell.Args) { a.IngressCIDRs = asOutput(testIngress...) }, "us-east-1", ""},
		{"output ranges open", func(a *cell.Args) { a.IngressCIDRs = asOutput("173.245.48.0/20", "0.0.0.0/0") }, "us-east-1", "too broad"},
		{"output ranges empty", func(a *cell.Args) { a.IngressCIDRs = asOutput() }, "us-east-1", "empty"},
		{"output env shadows", func(a *cell.Args) {
			a.Env = pulumi.StringMap{cell.EnvCellID: pulumi.String("x")}.ToStringMapOutput()
		}, "us-east-1", cell.EnvCellID + " is set by the cell"},
		{"provider in another region", func(*cell.Args) {}, "eu-west-1", "provider is for region eu-west-1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := baseArgs()
			tc.edit(&args)
			_, err := tryDeploy(args, false, tc.region)
			switch {
			case tc.errorHas == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.errorHas != "" && (err == nil || !strings.Contains(err.Error(), tc.errorHas)):
				t.Fatalf("err = %v, want one containing %q", err, tc.errorHas)
			}
		})
	}
}

func TestConstructorIsNewCell(t *testing.T) {
	t.Parallel()
	rec := recorder.New()
	var got cell.Cell
	err := rec.Run(recorder.Options{Stack: testStack}, func(ctx *pulumi.Context) error {
		var err error
		got, err = Constructor(ctx, "via-constructor", baseArgs())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got.(*Cell); !ok || rec.Get(ComponentType, "via-constructor") == nil {
		t.Fatalf("Constructor returned %T and did not register %s", got, ComponentType)
	}
}
