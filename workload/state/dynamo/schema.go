package dynamo

import (
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cellfabric/cellfabric/workload/state/contract"
)

// The physical layout of a tenant's partition (see the package
// documentation).
const (
	// pkAttr and skAttr are the table's keys.
	pkAttr = contract.DynamoPartitionKey
	skAttr = contract.DynamoSortKey
	// metaName is the meta record's sort key; itemPrefix + key an item's.
	// Both sort by their bytes, and no item name equals metaName.
	metaName   = "m"
	itemPrefix = "k:"

	// verAttr is every record's version, a number incremented per write.
	verAttr = "ver"
	// Attributes of an item.
	seqAttr = contract.DynamoSeqAttribute
	valAttr = "val"
	delAttr = "del"
	// Attributes of the meta record: its sequence number (not seqAttr,
	// which would put it in the sequence index) and the pending record.
	lastAttr = "last"
	pKeyAttr = "pkey"
	pSeqAttr = "pseq"
	pValAttr = "pval"
	pDelAttr = "pdel"
	// The meta record's fence and move lock, each absent when zero: the
	// fence epoch, the fence-all and moved flags, the cell moved to, and
	// the lock (a map of lockID, lockOwner, lockTarget, lockStep, strings
	// absent when empty, and lockExpires, RFC 3339 with nanoseconds).
	fenceAttr    = "fence"
	fenceAllAttr = "fenceall"
	movedAttr    = "moved"
	movedToAttr  = "movedto"
	lockAttr     = "lock"
	lockID       = "id"
	lockOwner    = "owner"
	lockTarget   = "target"
	lockStep     = "step"
	lockExpires  = "expires"
)

// fixSchema is what to do about a table that differs from the contract.
const fixSchema = "the AWS cell component creates the table with the schema of workload/state/contract/dynamo.go (a local secondary index exists only if the table was created with it): deploy the cell again, or point the workload at the right table"

// checkSchema reports every way the table differs from the contract's
// schema: its keys, their types, and the sequence index with its projection.
func checkSchema(t *types.TableDescription) error {
	if t == nil {
		return fmt.Errorf("DescribeTable returned no table description: %s", fixSchema)
	}
	var errs []error
	defined := map[string]types.ScalarAttributeType{}
	for _, a := range t.AttributeDefinitions {
		if a.AttributeName != nil {
			defined[*a.AttributeName] = a.AttributeType
		}
	}
	for _, want := range []struct{ name, typ string }{
		{contract.DynamoPartitionKey, contract.DynamoPartitionKeyType},
		{contract.DynamoSortKey, contract.DynamoSortKeyType},
		{contract.DynamoSeqAttribute, contract.DynamoSeqAttributeType},
	} {
		switch got, ok := defined[want.name]; {
		case !ok:
			errs = append(errs, fmt.Errorf("attribute %s is not defined, want type %s", want.name, want.typ))
		case string(got) != want.typ:
			errs = append(errs, fmt.Errorf("attribute %s has type %s, want %s", want.name, got, want.typ))
		}
	}
	if err := checkKeys("the table's key", t.KeySchema, contract.DynamoSortKey); err != nil {
		errs = append(errs, err)
	}
	var index *types.LocalSecondaryIndexDescription
	for i, ix := range t.LocalSecondaryIndexes {
		if ix.IndexName != nil && *ix.IndexName == contract.DynamoSeqIndex {
			index = &t.LocalSecondaryIndexes[i]
		}
	}
	if index == nil {
		errs = append(errs, fmt.Errorf("no local secondary index %s", contract.DynamoSeqIndex))
	} else {
		if err := checkKeys("index "+contract.DynamoSeqIndex+"'s key", index.KeySchema, contract.DynamoSeqAttribute); err != nil {
			errs = append(errs, err)
		}
		if index.Projection == nil || string(index.Projection.ProjectionType) != contract.DynamoSeqIndexProjection {
			var got types.ProjectionType
			if index.Projection != nil {
				got = index.Projection.ProjectionType
			}
			errs = append(errs, fmt.Errorf("index %s projects %q, want %s", contract.DynamoSeqIndex, got, contract.DynamoSeqIndexProjection))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %s", errors.Join(errs...), fixSchema)
	}
	return nil
}

// checkKeys checks a key schema: the partition key, then sortKey.
func checkKeys(what string, ks []types.KeySchemaElement, sortKey string) error {
	want := []types.KeySchemaElement{
		{AttributeName: aws.String(contract.DynamoPartitionKey), KeyType: types.KeyTypeHash},
		{AttributeName: aws.String(sortKey), KeyType: types.KeyTypeRange},
	}
	ok := len(ks) == len(want)
	for i := 0; ok && i < len(ks); i++ {
		ok = ks[i].AttributeName != nil && *ks[i].AttributeName == *want[i].AttributeName && ks[i].KeyType == want[i].KeyType
	}
	if ok {
		return nil
	}
	return fmt.Errorf("%s is %s, want %s", what, keysString(ks), keysString(want))
}

func keysString(ks []types.KeySchemaElement) string {
	s := "["
	for i, k := range ks {
		if i > 0 {
			s += " "
		}
		name := "?"
		if k.AttributeName != nil {
			name = *k.AttributeName
		}
		s += name + " " + string(k.KeyType)
	}
	return s + "]"
}
