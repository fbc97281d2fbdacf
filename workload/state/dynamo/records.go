package dynamo

import (
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cellfabric/cellfabric/workload/state"
)

// attrs is a DynamoDB item.
type attrs = map[string]types.AttributeValue

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

func num(n uint64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatUint(n, 10)}
}

func bin(b []byte) types.AttributeValue {
	if b == nil {
		b = []byte{}
	}
	return &types.AttributeValueMemberB{Value: b}
}

// recordKey is the primary key of record name (metaName or itemName(key))
// in tenant's partition.
func recordKey(tenant, name string) attrs {
	return attrs{pkAttr: str(tenant), skAttr: str(name)}
}

// itemName is the sort key of a user key's item.
func itemName(key string) string { return itemPrefix + key }

// version turns a stored ver number into a state.Version.
func version(v uint64) state.Version { return state.Version(strconv.FormatUint(v, 10)) }

// nextVersion returns the ver number a write expecting expect stores.
func nextVersion(expect state.Version) (uint64, error) {
	if expect == state.NoVersion {
		return 1, nil
	}
	v, err := strconv.ParseUint(string(expect), 10, 64)
	if err != nil || v == 0 {
		return 0, fmt.Errorf("%w: version %q was not given out by the dynamodb backend", state.ErrUnavailable, expect)
	}
	return v + 1, nil
}

// encodeItem is r as tenant's item at version ver.
func encodeItem(tenant string, r state.Record, ver uint64) attrs {
	m := recordKey(tenant, itemName(r.Key))
	m[seqAttr] = num(r.Seq)
	m[verAttr] = num(ver)
	if r.Deleted {
		m[delAttr] = &types.AttributeValueMemberBOOL{Value: true}
	} else {
		m[valAttr] = bin(r.Value)
	}
	return m
}

// decodeItem reads an item encodeItem wrote.
func decodeItem(m attrs) (state.Record, uint64, error) {
	name, err := getS(m, skAttr)
	if err != nil {
		return state.Record{}, 0, err
	}
	if len(name) <= len(itemPrefix) || name[:len(itemPrefix)] != itemPrefix {
		return state.Record{}, 0, fmt.Errorf("%w: record %q is not an item", state.ErrUnavailable, name)
	}
	r := state.Record{Key: name[len(itemPrefix):]}
	if r.Seq, err = getN(m, seqAttr); err != nil {
		return state.Record{}, 0, err
	}
	ver, err := getN(m, verAttr)
	if err != nil {
		return state.Record{}, 0, err
	}
	if r.Deleted, err = getBool(m, delAttr); err != nil {
		return state.Record{}, 0, err
	}
	if !r.Deleted {
		if r.Value, err = getB(m, valAttr); err != nil {
			return state.Record{}, 0, err
		}
	}
	return r, ver, nil
}

// encodeMeta is mt as tenant's meta record at version ver.
func encodeMeta(tenant string, mt state.Meta, ver uint64) attrs {
	m := recordKey(tenant, metaName)
	m[lastAttr] = num(mt.Seq)
	m[verAttr] = num(ver)
	encodeFence(m, mt)
	if p := mt.Pending; p != nil {
		m[pKeyAttr] = str(p.Key)
		m[pSeqAttr] = num(p.Seq)
		if p.Deleted {
			m[pDelAttr] = &types.AttributeValueMemberBOOL{Value: true}
		} else {
			m[pValAttr] = bin(p.Value)
		}
	}
	return m
}

// decodeMeta reads a meta record encodeMeta wrote.
func decodeMeta(m attrs) (state.Meta, uint64, error) {
	var mt state.Meta
	var err error
	if mt.Seq, err = getN(m, lastAttr); err != nil {
		return state.Meta{}, 0, err
	}
	ver, err := getN(m, verAttr)
	if err != nil {
		return state.Meta{}, 0, err
	}
	if err := decodeFence(m, &mt); err != nil {
		return state.Meta{}, 0, err
	}
	if _, ok := m[pKeyAttr]; !ok {
		return mt, ver, nil
	}
	p := state.Record{}
	if p.Key, err = getS(m, pKeyAttr); err != nil {
		return state.Meta{}, 0, err
	}
	if p.Seq, err = getN(m, pSeqAttr); err != nil {
		return state.Meta{}, 0, err
	}
	if p.Deleted, err = getBool(m, pDelAttr); err != nil {
		return state.Meta{}, 0, err
	}
	if !p.Deleted {
		if p.Value, err = getB(m, pValAttr); err != nil {
			return state.Meta{}, 0, err
		}
	}
	mt.Pending = &p
	return mt, ver, nil
}

