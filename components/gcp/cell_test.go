package gcp

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/components/internal/celltest"
	"github.com/cellfabric/cellfabric/workload/state/contract"
)

// TestEveryChildUnderTheCellOnTheCallersProvider: the component has its
// type, every other resource hangs below it, and every GCP resource (and
// the project invoke) resolves to the provider the caller passed.
func TestEveryChildUnderTheCellOnTheCallersProvider(t *testing.T) {
	t.Parallel()
	d := deploy(t, baseArgs(), true)
	if n := len(celltest.CheckTree(t, d.Rec, d.Comp, d.Provider, "gcp:")); n < 20 {
		t.Errorf("only %d GCP resources under the cell", n)
	}
	celltest.InvokesThrough(t, d.Rec, d.Provider, "the cell made no invoke; it must read the project from the provider")
}

// TestOutputsAreAllSet awaits every contract output and the mesh's extra
// outputs, and checks each against what the cell built.
func TestOutputsAreAllSet(t *testing.T) {
	t.Parallel()
	args := baseArgs()
	d := deploy(t, args, false)
	n := newNames("cellfabric", testStack, args.ID, args.Hostname)
	o := d.Cell.Outputs()
	net := d.One(t, typeNetwork)
	addr := d.One(t, typeAddress)
	sa := d.One(t, typeAccount)
	want := map[string]celltest.Want{
		"ID":                 {Out: o.ID, Value: args.ID},
		"Cloud":              {Out: o.Cloud, Value: "gcp"},
		"Region":             {Out: o.Region, Value: testRegion},
		"Endpoint":           {Out: o.Endpoint, Value: "https://" + testHostname},
		"HealthURL":          {Out: o.HealthURL, Value: "https://" + testHostname + "/ready"},
		"NetworkID":          {Out: o.NetworkID, Value: net.ID},
		"CIDR":               {Out: o.CIDR, Value: "10.30.0.0/16"},
		"StateStoreID":       {Out: o.StateStoreID, Value: "projects/" + testProject + "/databases/" + n.Database},
		"WorkloadIdentity":   {Out: o.WorkloadIdentity, Value: n.ServiceAccount + "@" + testProject + ".iam.gserviceaccount.com"},
		"NetworkName":        {Out: d.Cell.NetworkName, Value: n.Network},
		"NetworkSelfLink":    {Out: d.Cell.NetworkSelfLink, Value: plainOut(net, "selfLink")},
		"SubnetworkSelfLink": {Out: d.Cell.SubnetworkSelfLink, Value: plainOut(d.One(t, typeSubnetwork), "selfLink")},
		"Project":            {Out: d.Cell.Project, Value: testProject},
		"LoadBalancerIP":     {Out: d.Cell.LoadBalancerIP, Value: plainOut(addr, "address")},
		"ServiceName":        {Out: d.Cell.ServiceName, Value: n.Service},
		"DatabaseName":       {Out: d.Cell.DatabaseName, Value: n.Database},
		"EdgeKeySecretID":    {Out: d.Cell.EdgeKeySecretID, Value: n.Secret},
		"LogBucketID":        {Out: d.Cell.LogBucketID, Value: n.LogBucket},
	}
	if got := plainOut(sa, "email"); got != n.ServiceAccount+"@"+testProject+".iam.gserviceaccount.com" {
		t.Fatalf("fake service account email %q", got)
	}
	celltest.CheckOutputs(t, want)
	if d.Cell.Region != testRegion {
		t.Errorf("Region = %q", d.Cell.Region)
	}
}

// TestDNSOriginRecord: the cell asks its DNS function for exactly one
// record, Hostname A → the load balancer's address, parented to the cell;
// without a DNS function it still exports the record.
func TestDNSOriginRecord(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		withDNS bool
	}{
		{"with a DNS function", true},
		{"without one", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := deploy(t, baseArgs(), tc.withDNS)
			ip := await(t, d.Cell.LoadBalancerIP).Value
			if ip == "" || ip == nil {
				t.Fatal("no load balancer address")
			}
			recs, _ := await(t, d.Cell.DNSRecords).Value.([]map[string]string)
			if len(recs) != 1 {
				t.Fatalf("DNSRecords = %v, want one record", recs)
			}
			wantRec := map[string]string{"name": testHostname, "type": "A", "value": ip.(string), "purpose": "origin"}
			for k, v := range wantRec {
				if recs[0][k] != v {
					t.Errorf("DNSRecords[0][%s] = %q, want %q", k, recs[0][k], v)
				}
			}
			if !tc.withDNS {
				if n := len(d.Rec.OfType("test:dns:Record")); n != 0 {
					t.Errorf("%d records created without a DNS function", n)
				}
				return
			}
			if len(d.DNS.Calls()) != 1 {
				t.Fatalf("%d DNS calls, want 1", len(d.DNS.Calls()))
			}
			call := d.DNS.Calls()[0]
			if call.Name != testCellName+"-origin" || call.Record.Type != "A" || call.Record.Purpose != "origin" {
				t.Errorf("DNS call = %s %+v", call.Name, call.Record)
			}
			if v := await(t, call.Record.Value.ToStringOutput()).Value; v != ip {
				t.Errorf("record value %v, want the address %v", v, ip)
			}
			if v := await(t, call.Record.Name.ToStringOutput()).Value; v != testHostname {
				t.Errorf("record name %v", v)
			}
			r := d.Rec.Get("test:dns:Record", testCellName+"-origin")
			if r == nil || r.Parent != d.Comp.URN {
				t.Errorf("the record is not parented to the cell: %+v", r)
			}
		})
	}
}

