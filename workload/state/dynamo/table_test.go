package dynamo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cellfabric/cellfabric/workload/state/contract"
)

// testRegion signs requests to the emulator, which accepts any region.
const testRegion = "us-east-1"

// testCredentials are dummies: dynalite checks that requests are signed,
// not by whom.
var testCredentials = credentials.NewStaticCredentialsProvider("AKIDCELLFABRICTEST", "cellfabric-test-secret", "")

// adminClient is a client of the emulator for test setup (creating
// tables), apart from the adapter's clients and their call records.
func adminClient(endpoint string) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       testRegion,
		Credentials:  testCredentials,
		BaseEndpoint: aws.String(endpoint),
	})
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

// newTable creates a table with a name of its own on the emulator at
// endpoint (from in, or the contract's schema when in is nil) and waits
// until it is active.
func newTable(t testing.TB, endpoint string, in *dynamodb.CreateTableInput) string {
	t.Helper()
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := "cellfabric-state-" + hex.EncodeToString(b[:])
	if in == nil {
		in = tableSchema(name)
	}
	in.TableName = aws.String(name)
	ctx := testContext(t)
	c := adminClient(endpoint)
	if _, err := c.CreateTable(ctx, in); err != nil {
		t.Fatalf("creating table %s: %v", name, err)
	}
	w := dynamodb.NewTableExistsWaiter(c, func(o *dynamodb.TableExistsWaiterOptions) { o.MinDelay = 20 * time.Millisecond })
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, time.Minute); err != nil {
		t.Fatalf("waiting for table %s: %v", name, err)
	}
	return name
}

// testOptions are the options of a backend over table on the emulator at
// endpoint.
func testOptions(endpoint, table string) Options {
	return Options{Table: table, Region: testRegion, Endpoint: endpoint, Credentials: testCredentials}
}

// openTest opens a backend with o, closed when the test ends.
func openTest(t testing.TB, o Options) *Backend {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b, err := Open(ctx, o)
	if err != nil {
		t.Fatalf("opening the dynamodb backend: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}