// encodeFence adds mt's fence and lock to the meta record m, each only
// when set, so a record never fenced looks as it did before fencing.
func encodeFence(m attrs, mt state.Meta) {
	if mt.Fence != 0 {
		m[fenceAttr] = &types.AttributeValueMemberN{Value: strconv.FormatInt(mt.Fence, 10)}
	}
	if mt.FenceAll {
		m[fenceAllAttr] = &types.AttributeValueMemberBOOL{Value: true}
	}
	if mt.Moved {
		m[movedAttr] = &types.AttributeValueMemberBOOL{Value: true}
		m[movedToAttr] = str(mt.MovedTo)
	}
	if l := mt.Lock; l != nil {
		lm := attrs{lockID: str(l.ID), lockExpires: str(l.Expires.UTC().Format(time.RFC3339Nano))}
		for name, v := range map[string]string{lockOwner: l.Owner, lockTarget: l.Target, lockStep: l.Step} {
			if v != "" {
				lm[name] = str(v)
			}
		}
		m[lockAttr] = &types.AttributeValueMemberM{Value: lm}
	}
}

// decodeFence reads the fence and lock encodeFence wrote into mt.
func decodeFence(m attrs, mt *state.Meta) error {
	if a, ok := m[fenceAttr]; ok {
		n, isN := a.(*types.AttributeValueMemberN)
		var err error
		if isN {
			mt.Fence, err = strconv.ParseInt(n.Value, 10, 64)
		}
		if !isN || err != nil || mt.Fence < 0 {
			return fmt.Errorf("%w: attribute %s of record %s is not a placement epoch", state.ErrUnavailable, fenceAttr, nameOf(m))
		}
	}
	var err error
	if mt.FenceAll, err = getBool(m, fenceAllAttr); err != nil {
		return err
	}
	if mt.Moved, err = getBool(m, movedAttr); err != nil {
		return err
	}
	if mt.Moved {
		if mt.MovedTo, err = getS(m, movedToAttr); err != nil {
			return err
		}
	}
	a, ok := m[lockAttr]
	if !ok {
		return nil
	}
	lm, ok := a.(*types.AttributeValueMemberM)
	if !ok {
		return malformed(m, lockAttr, "M")
	}
	l := &state.MoveLock{}
	if l.ID, err = getS(lm.Value, lockID); err != nil {
		return err
	}
	for name, dst := range map[string]*string{lockOwner: &l.Owner, lockTarget: &l.Target, lockStep: &l.Step} {
		if _, present := lm.Value[name]; present {
			if *dst, err = getS(lm.Value, name); err != nil {
				return err
			}
		}
	}
	exp, err := getS(lm.Value, lockExpires)
	if err != nil {
		return err
	}
	if l.Expires, err = time.Parse(time.RFC3339Nano, exp); err != nil {
		return fmt.Errorf("%w: the move lock of record %s expires at %q, not an RFC 3339 time", state.ErrUnavailable, nameOf(m), exp)
	}
	l.Expires = l.Expires.UTC()
	mt.Lock = l
	return nil
}

// The getters fail on a missing attribute (getBool: false) or one of
// another type: a record this adapter did not write.

func getS(m attrs, name string) (string, error) {
	v, ok := m[name].(*types.AttributeValueMemberS)
	if !ok {
		return "", malformed(m, name, "S")
	}
	return v.Value, nil
}

func getN(m attrs, name string) (uint64, error) {
	v, ok := m[name].(*types.AttributeValueMemberN)
	if !ok {
		return 0, malformed(m, name, "N")
	}
	n, err := strconv.ParseUint(v.Value, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: attribute %s of record %s is %q, not a sequence number", state.ErrUnavailable, name, nameOf(m), v.Value)
	}
	return n, nil
}

func getB(m attrs, name string) ([]byte, error) {
	v, ok := m[name].(*types.AttributeValueMemberB)
	if !ok {
		return nil, malformed(m, name, "B")
	}
	if v.Value == nil {
		return []byte{}, nil
	}
	return v.Value, nil
}

func getBool(m attrs, name string) (bool, error) {
	a, present := m[name]
	if !present {
		return false, nil
	}
	v, ok := a.(*types.AttributeValueMemberBOOL)
	if !ok {
		return false, malformed(m, name, "BOOL")
	}
	return v.Value, nil
}

func malformed(m attrs, name, typ string) error {
	return fmt.Errorf("%w: record %s has no attribute %s of type %s: the table holds data this adapter did not write", state.ErrUnavailable, nameOf(m), name, typ)
}

// nameOf names a record in an error: tenant/sort key.
func nameOf(m attrs) string {
	t, _ := m[pkAttr].(*types.AttributeValueMemberS)
	k, _ := m[skAttr].(*types.AttributeValueMemberS)
	if t == nil || k == nil {
		return "?"
	}
	return t.Value + "/" + k.Value
}
