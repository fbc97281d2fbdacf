package azure

import (
	"fmt"

	"github.com/pulumi/pulumi-azure-native-sdk/insights/v2"
	"github.com/pulumi/pulumi-azure-native-sdk/operationalinsights/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Log Analytics settings: pay-per-GB and a 30-day retention, which the
// PerGB2018 tier includes at no extra cost.
const (
	logRetentionDays = 30
	logSKU           = "PerGB2018"
)

// auditSettingName names the diagnostic settings that send the vault's and
// the table service's audit logs to the workspace.
const auditSettingName = "cellfabric-audit"

// cellLogs is the workspace and the key the environment writes to it with.
type cellLogs struct {
	workspace *operationalinsights.Workspace
	// sharedKey is the workspace's primary key, secret.
	sharedKey pulumi.StringOutput
}

// newLogs creates the cell's Log Analytics workspace and reads its shared
// key (the Container Apps environment's log-analytics destination takes
// one). The key is read through an invoke parented to the cell, so it goes
// through the cell's provider, and is kept secret.
func newLogs(ctx *pulumi.Context, comp pulumi.Resource, name string, n names, rg pulumi.StringOutput, location string,
	tags pulumi.StringMap, opts ...pulumi.ResourceOption) (*cellLogs, error) {
	ws, err := operationalinsights.NewWorkspace(ctx, name+"-logs", &operationalinsights.WorkspaceArgs{
		WorkspaceName:     pulumi.String(n.Workspace),
		ResourceGroupName: rg,
		Location:          pulumi.String(location),
		Sku:               &operationalinsights.WorkspaceSkuArgs{Name: pulumi.String(logSKU)},
		RetentionInDays:   pulumi.Int(logRetentionDays),
		Tags:              tags,
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("creating log analytics workspace: %w", err)
	}
	keys := operationalinsights.GetSharedKeysOutput(ctx, operationalinsights.GetSharedKeysOutputArgs{
		ResourceGroupName: rg,
		WorkspaceName:     ws.Name,
	}, pulumi.Parent(comp))
	key := keys.PrimarySharedKey().ApplyT(func(k *string) (string, error) {
		if k == nil || *k == "" {
			return "", fmt.Errorf("log analytics workspace %s returned no primary shared key", n.Workspace)
		}
		return *k, nil
	}).(pulumi.StringOutput)
	return &cellLogs{workspace: ws, sharedKey: pulumi.ToSecret(key).(pulumi.StringOutput)}, nil
}

// auditTo sends the audit logs of the resource at uri to the workspace.
func auditTo(ctx *pulumi.Context, name string, uri pulumi.StringInput, ws *operationalinsights.Workspace, opts ...pulumi.ResourceOption) error {
	_, err := insights.NewDiagnosticSetting(ctx, name, &insights.DiagnosticSettingArgs{
		Name:        pulumi.String(auditSettingName),
		ResourceUri: uri,
		WorkspaceId: ws.ID(),
		Logs: insights.LogSettingsArray{insights.LogSettingsArgs{
			CategoryGroup: pulumi.String("audit"),
			Enabled:       pulumi.Bool(true),
		}},
	}, opts...)
	if err != nil {
		return fmt.Errorf("creating diagnostic setting %s: %w", name, err)
	}
	return nil
}
