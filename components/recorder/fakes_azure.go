package recorder

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// FakeAzureSubscription and FakeAzureTenant appear in every fake Azure id.
const (
	FakeAzureSubscription = "00000000-0000-0000-0000-000000000000"
	FakeAzureTenant       = "11111111-1111-1111-1111-111111111111"
)

func init() {
	// Azure ids are ARM resource paths.
	providerIDFakes["azure-native"] = func(res *Resource, fc FakeContext) string {
		rg := str(res.Inputs, "resourceGroupName")
		if rg == "" {
			rg = "rg"
		}
		_, rest, _ := strings.Cut(res.Type, ":")
		mod, typ, _ := strings.Cut(rest, ":")
		return fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.%s/%s/%s",
			FakeAzureSubscription, rg, mod, typ, autoName(res, fc))
	}
	providerOutputFakes["azure-native"] = func(res *Resource, fc FakeContext) resource.PropertyMap {
		out := resource.PropertyMap{}
		if _, ok := res.Inputs["name"]; !ok {
			out["name"] = resource.NewStringProperty(azureName(res, fc))
		}
		return out
	}
	idFakes["azure-native:resources:ResourceGroup"] = func(res *Resource, fc FakeContext) string {
		return fmt.Sprintf("/subscriptions/%s/resourceGroups/%s", FakeAzureSubscription, azureName(res, fc))
	}
	outputFakes["azure-native:managedidentity:UserAssignedIdentity"] = func(res *Resource, fc FakeContext) resource.PropertyMap {
		return props(map[string]any{"principalId": fakeUUID(res.URN + "p"), "clientId": fakeUUID(res.URN + "c"), "tenantId": FakeAzureTenant})
	}
	outputFakes["azure-native:app:ContainerApp"] = func(res *Resource, fc FakeContext) resource.PropertyMap {
		fqdn := fmt.Sprintf("%s.%s.%s.azurecontainerapps.io", azureName(res, fc), fc.Hash, fc.Region)
		return props(map[string]any{"latestRevisionFqdn": fqdn, "outboundIpAddresses": []any{fakeIPv4(res.URN)},
			"configuration": mergeObj(res.Inputs["configuration"], map[string]any{"ingress": map[string]any{"fqdn": fqdn}})})
	}
	outputFakes["azure-native:app:ManagedEnvironment"] = func(res *Resource, fc FakeContext) resource.PropertyMap {
		return props(map[string]any{"defaultDomain": fc.Hash + "." + fc.Region + ".azurecontainerapps.io", "staticIp": "10.0.0.4"})
	}
	outputFakes["azure-native:keyvault:Vault"] = func(res *Resource, fc FakeContext) resource.PropertyMap {
		return props(map[string]any{"properties": mergeObj(res.Inputs["properties"], map[string]any{"vaultUri": "https://" + azureName(res, fc) + ".vault.azure.net/"})})
	}
	outputFakes["azure-native:keyvault:Secret"] = func(res *Resource, fc FakeContext) resource.PropertyMap {
		vault := str(res.Inputs, "vaultName")
		name := azureName(res, fc)
		return props(map[string]any{"properties": map[string]any{
			"secretUri":            "https://" + vault + ".vault.azure.net/secrets/" + name,
			"secretUriWithVersion": "https://" + vault + ".vault.azure.net/secrets/" + name + "/" + fc.Hash,
		}})
	}
	outputFakes["azure-native:authorization:RoleDefinition"] = func(res *Resource, fc FakeContext) resource.PropertyMap {
		return props(map[string]any{"name": str(res.Inputs, "roleDefinitionId"), "type": "Microsoft.Authorization/roleDefinitions"})
	}
	outputFakes["azure-native:network:PublicIPAddress"] = func(res *Resource, fc FakeContext) resource.PropertyMap {
		return props(map[string]any{"ipAddress": fakeIPv4(res.URN)})
	}
	outputFakes["azure-native:operationalinsights:Workspace"] = func(res *Resource, fc FakeContext) resource.PropertyMap {
		return props(map[string]any{"customerId": fakeUUID(res.URN)})
	}
	// Resources whose id is a child path of their parent's id, as ARM builds
	// them, so a test can tell a table-scoped role assignment from an
	// account- or group-scoped one.
	for typ, f := range azureIDFakes {
		idFakes[typ] = f
	}
	outputFakes["azure-native:storage:StorageAccount"] = func(res *Resource, fc FakeContext) resource.PropertyMap {
		name := azureName(res, fc)
		ep := map[string]any{}
		for _, svc := range []string{"blob", "dfs", "file", "queue", "table", "web"} {
			ep[svc] = "https://" + name + "." + svc + ".core.windows.net/"
		}
		return props(map[string]any{"primaryEndpoints": ep, "primaryLocation": fc.Region})
	}
	// The cell uses a versioned Container Apps API (the default one,
	// 2022-10-01, predates named workload profiles and Key Vault secret
	// references); its resources answer like the default ones.
	for _, typ := range []string{"ContainerApp", "ManagedEnvironment"} {
		outputFakes["azure-native:app/v20240301:"+typ] = outputFakes["azure-native:app:"+typ]
	}
	invokeFakes["azure-native:authorization:getClientConfig"] = func(args resource.PropertyMap, fc FakeContext) resource.PropertyMap {
		return props(map[string]any{"clientId": fakeUUID("client"), "objectId": fakeUUID("object"),
			"subscriptionId": FakeAzureSubscription, "tenantId": FakeAzureTenant})
	}
	invokeFakes["azure-native:operationalinsights:getSharedKeys"] = func(args resource.PropertyMap, fc FakeContext) resource.PropertyMap {
		return resource.PropertyMap{"primarySharedKey": resource.MakeSecret(resource.NewStringProperty("fake-primary-shared-key")),
			"secondarySharedKey": resource.MakeSecret(resource.NewStringProperty("fake-secondary-shared-key"))}
	}
}

