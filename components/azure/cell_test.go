package azure

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/components/internal/celltest"
	"github.com/cellfabric/cellfabric/components/recorder"
)

// TestTreeAndProvider: one cellfabric:azure:Cell component, every resource
// under it, every resource and invoke through the caller's provider, passed
// alone or in a list.
func TestTreeAndProvider(t *testing.T) {
	t.Parallel()
	t.Run("Provider", func(t *testing.T) {
		t.Parallel()
		checkTree(t, mustShared(t))
	})
	t.Run("Providers", func(t *testing.T) {
		t.Parallel()
		r := runCellWith(validArgs(), true)
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		checkTree(t, r)
	})
}

func checkTree(t *testing.T, r *run) {
	t.Helper()
	if comps := r.Rec.OfType(ComponentType); len(comps) != 1 {
		t.Fatalf("%d %s components, want 1", len(comps), ComponentType)
	}
	custom := celltest.CheckTree(t, r.Rec, r.Comp, r.Provider, "")
	for _, res := range custom {
		if !strings.HasPrefix(res.Name, "cell-") {
			t.Errorf("%s logical name %q lacks the cell's prefix", res.Type, res.Name)
		}
	}
	if len(custom) < 14 {
		t.Errorf("only %d resources recorded", len(custom))
	}
	celltest.InvokesThrough(t, r.Rec, r.Provider, "no invokes recorded; the cell reads its subscription and the workspace key")
}

// TestOutputs: every contract output is set, and each is the resource it
// claims to be.
func TestOutputs(t *testing.T) {
	t.Parallel()
	r := mustShared(t)
	o := r.Cell.Outputs()
	app := r.One(t, tApp)
	fqdn := out(app, "configuration", "ingress", "fqdn").StringValue()
	want := map[string]celltest.Want{
		"id":               {Out: o.ID, Value: "azure-weu"},
		"cloud":            {Out: o.Cloud, Value: "azure"},
		"region":           {Out: o.Region, Value: "westeurope"},
		"endpoint":         {Out: o.Endpoint, Value: "https://" + fqdn},
		"healthUrl":        {Out: o.HealthURL, Value: "https://" + fqdn + "/healthz"},
		"networkId":        {Out: o.NetworkID, Value: r.One(t, tVNet).ID},
		"cidr":             {Out: o.CIDR, Value: "10.20.0.0/16"},
		"stateStoreId":     {Out: o.StateStoreID, Value: r.One(t, tTable).ID},
		"workloadIdentity": {Out: o.WorkloadIdentity, Value: out(r.One(t, tIdentity), "principalId").StringValue()},
	}
	if fqdn == "" {
		t.Fatal("the fake container app has no ingress fqdn")
	}
	celltest.CheckOutputs(t, want)
	if len(o.Map()) != len(want) {
		t.Errorf("Map has %d keys, the test checks %d", len(o.Map()), len(want))
	}
}

// TestVPNOutputs: the fields the VPN mesh reads point at the right things.
func TestVPNOutputs(t *testing.T) {
	t.Parallel()
	r := mustShared(t)
	c := r.Cell
	rg := r.One(t, tRG)
	gw := r.Named(t, tSubnet, "cell-gateway")
	apps := r.Named(t, tSubnet, "cell-apps")
	checks := []struct {
		name string
		got  pulumi.StringOutput
		want string
	}{
		{"ResourceGroupName", c.ResourceGroupName, s(rg, "resourceGroupName")},
		{"VnetName", c.VnetName, s(r.One(t, tVNet), "virtualNetworkName")},
		{"VnetID", c.VnetID, r.One(t, tVNet).ID},
		{"GatewaySubnetID", c.GatewaySubnetID, gw.ID},
		{"AppsSubnetID", c.AppsSubnetID, apps.ID},
		{"NsgName", c.NsgName, s(r.One(t, tNSG), "networkSecurityGroupName")},
	}
	for _, ck := range checks {
		if got := awaitString(t, ck.got); got == "" || got != ck.want {
			t.Errorf("%s = %q, want %q", ck.name, got, ck.want)
		}
	}
	if !strings.HasSuffix(awaitString(t, c.GatewaySubnetID), "/subnets/GatewaySubnet") {
		t.Errorf("GatewaySubnetID %q is not the GatewaySubnet", awaitString(t, c.GatewaySubnetID))
	}
	if c.Location != "westeurope" {
		t.Errorf("Location = %q", c.Location)
	}
}

