package azure

import (
	"fmt"

	"github.com/pulumi/pulumi-azure-native-sdk/storage/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Storage account settings. Each is a security or durability decision, not
// a tuning knob, so they are constants rather than cell.Args.
const (
	storageKind       = "StorageV2"
	storageMinTLS     = "TLS1_2"
	storageKeySource  = "Microsoft.Storage" // platform-managed keys
	storageKeyAccount = "Account"           // per-account keys, also for tables and queues
)

// cellState is the storage account and the workload's table.
type cellState struct {
	account *storage.StorageAccount
	table   *storage.Table
}

// newState creates the cell's storage account and its table. The account
// takes no shared keys (the workload signs in with its managed identity),
// serves HTTPS with TLS 1.2 or later only, exposes no public blobs, encrypts
// twice (service and infrastructure layer) with per-account keys for every
// service including tables, and admits data-plane traffic only from the apps
// subnet. Azure Table storage has no point-in-time restore or backup; the
// SKU (see storageSKU) is the durability story.
func newState(ctx *pulumi.Context, name string, n names, rg pulumi.StringInput, location string,
	appsSubnetID pulumi.StringInput, tags pulumi.StringMap, opts ...pulumi.ResourceOption) (*cellState, error) {
	on := pulumi.Bool(true)
	accountKeys := &storage.EncryptionServiceArgs{Enabled: on, KeyType: pulumi.String(storageKeyAccount)}
	account, err := storage.NewStorageAccount(ctx, name+"-storage", &storage.StorageAccountArgs{
		AccountName:                  pulumi.String(n.StorageAccount),
		ResourceGroupName:            rg,
		Location:                     pulumi.String(location),
		Kind:                         pulumi.String(storageKind),
		Sku:                          &storage.SkuArgs{Name: pulumi.String(storageSKU(location))},
		AccessTier:                   storage.AccessTierHot,
		MinimumTlsVersion:            pulumi.String(storageMinTLS),
		EnableHttpsTrafficOnly:       on,
		AllowBlobPublicAccess:        pulumi.Bool(false),
		AllowSharedKeyAccess:         pulumi.Bool(false),
		DefaultToOAuthAuthentication: on,
		AllowCrossTenantReplication:  pulumi.Bool(false),
		Encryption: &storage.EncryptionArgs{
			KeySource:                       pulumi.String(storageKeySource),
			RequireInfrastructureEncryption: on,
			Services: &storage.EncryptionServicesArgs{
				Blob:  accountKeys,
				File:  accountKeys,
				Table: accountKeys,
				Queue: accountKeys,
			},
		},
		NetworkRuleSet: &storage.NetworkRuleSetArgs{
			DefaultAction: storage.DefaultActionDeny,
			Bypass:        pulumi.String("None"),
			VirtualNetworkRules: storage.VirtualNetworkRuleArray{storage.VirtualNetworkRuleArgs{
				VirtualNetworkResourceId: appsSubnetID,
				Action:                   storage.ActionAllow,
			}},
		},
		Tags: tags,
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("creating storage account: %w", err)
	}
	// Table storage names are alphanumeric, so the name is always explicit
	// (a Pulumi autoname carries a hyphen). Tables take no tags.
	table, err := storage.NewTable(ctx, name+"-table", &storage.TableArgs{
		TableName:         pulumi.String(n.Table),
		AccountName:       account.Name,
		ResourceGroupName: rg,
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("creating state table: %w", err)
	}
	return &cellState{account: account, table: table}, nil
}
