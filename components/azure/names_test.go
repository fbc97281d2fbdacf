package azure

import (
	"strings"
	"testing"
)

// TestDeriveNames: every name fits Azure's rules for short, long and odd
// ids and stacks, and the global names differ per stack.
func TestDeriveNames(t *testing.T) {
	t.Parallel()
	longStack := strings.Repeat("production-eu.blue_", 6)[:100]
	cases := []struct {
		name, project, stack, id string
		want                     names // fields left empty are not compared
	}{
		{"dev cell", "cellfabric", "dev", "azure-weu", names{
			ResourceGroup: "rg-cellfabric-dev-azure-weu", VNet: "vnet-azure-weu", NSG: "nsg-azure-weu-apps",
			Workspace: "log-azure-weu", Environment: "cae-azure-weu", App: "ca-azure-weu",
			Identity: "id-azure-weu", Table: "stateazureweu", Secret: "edge-key",
			StateRole: "cellfabric-state-azure-weu-" + shortHash("cellfabric/dev/azure-weu"),
		}},
		{"shortest id", "cellfabric", "dev", "abc", names{App: "ca-abc", Table: "stateabc"}},
		{"longest id", "cellfabric", "dev", "a2345678901234567890", names{App: "ca-a2345678901234567890"}},
		{"longest id with hyphens", "cellfabric", "dev", "a-b-c-d-e-f-g-h-i-jk", names{}},
		{"double hyphens", "cellfabric", "dev", "az--weu---x", names{App: "ca-az-weu-x", Vault: ""}},
		{"hyphen at vault cut", "cellfabric", "dev", "abcdefghijk-lmnopqrs", names{}},
		{"long odd stack", "cellfabric", longStack, "a2345678901234567890", names{}},
		{"stack with slashes", "cellfabric", "org/proj/prod", "azure-weu", names{ResourceGroup: "rg-cellfabric-org-proj-prod-azure-weu"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n := deriveNames(tc.project, tc.stack, tc.id)
			if err := n.validate(); err != nil {
				t.Fatal(err)
			}
			if len(n.StorageAccount) > 24 || len(n.Vault) > 24 || len(n.App) > 32 || len(n.ResourceGroup) > 90 {
				t.Errorf("too long: %+v", n)
			}
			if strings.Contains(n.Vault, "--") || strings.Contains(n.App, "--") {
				t.Errorf("double hyphen: vault %q app %q", n.Vault, n.App)
			}
			check := func(field, got, want string) {
				if want != "" && got != want {
					t.Errorf("%s = %q, want %q", field, got, want)
				}
			}
			check("ResourceGroup", n.ResourceGroup, tc.want.ResourceGroup)
			check("VNet", n.VNet, tc.want.VNet)
			check("NSG", n.NSG, tc.want.NSG)
			check("Workspace", n.Workspace, tc.want.Workspace)
			check("Environment", n.Environment, tc.want.Environment)
			check("App", n.App, tc.want.App)
			check("Identity", n.Identity, tc.want.Identity)
			check("Table", n.Table, tc.want.Table)
			check("Secret", n.Secret, tc.want.Secret)
			check("StateRole", n.StateRole, tc.want.StateRole)
			if again := deriveNames(tc.project, tc.stack, tc.id); again != n {
				t.Errorf("not deterministic: %+v vs %+v", again, n)
			}
			other := deriveNames(tc.project, tc.stack+"x", tc.id)
			if other.StorageAccount == n.StorageAccount || other.Vault == n.Vault || other.StateRole == n.StateRole {
				t.Errorf("stacks %q and %q share global names %s / %s / %s", tc.stack, tc.stack+"x", n.StorageAccount, n.Vault, n.StateRole)
			}
			if other.ResourceGroup == n.ResourceGroup {
				t.Errorf("stacks %q and %q share resource group %s", tc.stack, tc.stack+"x", n.ResourceGroup)
			}
		})
	}
}

// TestValidateNamesRejects: validate catches each rule the derivation
// relies on, so a regression in deriveNames cannot pass silently.
func TestValidateNamesRejects(t *testing.T) {
	t.Parallel()
	good := deriveNames("cellfabric", "dev", "azure-weu")
	cases := []struct {
		name   string
		modify func(*names)
		want   string
	}{
		{"storage too long", func(n *names) { n.StorageAccount = strings.Repeat("a", 25) }, "storage account name"},
		{"storage hyphen", func(n *names) { n.StorageAccount = "st-azure" }, "storage account name"},
		{"storage upper case", func(n *names) { n.StorageAccount = "stAzure" }, "storage account name"},
		{"vault too long", func(n *names) { n.Vault = "kv-" + strings.Repeat("a", 22) }, "key vault name"},
		{"vault starts with digit", func(n *names) { n.Vault = "1kv" }, "key vault name"},
		{"vault ends with hyphen", func(n *names) { n.Vault = "kv-a-" }, "key vault name"},
		{"vault double hyphen", func(n *names) { n.Vault = "kv--a" }, `holds "--"`},
		{"app too long", func(n *names) { n.App = "ca-" + strings.Repeat("a", 30) }, "container app name"},
		{"app upper case", func(n *names) { n.App = "ca-Weu" }, "container app name"},
		{"table hyphen", func(n *names) { n.Table = "state-weu" }, "table name"},
		{"table reserved", func(n *names) { n.Table = "Tables" }, "reserved"},
		{"group ends with dot", func(n *names) { n.ResourceGroup = "rg." }, "resource group name"},
		{"group too long", func(n *names) { n.ResourceGroup = strings.Repeat("r", 91) }, "resource group name"},
		{"workspace too short", func(n *names) { n.Workspace = "log" }, "log analytics workspace name"},
		{"environment too long", func(n *names) { n.Environment = strings.Repeat("e", 61) }, "container apps environment name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n := good
			tc.modify(&n)
			err := n.validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("validate() = %v, want an error about %s", err, tc.want)
			}
		})
	}
}
