package dynamo

import (
	"context"
	"math"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/contract"
)

// ScanKeys implements state.Backend: a query of the tenant's partition on
// the sort key, begins_with the prefix, starting after the cursor's item
// name (ExclusiveStartKey: DynamoDB takes any key there, not only one that
// exists). The meta record's name has no item prefix, so it never matches.
func (b *Backend) ScanKeys(ctx context.Context, tenant, prefix, after string, limit int) ([]state.Record, error) {
	var start attrs
	switch {
	case limit <= 0:
		return nil, nil
	case after == "" || after < prefix:
		// Every key with the prefix sorts after the cursor.
	case strings.HasPrefix(after, prefix):
		start = recordKey(tenant, itemName(after))
	default:
		// The cursor sorts after the prefix without having it: so does
		// it after every key that has it.
		return nil, nil
	}
	in := &dynamodb.QueryInput{
		TableName:                aws.String(b.table),
		ConsistentRead:           aws.Bool(true),
		KeyConditionExpression:   aws.String("#t = :t AND begins_with(#k, :p)"),
		ExpressionAttributeNames: map[string]string{"#t": pkAttr, "#k": skAttr},
		ExpressionAttributeValues: attrs{
			":t": str(tenant),
			":p": str(itemName(prefix)),
		},
		ExclusiveStartKey: start,
	}
	return b.query(ctx, "listing the keys of "+tenant, in, limit)
}

// ScanSeq implements state.Backend: a query of the sequence index
// (a local secondary index, so strongly consistent) for since < seq <= upTo.
func (b *Backend) ScanSeq(ctx context.Context, tenant string, since, upTo uint64, limit int) ([]state.Record, error) {
	if limit <= 0 || since >= upTo {
		return nil, nil
	}
	in := &dynamodb.QueryInput{
		TableName:                aws.String(b.table),
		IndexName:                aws.String(contract.DynamoSeqIndex),
		ConsistentRead:           aws.Bool(true),
		KeyConditionExpression:   aws.String("#t = :t AND #s BETWEEN :lo AND :hi"),
		ExpressionAttributeNames: map[string]string{"#t": pkAttr, "#s": seqAttr},
		ExpressionAttributeValues: attrs{
			":t":  str(tenant),
			":lo": num(since + 1),
			":hi": num(upTo),
		},
	}
	return b.query(ctx, "reading the change feed of "+tenant, in, limit)
}

// query runs in page after page (DynamoDB returns at most 1 MB at a time)
// until it has limit items or there are no more.
func (b *Backend) query(ctx context.Context, what string, in *dynamodb.QueryInput, limit int) ([]state.Record, error) {
	var out []state.Record
	for {
		if b.closed.Load() {
			return nil, state.ErrClosed
		}
		in.Limit = aws.Int32(int32(min(limit-len(out), math.MaxInt32)))
		page, err := b.page(ctx, in)
		if err != nil {
			return nil, b.fail(what, err)
		}
		for _, m := range page.Items {
			r, _, err := decodeItem(m)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
		if len(out) >= limit || len(page.LastEvaluatedKey) == 0 {
			return out, nil
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}

// page runs one Query under the call timeout.
func (b *Backend) page(ctx context.Context, in *dynamodb.QueryInput) (*dynamodb.QueryOutput, error) {
	ctx, cancel := b.bound(ctx)
	defer cancel()
	return b.db.Query(ctx, in)
}