// azureName is the name an Azure resource gets: its explicit *Name input
// (resourceGroupName excepted, but for a resource group), else an autoname.
func azureName(res *Resource, fc FakeContext) string {
	if res.Type == "azure-native:resources:ResourceGroup" {
		// A group's own name is its resourceGroupName input.
		if n := str(res.Inputs, "resourceGroupName"); n != "" {
			return n
		}
	}
	for k, v := range res.Inputs {
		ks := string(k)
		if strings.HasSuffix(ks, "Name") && ks != "resourceGroupName" && !strings.HasPrefix(ks, "parent") && v.IsString() {
			// The resource's own name input is the one named after its type
			// (vaultName, accountName, ...); parent names are not.
			// The stem may be the type's last word only: accountName of
			// StorageAccount, environmentName of ManagedEnvironment.
			stem := strings.ToLower(strings.TrimSuffix(ks, "Name"))
			if stem != "" && strings.HasSuffix(strings.ToLower(lastTypeWord(res.Type)), stem) || ks == "resourceName" || ks == "name" {
				return v.StringValue()
			}
		}
	}
	return res.Name + fc.Hash[:7]
}

// lastTypeWord is the type name of a token, e.g. "Vault" of
// "azure-native:keyvault:Vault".
func lastTypeWord(typ string) string {
	i := strings.LastIndex(typ, ":")
	return typ[i+1:]
}

// mergeObj overlays extra on an object input, so a fake can add a computed
// field inside a nested object without losing the inputs beside it.
func mergeObj(in resource.PropertyValue, extra map[string]any) any {
	out := map[string]any{}
	if in.IsObject() {
		for k, v := range in.ObjectValue().Mappable() {
			out[k] = v
		}
	}
	for k, v := range extra {
		if m, ok := v.(map[string]any); ok {
			if inner, ok := out[k].(map[string]any); ok {
				for ik, iv := range m {
					inner[ik] = iv
				}
				continue
			}
		}
		out[k] = v
	}
	return out
}

