package aws

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/secretsmanager"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/workload/state/contract"
)

const (
	// logRetentionDays is how long the workload's logs are kept.
	logRetentionDays = 30
	// secretRecoveryDays is the edge key secret's recovery window. The key's
	// source of truth is the edge stack, which can always write it again, so
	// the secret is deleted at once: a recovery window would only keep its
	// name reserved and block re-creating the cell.
	secretRecoveryDays = 0
)

// state builds the DynamoDB table, the edge key secret and the log group.
func (b *builder) state() error {
	var err error
	b.table, err = dynamodb.NewTable(b.ctx, b.name+"-state", &dynamodb.TableArgs{
		Name:        pulumi.String(b.names.Table),
		BillingMode: pulumi.String("PAY_PER_REQUEST"),
		// The state port's schema (workload/state/contract): the tenant is
		// the partition key, so no query of one tenant reaches another's
		// items, and a local secondary index orders a tenant's items by
		// sequence number for its change feed (an LSI exists only from the
		// table's creation, and allows strongly consistent reads).
		HashKey:  pulumi.String(contract.DynamoPartitionKey),
		RangeKey: pulumi.String(contract.DynamoSortKey),
		Attributes: dynamodb.TableAttributeArray{
			dynamodb.TableAttributeArgs{Name: pulumi.String(contract.DynamoPartitionKey), Type: pulumi.String(contract.DynamoPartitionKeyType)},
			dynamodb.TableAttributeArgs{Name: pulumi.String(contract.DynamoSortKey), Type: pulumi.String(contract.DynamoSortKeyType)},
			dynamodb.TableAttributeArgs{Name: pulumi.String(contract.DynamoSeqAttribute), Type: pulumi.String(contract.DynamoSeqAttributeType)},
		},
		LocalSecondaryIndexes: dynamodb.TableLocalSecondaryIndexArray{
			dynamodb.TableLocalSecondaryIndexArgs{
				Name:           pulumi.String(contract.DynamoSeqIndex),
				RangeKey:       pulumi.String(contract.DynamoSeqAttribute),
				ProjectionType: pulumi.String(contract.DynamoSeqIndexProjection),
			},
		},
		PointInTimeRecovery: &dynamodb.TablePointInTimeRecoveryArgs{Enabled: pulumi.Bool(true)},
		// Encrypted with the AWS-managed key aws/dynamodb (no KmsKeyArn):
		// key use shows in CloudTrail, without a customer key to manage.
		ServerSideEncryption: &dynamodb.TableServerSideEncryptionArgs{Enabled: pulumi.Bool(true)},
		// Tenant data: a destroy must not drop it by accident.
		DeletionProtectionEnabled: pulumi.Bool(true),
		Tags:                      b.tagged("state"),
	}, b.opts()...)
	if err != nil {
		return err
	}

	b.secret, err = secretsmanager.NewSecret(b.ctx, b.name+"-edge-key", &secretsmanager.SecretArgs{
		Name:                 pulumi.String(b.names.Secret),
		Description:          pulumi.String("cellfabric edge signing key of cell " + b.args.ID),
		RecoveryWindowInDays: pulumi.Int(secretRecoveryDays),
		Tags:                 b.tagged("edge-key"),
	}, b.opts()...)
	if err != nil {
		return err
	}
	// The key reaches this one input and nowhere else; ToSecret keeps it
	// secret even if a caller forgot to mark it.
	b.keyVersion, err = secretsmanager.NewSecretVersion(b.ctx, b.name+"-edge-key", &secretsmanager.SecretVersionArgs{
		SecretId:     b.secret.ID(),
		SecretString: pulumi.ToSecret(b.args.EdgeKey).(pulumi.StringOutput),
	}, b.opts()...)
	if err != nil {
		return err
	}

	if err := b.extraKey(); err != nil {
		return err
	}

	b.logGroup, err = cloudwatch.NewLogGroup(b.ctx, b.name+"-logs", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String(b.names.LogGroup),
		RetentionInDays: pulumi.Int(logRetentionDays),
		Tags:            b.tagged("logs"),
	}, b.opts()...)
	return err
}

// extraKey stores the extra edge key, when the cell has one, as a second
// secret beside the first: "<id>=<secret>", the form CELLFABRIC_EDGE_KEYS
// takes. Without one it builds nothing.
func (b *builder) extraKey() error {
	if !b.args.HasExtraEdgeKey() {
		return nil
	}
	var err error
	b.extraSecret, err = secretsmanager.NewSecret(b.ctx, b.name+"-edge-key-extra", &secretsmanager.SecretArgs{
		Name:                 pulumi.String(b.names.ExtraSecret),
		Description:          pulumi.String("cellfabric extra edge key " + b.args.ExtraEdgeKeyID + " of cell " + b.args.ID),
		RecoveryWindowInDays: pulumi.Int(secretRecoveryDays),
		Tags:                 b.tagged("edge-key-extra"),
	}, b.opts()...)
	if err != nil {
		return err
	}
	b.extraVersion, err = secretsmanager.NewSecretVersion(b.ctx, b.name+"-edge-key-extra", &secretsmanager.SecretVersionArgs{
		SecretId:     b.extraSecret.ID(),
		SecretString: b.args.ExtraEdgeKeyEntry(),
	}, b.opts()...)
	return err
}

// secretARNs are the ARNs of the edge key secrets the workload reads: the
// key's, then the extra key's when there is one.
func (b *builder) secretARNs() pulumi.StringArrayOutput {
	arns := pulumi.StringArray{b.secret.Arn}
	if b.extraSecret != nil {
		arns = append(arns, b.extraSecret.Arn)
	}
	return arns.ToStringArrayOutput()
}
