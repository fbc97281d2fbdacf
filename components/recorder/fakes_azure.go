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
	outputFakes["azure-native:network:PublicIPAddress"] = func(res *Resource, fc FakeContext) resource.PropertyMap {
		return props(map[string]any{"ipAddress": fakeIPv4(res.URN)})
	}
	outputFakes["azure-native:operationalinsights:Workspace"] = func(res *Resource, fc FakeContext) resource.PropertyMap {
		return props(map[string]any{"customerId": fakeUUID(res.URN)})
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
// (resourceGroupName excepted), else an autoname.
func azureName(res *Resource, fc FakeContext) string {
	for k, v := range res.Inputs {
		ks := string(k)
		if strings.HasSuffix(ks, "Name") && ks != "resourceGroupName" && !strings.HasPrefix(ks, "parent") && v.IsString() {
			// The resource's own name input is the one named after its type
			// (vaultName, accountName, ...); parent names are not.
			if strings.EqualFold(strings.TrimSuffix(ks, "Name"), lastTypeWord(res.Type)) || ks == "resourceName" || ks == "name" {
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
