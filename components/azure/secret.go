package azure

import (
	"fmt"

	"github.com/pulumi/pulumi-azure-native-sdk/keyvault/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
)

// vaultSoftDeleteDays is how long a deleted vault or secret stays
// recoverable (Azure allows 7–90). The minimum: the edge key's source of
// truth is the edge stack's config, so a deleted copy is re-created from it
// rather than recovered, and a shorter hold frees the vault's global name
// sooner when a cell is torn down and rebuilt.
const vaultSoftDeleteDays = 7

// cellSecret is the vault and the edge key's secret in it.
type cellSecret struct {
	vault  *keyvault.Vault
	secret *keyvault.Secret
	// extra holds the extra edge key ("<id>=<secret>"); nil without one.
	extra *keyvault.Secret
}

// newSecret creates the cell's Key Vault (Azure RBAC for data access, no
// access policies, soft delete on) and the edge key secret in it, plus a
// second secret for the extra edge key when a has one. The secrets' values
// are the only places a.EdgeKey and a.ExtraEdgeKey go; they are wrapped as
// secrets again here so that they stay secret whatever the caller passed.
// Purge protection is left off: it can never be turned off again, and it
// would hold the vault name for the soft-delete period after every
// teardown, for a copy of a key that lives elsewhere. (ARM rejects an
// explicit false, so the field is omitted.)
func newSecret(ctx *pulumi.Context, name string, n names, rg pulumi.StringInput, location string,
	tenant pulumi.StringOutput, a cell.Args, tags pulumi.StringMap, opts ...pulumi.ResourceOption) (*cellSecret, error) {
	vault, err := keyvault.NewVault(ctx, name+"-vault", &keyvault.VaultArgs{
		VaultName:         pulumi.String(n.Vault),
		ResourceGroupName: rg,
		Location:          pulumi.String(location),
		Properties: &keyvault.VaultPropertiesArgs{
			TenantId:                     tenant,
			Sku:                          &keyvault.SkuArgs{Family: pulumi.String(string(keyvault.SkuFamilyA)), Name: keyvault.SkuNameStandard},
			EnableRbacAuthorization:      pulumi.Bool(true),
			EnableSoftDelete:             pulumi.Bool(true),
			SoftDeleteRetentionInDays:    pulumi.Int(vaultSoftDeleteDays),
			EnabledForDeployment:         pulumi.Bool(false),
			EnabledForDiskEncryption:     pulumi.Bool(false),
			EnabledForTemplateDeployment: pulumi.Bool(false),
		},
		Tags: tags,
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("creating key vault: %w", err)
	}
	secret, err := keyvault.NewSecret(ctx, name+"-edge-key", &keyvault.SecretArgs{
		SecretName:        pulumi.String(n.Secret),
		VaultName:         vault.Name,
		ResourceGroupName: rg,
		Properties: &keyvault.SecretPropertiesArgs{
			Value:       pulumi.ToSecret(a.EdgeKey).(pulumi.StringOutput),
			ContentType: pulumi.String("cellfabric edge signing key " + a.EdgeKeyID),
		},
		Tags: tags,
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("creating edge key secret: %w", err)
	}
	out := &cellSecret{vault: vault, secret: secret}
	if a.HasExtraEdgeKey() {
		out.extra, err = keyvault.NewSecret(ctx, name+"-edge-key-extra", &keyvault.SecretArgs{
			SecretName:        pulumi.String(n.ExtraSecret),
			VaultName:         vault.Name,
			ResourceGroupName: rg,
			Properties: &keyvault.SecretPropertiesArgs{
				Value:       a.ExtraEdgeKeyEntry(),
				ContentType: pulumi.String("cellfabric extra edge key " + a.ExtraEdgeKeyID + " (id=secret)"),
			},
			Tags: tags,
		}, opts...)
		if err != nil {
			return nil, fmt.Errorf("creating extra edge key secret: %w", err)
		}
	}
	return out, nil
}
