package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cellfabric/cellfabric/workload/state"
)

// GetMeta implements state.Backend.
func (b *Backend) GetMeta(ctx context.Context, tenant string) (state.Meta, state.Version, bool, error) {
	m, found, err := b.get(ctx, "reading the meta record of "+tenant, recordKey(tenant, metaName))
	if err != nil || !found {
		return state.Meta{}, state.NoVersion, false, err
	}
	mt, ver, err := decodeMeta(m)
	if err != nil {
		return state.Meta{}, state.NoVersion, false, err
	}
	return mt, version(ver), true, nil
}

// PutMeta implements state.Backend.
func (b *Backend) PutMeta(ctx context.Context, tenant string, mt state.Meta, expect state.Version) (state.Version, error) {
	ver, err := nextVersion(expect)
	if err != nil {
		return state.NoVersion, err
	}
	if err := b.put(ctx, "writing the meta record of "+tenant, encodeMeta(tenant, mt, ver), expect); err != nil {
		return state.NoVersion, err
	}
	return version(ver), nil
}

// GetItem implements state.Backend.
func (b *Backend) GetItem(ctx context.Context, tenant, key string) (state.Record, state.Version, bool, error) {
	m, found, err := b.get(ctx, "reading key "+key+" of "+tenant, recordKey(tenant, itemName(key)))
	if err != nil || !found {
		return state.Record{}, state.NoVersion, false, err
	}
	r, ver, err := decodeItem(m)
	if err != nil {
		return state.Record{}, state.NoVersion, false, err
	}
	return r, version(ver), true, nil
}

// PutItem implements state.Backend.
func (b *Backend) PutItem(ctx context.Context, tenant string, r state.Record, expect state.Version) (state.Version, error) {
	ver, err := nextVersion(expect)
	if err != nil {
		return state.NoVersion, err
	}
	if err := b.put(ctx, "writing key "+r.Key+" of "+tenant, encodeItem(tenant, r, ver), expect); err != nil {
		return state.NoVersion, err
	}
	return version(ver), nil
}

// get reads one record, strongly consistent.
func (b *Backend) get(ctx context.Context, what string, key attrs) (attrs, bool, error) {
	if b.closed.Load() {
		return nil, false, state.ErrClosed
	}
	ctx, cancel := b.bound(ctx)
	defer cancel()
	out, err := b.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(b.table),
		Key:            key,
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, false, b.fail(what, err)
	}
	if len(out.Item) == 0 {
		return nil, false, nil
	}
	return out.Item, true, nil
}

// put writes one record if its version is still expect: ver = expect, or
// no ver at all (the record does not exist) for state.NoVersion. A record
// always has ver, so attribute_not_exists(ver) holds only when it is absent.
func (b *Backend) put(ctx context.Context, what string, item attrs, expect state.Version) error {
	if b.closed.Load() {
		return state.ErrClosed
	}
	in := &dynamodb.PutItemInput{
		TableName:                aws.String(b.table),
		Item:                     item,
		ExpressionAttributeNames: map[string]string{"#ver": verAttr},
	}
	if expect == state.NoVersion {
		in.ConditionExpression = aws.String("attribute_not_exists(#ver)")
	} else {
		in.ConditionExpression = aws.String("#ver = :ver")
		in.ExpressionAttributeValues = attrs{":ver": &types.AttributeValueMemberN{Value: string(expect)}}
	}
	ctx, cancel := b.bound(ctx)
	defer cancel()
	_, err := b.db.PutItem(ctx, in)
	switch {
	case err == nil:
		return nil
	case isConflict(err):
		return fmt.Errorf("%s: %w", what, state.ErrConflict)
	}
	return b.fail(what, err)
}