// TestBadArgsRegisterNothing: every validation rule, the contract's and the
// GCP cell's own, fails before any resource is registered and names the
// field.
func TestBadArgsRegisterNothing(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		edit  func(*cell.Args)
		field string
	}{
		{"bad id", func(a *cell.Args) { a.ID = "Bad_ID" }, "ID"},
		{"no region", func(a *cell.Args) { a.Region = "" }, "Region"},
		{"no image", func(a *cell.Args) { a.Image = nil }, "Image"},
		{"no edge key", func(a *cell.Args) { a.EdgeKey = nil }, "EdgeKey"},
		{"bad port", func(a *cell.Args) { a.Port = 70000 }, "Port"},
		{"relative health path", func(a *cell.Args) { a.HealthPath = "ready" }, "HealthPath"},
		{"min above max", func(a *cell.Args) { a.MinInstances, a.MaxInstances = 4, 2 }, "MinInstances"},
		{"no hostname", func(a *cell.Args) { a.Hostname = "" }, "Hostname"},
		{"uppercase hostname", func(a *cell.Args) { a.Hostname = "Cell.Example.com" }, "Hostname"},
		{"wildcard hostname", func(a *cell.Args) { a.Hostname = "*.example.com" }, "Hostname"},
		{"small CIDR", func(a *cell.Args) { a.CIDR = "10.0.0.0/25" }, "CIDR"},
		{"no ingress", func(a *cell.Args) { a.IngressCIDRs = nil }, "IngressCIDRs"},
		{"empty ingress", func(a *cell.Args) { a.IngressCIDRs = pulumi.StringArray{} }, "IngressCIDRs"},
		{"IPv4 any", func(a *cell.Args) {
			a.IngressCIDRs = pulumi.ToStringArray([]string{"173.245.48.0/20", "0.0.0.0/0"})
		}, "0.0.0.0/0"},
		{"IPv6 any", func(a *cell.Args) { a.IngressCIDRs = pulumi.ToStringArray([]string{"::/0"}) }, "::/0"},
		{"host bits", func(a *cell.Args) { a.IngressCIDRs = pulumi.ToStringArray([]string{"173.245.48.1/20"}) }, "host bits"},
		{"not a CIDR", func(a *cell.Args) { a.IngressCIDRs = pulumi.ToStringArray([]string{"cloudflare"}) }, "IngressCIDRs"},
		{"PORT in env", func(a *cell.Args) { a.Env = pulumi.StringMap{"PORT": pulumi.String("1")} }, "PORT"},
		{"edge key in env", func(a *cell.Args) { a.Env = pulumi.StringMap{cell.EnvEdgeKey: pulumi.String("x")} }, cell.EnvEdgeKey},
		{"K_SERVICE in env", func(a *cell.Args) { a.Env = pulumi.StringMap{"K_SERVICE": pulumi.String("x")} }, "K_SERVICE"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := baseArgs()
			tc.edit(&args)
			d, err := tryDeploy(args, true, testStack)
			if err == nil || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("error %v does not name %s", err, tc.field)
			}
			celltest.NothingRegistered(t, d.Rec)
		})
	}
}

// TestBadArgsReportEveryProblem: one error lists all of them at once.
func TestBadArgsReportEveryProblem(t *testing.T) {
	t.Parallel()
	args := baseArgs()
	args.Hostname = "Not A Host"
	args.IngressCIDRs = pulumi.ToStringArray([]string{"0.0.0.0/0"})
	args.Env = pulumi.StringMap{"PORT": pulumi.String("80")}
	args.EdgeKey = nil
	_, err := tryDeploy(args, false, testStack)
	for _, want := range []string{"Hostname", "IngressCIDRs", "PORT", "EdgeKey"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not mention %s", err, want)
		}
	}
}

// TestComputedBadInputsFailTheRun: ranges and environment that arrive as
// Outputs are checked when they resolve; a bad one fails the deployment
// instead of opening the cell or shadowing a contract variable.
func TestComputedBadInputsFailTheRun(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		edit func(*cell.Args)
		want string
	}{
		{"computed any-address range", func(a *cell.Args) {
			a.IngressCIDRs = pulumi.String("x").ToStringOutput().ApplyT(func(string) []string {
				return []string{"173.245.48.0/20", "0.0.0.0/0"}
			}).(pulumi.StringArrayOutput)
		}, "0.0.0.0/0"},
		{"computed empty ranges", func(a *cell.Args) {
			a.IngressCIDRs = pulumi.String("x").ToStringOutput().ApplyT(func(string) []string { return nil }).(pulumi.StringArrayOutput)
		}, "empty"},
		{"computed reserved env", func(a *cell.Args) {
			a.Env = pulumi.String("x").ToStringOutput().ApplyT(func(string) map[string]string {
				return map[string]string{contract.EnvStore: "elsewhere"}
			}).(pulumi.StringMapOutput)
		}, contract.EnvStore},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := baseArgs()
			tc.edit(&args)
			_, err := tryDeploy(args, false, testStack)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v does not mention %s", err, tc.want)
			}
		})
	}
}