// armCollections maps an Azure Native type (version stripped) to its ARM
// provider namespace and collection.
var armCollections = map[string]string{
	"network:VirtualNetwork":               "Microsoft.Network/virtualNetworks",
	"network:NetworkSecurityGroup":         "Microsoft.Network/networkSecurityGroups",
	"storage:StorageAccount":               "Microsoft.Storage/storageAccounts",
	"keyvault:Vault":                       "Microsoft.KeyVault/vaults",
	"managedidentity:UserAssignedIdentity": "Microsoft.ManagedIdentity/userAssignedIdentities",
	"operationalinsights:Workspace":        "Microsoft.OperationalInsights/workspaces",
	"app:ManagedEnvironment":               "Microsoft.App/managedEnvironments",
	"app:ContainerApp":                     "Microsoft.App/containerApps",
}

// armKey is "module:Type" of a token, without the API version
// ("app:ContainerApp" of "azure-native:app/v20240301:ContainerApp").
func armKey(typ string) string {
	_, rest, _ := strings.Cut(typ, ":")
	mod, name, _ := strings.Cut(rest, ":")
	mod, _, _ = strings.Cut(mod, "/")
	return mod + ":" + name
}

// armGroupID is the id of the resource group named by a resource's
// resourceGroupName input.
func armGroupID(res *Resource) string {
	rg := str(res.Inputs, "resourceGroupName")
	if rg == "" {
		rg = "rg"
	}
	return fmt.Sprintf("/subscriptions/%s/resourceGroups/%s", FakeAzureSubscription, rg)
}

// armID is the ARM id of a top-level resource of a known collection.
func armID(res *Resource, fc FakeContext) string {
	return armGroupID(res) + "/providers/" + armCollections[armKey(res.Type)] + "/" + azureName(res, fc)
}

// azureIDFakes give ARM-shaped ids: top-level resources under their group,
// child resources under their parent's path.
var azureIDFakes = func() map[string]IDFake {
	m := map[string]IDFake{}
	for key := range armCollections {
		mod, typ, _ := strings.Cut(key, ":")
		m["azure-native:"+mod+":"+typ] = armID
	}
	m["azure-native:app/v20240301:ManagedEnvironment"] = armID
	m["azure-native:app/v20240301:ContainerApp"] = armID
	m["azure-native:network:Subnet"] = func(res *Resource, fc FakeContext) string {
		return fmt.Sprintf("%s/providers/Microsoft.Network/virtualNetworks/%s/subnets/%s",
			armGroupID(res), str(res.Inputs, "virtualNetworkName"), str(res.Inputs, "subnetName"))
	}
	m["azure-native:storage:Table"] = func(res *Resource, fc FakeContext) string {
		return fmt.Sprintf("%s/providers/Microsoft.Storage/storageAccounts/%s/tableServices/default/tables/%s",
			armGroupID(res), str(res.Inputs, "accountName"), str(res.Inputs, "tableName"))
	}
	m["azure-native:keyvault:Secret"] = func(res *Resource, fc FakeContext) string {
		return fmt.Sprintf("%s/providers/Microsoft.KeyVault/vaults/%s/secrets/%s",
			armGroupID(res), str(res.Inputs, "vaultName"), str(res.Inputs, "secretName"))
	}
	m["azure-native:authorization:RoleAssignment"] = func(res *Resource, fc FakeContext) string {
		return str(res.Inputs, "scope") + "/providers/Microsoft.Authorization/roleAssignments/" + str(res.Inputs, "roleAssignmentName")
	}
	// A role definition's id is under the scope it was created at; its
	// name output is the GUID it was given.
	m["azure-native:authorization:RoleDefinition"] = func(res *Resource, fc FakeContext) string {
		return str(res.Inputs, "scope") + "/providers/Microsoft.Authorization/roleDefinitions/" + str(res.Inputs, "roleDefinitionId")
	}
	m["azure-native:insights:DiagnosticSetting"] = func(res *Resource, fc FakeContext) string {
		return str(res.Inputs, "resourceUri") + "/providers/Microsoft.Insights/diagnosticSettings/" + str(res.Inputs, "name")
	}
	return m
}()
