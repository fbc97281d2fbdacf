package gcp

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/workload/state/contract"
)

// TestEveryChildUnderTheCellOnTheCallersProvider: the component has its
// type, every other resource hangs below it, and every GCP resource (and
// the project invoke) resolves to the provider the caller passed.
func TestEveryChildUnderTheCellOnTheCallersProvider(t *testing.T) {
	t.Parallel()
	d := deploy(t, baseArgs(), true)
	if d.comp == nil {
		t.Fatalf("no %s component recorded", ComponentType)
	}
	below := map[string]bool{}
	for _, r := range d.rec.Descendants(d.comp.URN) {
		below[r.URN] = true
	}
	gcpResources := 0
	for _, r := range d.rec.Resources() {
		if r.URN == d.comp.URN || r.IsProvider() {
			continue
		}
		if !below[r.URN] {
			t.Errorf("%s %s is not under the cell", r.Type, r.Name)
		}
		if !strings.HasPrefix(r.Type, "gcp:") {
			continue
		}
		gcpResources++
		if p := d.rec.ProviderOf(r); p == nil || p.URN != d.provider.URN {
			t.Errorf("%s %s uses provider %q, not the caller's", r.Type, r.Name, r.Provider)
		}
	}
	if gcpResources < 20 {
		t.Errorf("only %d GCP resources under the cell", gcpResources)
	}
	invokes := d.rec.Invokes()
	if len(invokes) == 0 {
		t.Fatal("the cell made no invoke; it must read the project from the provider")
	}
	for _, inv := range invokes {
		if !strings.HasPrefix(inv.Provider, d.provider.URN+"::") {
			t.Errorf("invoke %s used provider %q, not the caller's", inv.Token, inv.Provider)
		}
	}
}

// TestOutputsAreAllSet awaits every contract output and the mesh's extra
// outputs, and checks each against what the cell built.
func TestOutputsAreAllSet(t *testing.T) {
	t.Parallel()
	args := baseArgs()
	d := deploy(t, args, false)
	n := newNames("cellfabric", testStack, args.ID, args.Hostname)
	o := d.cell.Outputs()
	net := d.one(t, typeNetwork)
	addr := d.one(t, typeAddress)
	sa := d.one(t, typeAccount)
	want := map[string]struct {
		out  pulumi.StringOutput
		want string
	}{
		"ID":                 {o.ID, args.ID},
		"Cloud":              {o.Cloud, "gcp"},
		"Region":             {o.Region, testRegion},
		"Endpoint":           {o.Endpoint, "https://" + testHostname},
		"HealthURL":          {o.HealthURL, "https://" + testHostname + "/ready"},
		"NetworkID":          {o.NetworkID, net.ID},
		"CIDR":               {o.CIDR, "10.30.0.0/16"},
		"StateStoreID":       {o.StateStoreID, "projects/" + testProject + "/databases/" + n.Database},
		"WorkloadIdentity":   {o.WorkloadIdentity, n.ServiceAccount + "@" + testProject + ".iam.gserviceaccount.com"},
		"NetworkName":        {d.cell.NetworkName, n.Network},
		"NetworkSelfLink":    {d.cell.NetworkSelfLink, plainOut(net, "selfLink")},
		"SubnetworkSelfLink": {d.cell.SubnetworkSelfLink, plainOut(d.one(t, typeSubnetwork), "selfLink")},
		"Project":            {d.cell.Project, testProject},
		"LoadBalancerIP":     {d.cell.LoadBalancerIP, plainOut(addr, "address")},
		"ServiceName":        {d.cell.ServiceName, n.Service},
		"DatabaseName":       {d.cell.DatabaseName, n.Database},
		"EdgeKeySecretID":    {d.cell.EdgeKeySecretID, n.Secret},
		"LogBucketID":        {d.cell.LogBucketID, n.LogBucket},
	}
	if got := plainOut(sa, "email"); got != n.ServiceAccount+"@"+testProject+".iam.gserviceaccount.com" {
		t.Fatalf("fake service account email %q", got)
	}
	for name, w := range want {
		aw := await(t, w.out)
		s, _ := aw.Value.(string)
		if s == "" || !aw.Known {
			t.Errorf("%s is empty", name)
		}
		if aw.Secret {
			t.Errorf("%s is secret; the cell's outputs are public", name)
		}
		if s != w.want {
			t.Errorf("%s = %q, want %q", name, s, w.want)
		}
	}
	if d.cell.Region != testRegion {
		t.Errorf("Region = %q", d.cell.Region)
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
			ip := await(t, d.cell.LoadBalancerIP).Value
			if ip == "" || ip == nil {
				t.Fatal("no load balancer address")
			}
			recs, _ := await(t, d.cell.DNSRecords).Value.([]map[string]string)
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
				if n := len(d.rec.OfType("test:dns:Record")); n != 0 {
					t.Errorf("%d records created without a DNS function", n)
				}
				return
			}
			if len(d.dns.calls) != 1 {
				t.Fatalf("%d DNS calls, want 1", len(d.dns.calls))
			}
			call := d.dns.calls[0]
			if call.name != testCellName+"-origin" || call.rec.Type != "A" || call.rec.Purpose != "origin" {
				t.Errorf("DNS call = %s %+v", call.name, call.rec)
			}
			if v := await(t, call.rec.Value.ToStringOutput()).Value; v != ip {
				t.Errorf("record value %v, want the address %v", v, ip)
			}
			if v := await(t, call.rec.Name.ToStringOutput()).Value; v != testHostname {
				t.Errorf("record name %v", v)
			}
			r := d.rec.Get("test:dns:Record", testCellName+"-origin")
			if r == nil || r.Parent != d.comp.URN {
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
			if d.comp != nil {
				t.Error("the component was registered before the error")
			}
			for _, r := range d.rec.Resources() {
				if !r.IsProvider() {
					t.Errorf("%s %s registered before the error", r.Type, r.Name)
				}
			}
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
