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
)

// testRegion signs requests to the emulator, which accepts any region.
const testRegion = "us-east-1"

// testCredentials are dummies: dynalite checks that requests are signed,
// not by whom.
var testCredentials = credentials.NewStaticCredentialsProvider("AKIDCELLFABRICTEST", "cellfabric-test-secret", "")

// adminClient is a client of the emulator for test setup and inspection,
// apart from the adapter's clients and their call records.
func adminClient(endpoint string) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       testRegion,
		Credentials:  testCredentials,
		BaseEndpoint: aws.String(endpoint),
	})
}

// newTable creates a table with a name of its own on the emulator at
// endpoint and waits until it is active: with the contract's schema
// (EnsureTable, as `cellfabric local` does) when in is nil, else with in.
func newTable(t testing.TB, endpoint string, in *dynamodb.CreateTableInput) string {
	t.Helper()
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := "cellfabric-state-" + hex.EncodeToString(b[:])
	o := testOptions(endpoint, name)
	var err error
	if in == nil {
		err = EnsureTable(testContext(t), o)
	} else {
		err = createTable(testContext(t), o, in)
	}
	if err != nil {
		t.Fatal(err)
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
