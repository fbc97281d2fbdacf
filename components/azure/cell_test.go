package azure

import (
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
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
		if r.err != nil {
			t.Fatal(r.err)
		}
		checkTree(t, r)
	})
}

func checkTree(t *testing.T, r run) {
	t.Helper()
	comps := r.rec.OfType(componentType)
	if len(comps) != 1 {
		t.Fatalf("%d %s components, want 1", len(comps), componentType)
	}
	comp := comps[0]
	if r.provider == nil {
		t.Fatal("the test's provider was not recorded")
	}
	below := map[string]bool{}
	for _, res := range r.rec.Descendants(comp.URN) {
		below[res.URN] = true
	}
	custom := 0
	for _, res := range r.rec.Resources() {
		if res.IsProvider() || res == comp {
			continue
		}
		custom++
		if !below[res.URN] {
			t.Errorf("%s %s is not parented under the cell", res.Type, res.Name)
		}
		if p := r.rec.ProviderOf(res); p == nil || p.URN != r.provider.URN {
			t.Errorf("%s %s uses provider %q, want the caller's %s", res.Type, res.Name, res.Provider, r.provider.URN)
		}
		if !strings.HasPrefix(res.Name, "cell-") {
			t.Errorf("%s logical name %q lacks the cell's prefix", res.Type, res.Name)
		}
	}
	if custom < 14 {
		t.Errorf("only %d resources recorded", custom)
	}
	invokes := r.rec.Invokes()
	if len(invokes) == 0 {
		t.Fatal("no invokes recorded; the cell reads its subscription and the workspace key")
	}
	for _, inv := range invokes {
		if !strings.HasPrefix(inv.Provider, r.provider.URN+"::") {
			t.Errorf("invoke %s went through provider %q, want the caller's", inv.Token, inv.Provider)
		}
	}
}

// TestOutputs: every contract output is set, and each is the resource it
// claims to be.
func TestOutputs(t *testing.T) {
	t.Parallel()
	r := mustShared(t)
	o := r.cell.Outputs()
	app := one(t, r, tApp)
	fqdn := out(app, "configuration", "ingress", "fqdn").StringValue()
	want := map[string]struct {
		out  pulumi.StringOutput
		want string
	}{
		"id":               {o.ID, "azure-weu"},
		"cloud":            {o.Cloud, "azure"},
		"region":           {o.Region, "westeurope"},
		"endpoint":         {o.Endpoint, "https://" + fqdn},
		"healthUrl":        {o.HealthURL, "https://" + fqdn + "/healthz"},
		"networkId":        {o.NetworkID, one(t, r, tVNet).ID},
		"cidr":             {o.CIDR, "10.20.0.0/16"},
		"stateStoreId":     {o.StateStoreID, one(t, r, tTable).ID},
		"workloadIdentity": {o.WorkloadIdentity, out(one(t, r, tIdentity), "principalId").StringValue()},
	}
	if fqdn == "" {
		t.Fatal("the fake container app has no ingress fqdn")
	}
	for key, w := range want {
		a := await(t, w.out)
		got, _ := a.Value.(string)
		if got == "" || got != w.want {
			t.Errorf("%s = %q, want %q", key, got, w.want)
		}
		if a.Secret {
			t.Errorf("%s is secret; contract outputs are plain", key)
		}
	}
	if len(o.Map()) != len(want) {
		t.Errorf("Map has %d keys, the test checks %d", len(o.Map()), len(want))
	}
}

// TestVPNOutputs: the fields the VPN mesh reads point at the right things.
func TestVPNOutputs(t *testing.T) {
	t.Parallel()
	r := mustShared(t)
	c := r.cell
	rg := one(t, r, tRG)
	gw := byName(t, r, tSubnet, "cell-gateway")
	apps := byName(t, r, tSubnet, "cell-apps")
	checks := []struct {
		name string
		got  pulumi.StringOutput
		want string
	}{
		{"ResourceGroupName", c.ResourceGroupName, s(rg, "resourceGroupName")},
		{"VnetName", c.VnetName, s(one(t, r, tVNet), "virtualNetworkName")},
		{"VnetID", c.VnetID, one(t, r, tVNet).ID},
		{"GatewaySubnetID", c.GatewaySubnetID, gw.ID},
		{"AppsSubnetID", c.AppsSubnetID, apps.ID},
		{"NsgName", c.NsgName, s(one(t, r, tNSG), "networkSecurityGroupName")},
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
	if r.err != nil {
		t.Fatal(r.err)
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
	taggable := []string{tRG, tVNet, tNSG, tWorkspace, tEnv, tApp, tIdentity, tAccount, tVault, tSecret}
	untaggable := []string{tSubnet, tRole, tTable, tDiag, "azure-native:network:SecurityRule"}
	want := map[string]string{
		cell.TagCell: "azure-weu", cell.TagCloud: "azure", cell.TagStack: testStack, "team": "platform",
	}
	seen := map[string]bool{}
	for _, res := range r.rec.Resources() {
		if res.IsProvider() || !res.Custom {
			continue
		}
		seen[res.Type] = true
		switch {
		case slices.Contains(taggable, res.Type):
			for k, v := range want {
				if got := s(res, "tags", k); got != v {
					t.Errorf("%s %s: tag %s = %q, want %q", res.Type, res.Name, k, got, v)
				}
			}
		case slices.Contains(untaggable, res.Type):
			if !in(res, "tags").IsNull() {
				t.Errorf("%s %s has tags but is listed as untaggable", res.Type, res.Name)
			}
		default:
			t.Errorf("%s is neither in the taggable nor the untaggable list: classify it", res.Type)
		}
	}
	for _, typ := range taggable {
		if !seen[typ] {
			t.Errorf("no %s recorded; the lists are stale", typ)
		}
	}
}

// TestLogs: the workspace keeps logs for the set retention and the
// environment ships app logs to it with the secret shared key; audit logs
// of the vault and the table service go there too.
func TestLogs(t *testing.T) {
	t.Parallel()
	r := mustShared(t)
	ws := one(t, r, tWorkspace)
	if got := in(ws, "retentionInDays"); !got.IsNumber() || int(got.NumberValue()) != logRetentionDays {
		t.Errorf("retentionInDays = %v, want %d", got, logRetentionDays)
	}
	env := one(t, r, tEnv)
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
	for _, d := range r.rec.OfType(tDiag) {
		if s(d, "workspaceId") != ws.ID {
			t.Errorf("diagnostic setting %s writes to %q", d.Name, s(d, "workspaceId"))
		}
		uris[s(d, "resourceUri")] = true
	}
	for _, u := range []string{one(t, r, tVault).ID, one(t, r, tAccount).ID + "/tableServices/default"} {
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
