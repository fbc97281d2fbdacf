package dynamo

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cellfabric/cellfabric/workload/state/contract"
)

// description is what DescribeTable answers for the contract's table.
func description() *types.TableDescription {
	in := tableSchema("t")
	d := &types.TableDescription{
		TableName:            in.TableName,
		AttributeDefinitions: in.AttributeDefinitions,
		KeySchema:            in.KeySchema,
	}
	for _, ix := range in.LocalSecondaryIndexes {
		d.LocalSecondaryIndexes = append(d.LocalSecondaryIndexes, types.LocalSecondaryIndexDescription{
			IndexName: ix.IndexName, KeySchema: ix.KeySchema, Projection: ix.Projection,
		})
	}
	return d
}

func TestCheckSchema(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		edit func(*types.TableDescription)
		want string // "" when the schema is right
	}{
		{"the contract's schema", func(*types.TableDescription) {}, ""},
		{"another index beside it", func(d *types.TableDescription) {
			d.LocalSecondaryIndexes = append([]types.LocalSecondaryIndexDescription{{IndexName: aws.String("other")}}, d.LocalSecondaryIndexes...)
		}, ""},
		{"partition key of another type", func(d *types.TableDescription) { d.AttributeDefinitions[0].AttributeType = types.ScalarAttributeTypeB },
			"attribute tenant has type B, want S"},
		{"sort key of another type", func(d *types.TableDescription) { d.AttributeDefinitions[1].AttributeType = types.ScalarAttributeTypeN },
			"attribute key has type N, want S"},
		{"sequence of another type", func(d *types.TableDescription) { d.AttributeDefinitions[2].AttributeType = types.ScalarAttributeTypeS },
			"attribute seq has type S, want N"},
		{"sequence not defined", func(d *types.TableDescription) { d.AttributeDefinitions = d.AttributeDefinitions[:2] },
			"attribute seq is not defined"},
		{"no sort key", func(d *types.TableDescription) { d.KeySchema = d.KeySchema[:1] },
			"the table's key is [tenant HASH], want [tenant HASH key RANGE]"},
		{"keys swapped", func(d *types.TableDescription) {
			d.KeySchema = []types.KeySchemaElement{{AttributeName: aws.String("key"), KeyType: types.KeyTypeHash}, {AttributeName: aws.String("tenant"), KeyType: types.KeyTypeRange}}
		}, "the table's key is [key HASH tenant RANGE]"},
		{"no index", func(d *types.TableDescription) { d.LocalSecondaryIndexes = nil },
			"no local secondary index seq"},
		{"index of another name", func(d *types.TableDescription) { d.LocalSecondaryIndexes[0].IndexName = aws.String("by-seq") },
			"no local secondary index seq"},
		{"index on another sort key", func(d *types.TableDescription) {
			d.LocalSecondaryIndexes[0].KeySchema[1].AttributeName = aws.String("ver")
		},
			"index seq's key is [tenant HASH ver RANGE], want [tenant HASH seq RANGE]"},
		{"index projecting keys only", func(d *types.TableDescription) {
			d.LocalSecondaryIndexes[0].Projection = &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly}
		}, `index seq projects "KEYS_ONLY", want ALL`},
		{"index without projection", func(d *types.TableDescription) { d.LocalSecondaryIndexes[0].Projection = nil },
			`index seq projects "", want ALL`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := description()
			c.edit(d)
			err := checkSchema(d)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("the right schema refused: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("error %v, want one saying %q", err, c.want)
			case err != nil && !strings.Contains(err.Error(), "deploy the cell again"):
				t.Errorf("error %v does not say what to do", err)
			}
		})
	}
	if err := checkSchema(nil); err == nil {
		t.Error("no description accepted")
	}
}

// TestIndexARN: the resource a Query of the sequence index is granted on.
func TestIndexARN(t *testing.T) {
	t.Parallel()
	const table = "arn:aws:dynamodb:eu-west-1:123456789012:table/cell-1-state"
	if got, want := contract.DynamoIndexARN(table), table+"/index/seq"; got != want {
		t.Errorf("DynamoIndexARN = %s, want %s", got, want)
	}
}
