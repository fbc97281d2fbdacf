package azure

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/cellfabric/cellfabric/components/recorder"
	"github.com/cellfabric/cellfabric/workload/state/contract"
)

// TestStorageAccount: encrypted at rest (service and infrastructure layer,
// per-account keys for tables), TLS 1.2+, HTTPS only, no public blobs, no
// shared keys, data plane reachable from the apps subnet only.
func TestStorageAccount(t *testing.T) {
	t.Parallel()
	r := mustShared(t)
	acct := r.One(t, tAccount)
	apps := r.Named(t, tSubnet, "cell-apps")
	bools := []struct {
		path []any
		want bool
	}{
		{[]any{"encryption", "requireInfrastructureEncryption"}, true},
		{[]any{"encryption", "services", "table", "enabled"}, true},
		{[]any{"encryption", "services", "blob", "enabled"}, true},
		{[]any{"enableHttpsTrafficOnly"}, true},
		{[]any{"allowBlobPublicAccess"}, false},
		{[]any{"allowSharedKeyAccess"}, false},
		{[]any{"allowCrossTenantReplication"}, false},
		{[]any{"defaultToOAuthAuthentication"}, true},
	}
	for _, b := range bools {
		if v := in(acct, b.path...); !v.IsBool() || v.BoolValue() != b.want {
			t.Errorf("%v = %v, want %v", b.path, v, b.want)
		}
	}
	texts := []struct {
		path []any
		want string
	}{
		{[]any{"encryption", "keySource"}, "Microsoft.Storage"},
		{[]any{"encryption", "services", "table", "keyType"}, "Account"},
		{[]any{"encryption", "services", "queue", "keyType"}, "Account"},
		{[]any{"minimumTlsVersion"}, "TLS1_2"},
		{[]any{"kind"}, "StorageV2"},
		{[]any{"networkRuleSet", "defaultAction"}, "Deny"},
		{[]any{"networkRuleSet", "bypass"}, "None"},
		{[]any{"networkRuleSet", "virtualNetworkRules", 0, "virtualNetworkResourceId"}, apps.ID},
		{[]any{"sku", "name"}, "Standard_GZRS"},
	}
	for _, c := range texts {
		if got := s(acct, c.path...); got != c.want {
			t.Errorf("%v = %q, want %q", c.path, got, c.want)
		}
	}
	if n := len(in(acct, "networkRuleSet", "virtualNetworkRules").ArrayValue()); n != 1 {
		t.Errorf("%d storage VNet rules, want 1", n)
	}
	if ips := in(acct, "networkRuleSet", "ipRules"); !ips.IsNull() && len(ips.ArrayValue()) > 0 {
		t.Errorf("storage admits IPs %v", ips)
	}

	table := r.One(t, tTable)
	name := s(table, "tableName")
	if !regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]{2,62}$`).MatchString(name) {
		t.Errorf("table name %q is not a valid Azure table name", name)
	}
	if got := s(table, "accountName"); got != s(acct, "accountName") {
		t.Errorf("table is in account %q, want %q", got, s(acct, "accountName"))
	}
}

// TestRoleAssignments: exactly the two roles — the cell's state role on
// the one table, Key Vault Secrets User on the one secret — for the cell's
// identity; never a group or subscription scope, never the built-in Storage
// Table Data Contributor.
func TestRoleAssignments(t *testing.T) {
	t.Parallel()
	r := mustShared(t)
	ras := r.Rec.OfType(tRole)
	stateRole := out(r.One(t, tRoleDef), "name").StringValue()
	wantScope := map[string]string{
		stateRole:               r.One(t, tTable).ID,
		roleKeyVaultSecretsUser: r.One(t, tSecret).ID,
	}
	if len(ras) != len(wantScope) {
		t.Fatalf("%d role assignments, want %d", len(ras), len(wantScope))
	}
	principal := out(r.One(t, tIdentity), "principalId").StringValue()
	rg := r.One(t, tRG).ID
	guid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for _, ra := range ras {
		def := s(ra, "roleDefinitionId")
		prefix := "/subscriptions/" + recorder.FakeAzureSubscription + "/providers/Microsoft.Authorization/roleDefinitions/"
		role, ok := strings.CutPrefix(def, prefix)
		if !ok {
			t.Errorf("%s roleDefinitionId %q is not a subscription role definition", ra.Name, def)
		}
		if role == storageTableDataContributor {
			t.Errorf("%s grants the built-in Storage Table Data Contributor", ra.Name)
		}
		want, known := wantScope[role]
		if !known {
			t.Errorf("%s grants role %q, not one of the two the workload needs", ra.Name, role)
			continue
		}
		seen[role] = true
		scope := s(ra, "scope")
		if scope != want {
			t.Errorf("%s scope = %q, want %q", ra.Name, scope, want)
		}
		if scope == rg || !strings.HasPrefix(scope, rg+"/providers/") {
			t.Errorf("%s scope %q is a group or subscription, not a resource", ra.Name, scope)
		}
		if got := s(ra, "principalId"); got != principal || principal == "" {
			t.Errorf("%s principal = %q, want the cell identity %q", ra.Name, got, principal)
		}
		if got := s(ra, "principalType"); got != "ServicePrincipal" {
			t.Errorf("%s principalType = %q", ra.Name, got)
		}
		if name := s(ra, "roleAssignmentName"); !guid.MatchString(name) || name != roleAssignmentName(scope, role, principal) {
			t.Errorf("%s name %q is not the UUIDv5 of its scope, role and principal", ra.Name, name)
		}
	}
	if len(seen) != len(wantScope) {
		t.Errorf("roles granted %v, want both %v", seen, wantScope)
	}
}

// storageTableDataContributor is the built-in role the cell no longer
// grants: it also deletes entities, writes them without a condition and
// creates and deletes tables.
const storageTableDataContributor = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3"

// TestStateRoleIsTheAdapterContract: the one custom role the cell defines
// holds exactly the data actions the state port's aztable adapter calls
// (contract.AzureTableDataActions, which the adapter's tests hold to the
// calls it makes against azurite) and no control-plane action; it is
// defined in and assignable in the cell's resource group only, under a
// tenant-unique name and a GUID derived from both.
func TestStateRoleIsTheAdapterContract(t *testing.T) {
	t.Parallel()
	r := mustShared(t)
	role := r.One(t, tRoleDef)
	perms := in(role, "permissions")
	if !perms.IsArray() || len(perms.ArrayValue()) != 1 {
		t.Fatalf("permissions = %v, want one entry", perms)
	}
	p := perms.ArrayValue()[0].ObjectValue()
	var got []string
	for _, a := range p["dataActions"].ArrayValue() {
		got = append(got, a.StringValue())
	}
	slices.Sort(got)
	want := slices.Sorted(slices.Values(contract.AzureTableDataActions))
	if !slices.Equal(got, want) {
		t.Errorf("the state role's data actions are %v, the adapter calls %v", got, want)
	}
	for _, k := range []resource.PropertyKey{"actions", "notActions", "notDataActions"} {
		if v, ok := p[k]; ok && !v.IsNull() && len(v.ArrayValue()) > 0 {
			t.Errorf("the state role has %s %v, want none", k, v)
		}
	}
	rg := r.One(t, tRG).ID
	if got := s(role, "scope"); got != rg {
		t.Errorf("the state role is defined at %q, want the cell's resource group %q", got, rg)
	}
	scopes := in(role, "assignableScopes")
	if !scopes.IsArray() || len(scopes.ArrayValue()) != 1 || scopes.ArrayValue()[0].StringValue() != rg {
		t.Errorf("assignable scopes = %v, want only the cell's resource group %q", scopes, rg)
	}
	n := deriveNames("cellfabric", testStack, validArgs().ID)
	if got := s(role, "roleName"); got != n.StateRole {
		t.Errorf("role name %q, want %q", got, n.StateRole)
	}
	if got := s(role, "roleType"); got != "CustomRole" {
		t.Errorf("role type %q, want CustomRole", got)
	}
	if got := s(role, "roleDefinitionId"); got != roleDefinitionGUID(rg, n.StateRole) {
		t.Errorf("role id %q, want the UUIDv5 of the group and the name", got)
	}
	if len(r.Rec.OfType(tRoleDef)) != 1 {
		t.Errorf("%d role definitions, want the one state role", len(r.Rec.OfType(tRoleDef)))
	}
}

// TestRoleDefinitionGUID: deterministic, a version-5 GUID, different for a
// different scope or name.
func TestRoleDefinitionGUID(t *testing.T) {
	t.Parallel()
	base := roleDefinitionGUID("/s/rg", "cellfabric-state-a")
	if base != roleDefinitionGUID("/s/rg", "cellfabric-state-a") {
		t.Fatal("not deterministic")
	}
	if slices.Contains([]string{roleDefinitionGUID("/s/rg2", "cellfabric-state-a"), roleDefinitionGUID("/s/rg", "cellfabric-state-b")}, base) {
		t.Fatalf("%s repeats for a different input", base)
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(base) {
		t.Fatalf("%q is not a version-5 GUID", base)
	}
}

// TestRoleAssignmentName: deterministic, a version-5 GUID, different for
// any different input.
func TestRoleAssignmentName(t *testing.T) {
	t.Parallel()
	const role = "6a1f0e2b-0000-5000-8000-000000000001"
	base := roleAssignmentName("/s/scope", role, "p1")
	if base != roleAssignmentName("/s/scope", role, "p1") {
		t.Fatal("not deterministic")
	}
	others := []string{
		roleAssignmentName("/s/other", role, "p1"),
		roleAssignmentName("/s/scope", roleKeyVaultSecretsUser, "p1"),
		roleAssignmentName("/s/scope", role, "p2"),
	}
	if slices.Contains(others, base) {
		t.Fatalf("%s repeats for a different input: %v", base, others)
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(base) {
		t.Fatalf("%q is not a version-5 GUID", base)
	}
}

// TestKeyVault: RBAC-authorised, soft delete on with the set retention,
// purge protection not requested, the caller's tenant.
func TestKeyVault(t *testing.T) {
	t.Parallel()
	r := mustShared(t)
	v := r.One(t, tVault)
	if got := in(v, "properties", "enableRbacAuthorization"); !got.IsBool() || !got.BoolValue() {
		t.Errorf("enableRbacAuthorization = %v", got)
	}
	if got := in(v, "properties", "enableSoftDelete"); !got.IsBool() || !got.BoolValue() {
		t.Errorf("enableSoftDelete = %v", got)
	}
	if got := in(v, "properties", "softDeleteRetentionInDays"); !got.IsNumber() || int(got.NumberValue()) != vaultSoftDeleteDays {
		t.Errorf("softDeleteRetentionInDays = %v", got)
	}
	if got := in(v, "properties", "enablePurgeProtection"); !got.IsNull() {
		t.Errorf("enablePurgeProtection = %v; ARM rejects false and true is irreversible", got)
	}
	if got := s(v, "properties", "tenantId"); got != recorder.FakeAzureTenant {
		t.Errorf("tenantId = %q", got)
	}
	if ap := in(v, "properties", "accessPolicies"); !ap.IsNull() && len(ap.ArrayValue()) > 0 {
		t.Errorf("vault has access policies %v; access is by RBAC only", ap)
	}
	sec := r.One(t, tSecret)
	if got := s(sec, "vaultName"); got != s(v, "vaultName") {
		t.Errorf("secret is in vault %q", got)
	}
	if got := s(sec, "secretName"); got != edgeKeySecretName {
		t.Errorf("secret name = %q", got)
	}
}