// TestDNSNeverCalled: an Azure cell needs no public DNS record (the app's
// own host has Azure's certificate), so it must not create any.
func TestDNSNeverCalled(t *testing.T) {
	t.Parallel()
	var calls []cell.DNSRecord
	args := validArgs()
	args.Hostname = "azure-weu.cells.example.com"
	args.DNS = func(ctx *pulumi.Context, name string, rec cell.DNSRecord, opts ...pulumi.ResourceOption) (pulumi.Resource, error) {
		calls = append(calls, rec)
		return nil, nil
	}
	r := runCell(args)
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if len(calls) != 0 {
		t.Fatalf("DNS called %d times, want 0", len(calls))
	}
}

// TestTags: every resource of a type that takes tags carries the standard
// tags and the caller's; every recorded type is classified.
func TestTags(t *testing.T) {
	t.Parallel()
	r := mustShared(t)
	lists := celltest.TagLists{
		Field: "Tags",
		Tagged: map[string]any{
			tRG: nil, tVNet: nil, tNSG: nil, tWorkspace: nil, tEnv: nil,
			tApp: nil, tIdentity: nil, tAccount: nil, tVault: nil, tSecret: nil,
		},
		Untagged: map[string]any{
			tSubnet: nil, tRole: nil, tRoleDef: nil, tTable: nil, tDiag: nil, "azure-native:network:SecurityRule": nil,
		},
	}
	want := map[string]string{
		cell.TagCell: "azure-weu", cell.TagCloud: "azure", cell.TagStack: testStack, "team": "platform",
	}
	lists.Check(t, r.Rec.Resources(), "", func(res *recorder.Resource, taggable bool) {
		if !taggable {
			if !in(res, "tags").IsNull() {
				t.Errorf("%s %s has tags but is listed as untaggable", res.Type, res.Name)
			}
			return
		}
		for k, v := range want {
			if got := s(res, "tags", k); got != v {
				t.Errorf("%s %s: tag %s = %q, want %q", res.Type, res.Name, k, got, v)
			}
		}
	})
}

// TestLogs: the workspace keeps logs for the set retention and the
// environment ships app logs to it with the secret shared key; audit logs
// of the vault and the table service go there too.
func TestLogs(t *testing.T) {
	t.Parallel()
	r := mustShared(t)
	ws := r.One(t, tWorkspace)
	if got := in(ws, "retentionInDays"); !got.IsNumber() || int(got.NumberValue()) != logRetentionDays {
		t.Errorf("retentionInDays = %v, want %d", got, logRetentionDays)
	}
	env := r.One(t, tEnv)
	if got := s(env, "appLogsConfiguration", "destination"); got != "log-analytics" {
		t.Errorf("log destination = %q", got)
	}
	if got, want := s(env, "appLogsConfiguration", "logAnalyticsConfiguration", "customerId"), out(ws, "customerId").StringValue(); got == "" || got != want {
		t.Errorf("customerId = %q, want the workspace's %q", got, want)
	}
	key := env.Inputs["appLogsConfiguration"].ObjectValue()["logAnalyticsConfiguration"]
	if !containsSecret(key, "fake-primary-shared-key") {
		t.Error("the environment's shared key is not a secret value")
	}
	uris := map[string]bool{}
	for _, d := range r.Rec.OfType(tDiag) {
		if s(d, "workspaceId") != ws.ID {
			t.Errorf("diagnostic setting %s writes to %q", d.Name, s(d, "workspaceId"))
		}
		uris[s(d, "resourceUri")] = true
	}
	for _, u := range []string{r.One(t, tVault).ID, r.One(t, tAccount).ID + "/tableServices/default"} {
		if !uris[u] {
			t.Errorf("no audit diagnostic setting for %s", u)
		}
	}
}

// containsSecret reports whether plain occurs inside a secret in v.
func containsSecret(v any, plain string) bool {
	found := false
	walk(toValue(v), false, func(str string, secret bool) {
		if str == plain && secret {
			found = true
		}
	})
	return found
}
