package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cellfabric/cellfabric/workload/state/contract"
)

// ensureWait bounds EnsureTable's wait for a new table to become active.
const ensureWait = time.Minute

// EnsureTable creates the table o names with the schema of
// workload/state/contract, unless a table of that name exists, and waits
// until it is active. It is for emulators (`cellfabric local --store
// dynamodb`, the adapter's tests): in AWS the cell component creates the
// table, and the workload's role may not (contract.DynamoPermissions has
// no CreateTable). It does not check an existing table's schema; Open
// does.
func EnsureTable(ctx context.Context, o Options) error {
	return createTable(ctx, o, tableSchema(o.Table))
}

// tableSchema is the table the AWS cell component creates, built from the
// contract's constants alone: what the adapter is tested against is what
// the contract declares.
func tableSchema(name string) *dynamodb.CreateTableInput {
	return &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(contract.DynamoPartitionKey), AttributeType: types.ScalarAttributeType(contract.DynamoPartitionKeyType)},
			{AttributeName: aws.String(contract.DynamoSortKey), AttributeType: types.ScalarAttributeType(contract.DynamoSortKeyType)},
			{AttributeName: aws.String(contract.DynamoSeqAttribute), AttributeType: types.ScalarAttributeType(contract.DynamoSeqAttributeType)},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(contract.DynamoPartitionKey), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(contract.DynamoSortKey), KeyType: types.KeyTypeRange},
		},
		LocalSecondaryIndexes: []types.LocalSecondaryIndex{{
			IndexName: aws.String(contract.DynamoSeqIndex),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(contract.DynamoPartitionKey), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(contract.DynamoSeqAttribute), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionType(contract.DynamoSeqIndexProjection)},
		}},
	}
}

// createTable creates the table in describes (its name is o.Table) with a
// client built from o, unless it exists, and waits until it is active.
func createTable(ctx context.Context, o Options, in *dynamodb.CreateTableInput) error {
	if err := o.Validate(); err != nil {
		return fmt.Errorf("dynamodb state options: %w", err)
	}
	o = o.withDefaults()
	in.TableName = aws.String(o.Table)
	c, hc, err := newClient(ctx, o)
	if err != nil {
		return err
	}
	defer hc.CloseIdleConnections()
	if _, err := c.CreateTable(ctx, in); err != nil {
		var inUse *types.ResourceInUseException
		if !errors.As(err, &inUse) {
			return fmt.Errorf("creating the DynamoDB table %s: %w", o.Table, err)
		}
	}
	w := dynamodb.NewTableExistsWaiter(c, func(wo *dynamodb.TableExistsWaiterOptions) { wo.MinDelay = 20 * time.Millisecond })
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(o.Table)}, ensureWait); err != nil {
		return fmt.Errorf("waiting for the DynamoDB table %s to become active: %w", o.Table, err)
	}
	return nil
}
