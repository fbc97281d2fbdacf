package aztable

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/contract"
)

// Row keys and property names of the two kinds of entity in a tenant's
// partition (contract/aztable.go describes the layout).
const (
	metaRow    = contract.AzureTableMetaRowKey
	itemPrefix = contract.AzureTableItemRowPrefix
	// itemsEnd is the first row key past every item: every item's row key
	// starts with "k:", and ';' is the byte after ':'.
	itemsEnd = "k;"

	// An item: its sequence number, whether it is a tombstone, and its
	// value's length and chunks V0, V1, ...
	propSeq     = contract.AzureTableSeqProperty // Edm.Int64
	propDeleted = "Del"                          // Edm.Boolean
	propLen     = "Len"                          // Edm.Int32
	valueChunk  = "V"                            // Edm.Binary V0..V<n-1>

	// The meta record: the last sequence number given out, and the pending
	// write (key, sequence number, tombstone flag, length, chunks P0...)
	// when there is one. The meta's own number is not named Seq, so that no
	// filter on items' Seq can ever match it.
	propLast       = "Last" // Edm.Int64
	propPendingKey = "PKey" // Edm.String
	propPendingSeq = "PSeq" // Edm.Int64
	propPendingDel = "PDel" // Edm.Boolean
	propPendingLen = "PLen" // Edm.Int32
	pendingChunk   = "P"    // Edm.Binary P0..P<n-1>

	// The meta record's fence and move lock, each property absent when
	// zero (or empty): the fence epoch, the fence-all and moved flags, the
	// cell moved to, and the lock's fields, its expiry in RFC 3339 with
	// nanoseconds.
	propFence       = "Fence"       // Edm.Int64
	propFenceAll    = "FenceAll"    // Edm.Boolean
	propMoved       = "Moved"       // Edm.Boolean
	propMovedTo     = "MovedTo"     // Edm.String
	propLockID      = "LockID"      // Edm.String
	propLockOwner   = "LockOwner"   // Edm.String
	propLockTarget  = "LockTarget"  // Edm.String
	propLockStep    = "LockStep"    // Edm.String
	propLockExpires = "LockExpires" // Edm.String

	// chunkBytes is the most one Edm.Binary property holds.
	chunkBytes = contract.AzureTableChunkBytes
	// maxChunks is how many chunks the largest value takes (4).
	maxChunks = (state.MaxValueBytes + chunkBytes - 1) / chunkBytes
)

func itemRow(key string) string { return itemPrefix + key }

// split cuts v into chunks of at most size bytes, in order; an empty value
// has none. The chunks share v's memory.
func split(v []byte, size int) [][]byte {
	var out [][]byte
	for len(v) > size {
		out = append(out, v[:size])
		v = v[size:]
	}
	if len(v) > 0 {
		out = append(out, v)
	}
	return out
}

// join reassembles a value of n bytes from chunks of size bytes, checking
// that each chunk has exactly the length split gave it.
func join(chunks [][]byte, n, size int) ([]byte, error) {
	want := (n + size - 1) / size
	if len(chunks) != want {
		return nil, fmt.Errorf("%d chunks for a value of %d bytes, want %d", len(chunks), n, want)
	}
	out := make([]byte, 0, n)
	for i, c := range chunks {
		wantLen := size
		if i == want-1 {
			wantLen = n - i*size
		}
		if len(c) != wantLen {
			return nil, fmt.Errorf("chunk %d has %d bytes, want %d", i, len(c), wantLen)
		}
		out = append(out, c...)
	}
	return out, nil
}

// putValue stores v in props as its length and chunks named prefix0...
func putValue(props map[string]any, lenProp, prefix string, v []byte) error {
	if len(v) > state.MaxValueBytes {
		return fmt.Errorf("%w: value is %d bytes, over the %d byte limit", state.ErrInvalid, len(v), state.MaxValueBytes)
	}
	props[lenProp] = int32(len(v))
	for i, c := range split(v, chunkBytes) {
		props[prefix+strconv.Itoa(i)] = aztables.EDMBinary(c)
	}
	return nil
}

// getValue reads the value putValue stored.
func getValue(props map[string]any, lenProp, prefix string) ([]byte, error) {
	n, err := int32Prop(props, lenProp)
	if err != nil {
		return nil, err
	}
	if n < 0 || n > state.MaxValueBytes {
		return nil, fmt.Errorf("property %s is %d, not a value's length", lenProp, n)
	}
	count := (int(n) + chunkBytes - 1) / chunkBytes
	chunks := make([][]byte, 0, count)
	for i := range count {
		name := prefix + strconv.Itoa(i)
		b, ok := props[name].(aztables.EDMBinary)
		if !ok {
			return nil, fmt.Errorf("property %s is missing or not Edm.Binary (%T)", name, props[name])
		}
		chunks = append(chunks, b)
	}
	return join(chunks, int(n), chunkBytes)
}

// seqValue converts a sequence number to the Edm.Int64 the table stores.
func seqValue(seq uint64) (aztables.EDMInt64, error) {
	if seq > math.MaxInt64 {
		return 0, fmt.Errorf("%w: sequence number %d is above the largest an Azure table stores (%d)", state.ErrInvalid, seq, int64(math.MaxInt64))
	}
	return aztables.EDMInt64(seq), nil
}

func seqProp(props map[string]any, name string) (uint64, error) {
	v, ok := props[name].(aztables.EDMInt64)
	if !ok {
		return 0, fmt.Errorf("property %s is missing or not Edm.Int64 (%T)", name, props[name])
	}
	if v < 0 {
		return 0, fmt.Errorf("property %s is negative (%d)", name, v)
	}
	return uint64(v), nil
}

func int32Prop(props map[string]any, name string) (int32, error) {
	v, ok := props[name].(int32)
	if !ok {
		return 0, fmt.Errorf("property %s is missing or not Edm.Int32 (%T)", name, props[name])
	}
	return v, nil
}

func boolProp(props map[string]any, name string) (bool, error) {
	v, ok := props[name].(bool)
	if !ok {
		return false, fmt.Errorf("property %s is missing or not Edm.Boolean (%T)", name, props[name])
	}
	return v, nil
}

// recordProps names the properties a record's sequence number, tombstone
// flag and value are kept in: an item's own, or the pending write's in the
// meta record.
type recordProps struct{ seq, deleted, length, chunk string }

var (
	itemProps    = recordProps{seq: propSeq, deleted: propDeleted, length: propLen, chunk: valueChunk}
	pendingProps = recordProps{seq: propPendingSeq, deleted: propPendingDel, length: propPendingLen, chunk: pendingChunk}
)

// put stores r (but its key) in props; a tombstone keeps no value.
func (n recordProps) put(props map[string]any, r state.Record) error {
	seq, err := seqValue(r.Seq)
	if err != nil {
		return err
	}
	props[n.seq] = seq
	props[n.deleted] = r.Deleted
	value := r.Value
	if r.Deleted {
		value = nil
	}
	return putValue(props, n.length, n.chunk, value)
}

// get reads the record (but its key) put stored.
func (n recordProps) get(props map[string]any) (state.Record, error) {
	var r state.Record
	var err error
	if r.Seq, err = seqProp(props, n.seq); err != nil {
		return state.Record{}, err
	}
	if r.Deleted, err = boolProp(props, n.deleted); err != nil {
		return state.Record{}, err
	}
	if r.Value, err = getValue(props, n.length, n.chunk); err != nil {
		return state.Record{}, err
	}
	if r.Deleted {
		r.Value = nil
	}
	return r, nil
}

// encodeItem returns the JSON entity of r in tenant's partition.
func encodeItem(tenant string, r state.Record) ([]byte, error) {
	props := map[string]any{}
	if err := itemProps.put(props, r); err != nil {
		return nil, err
	}
	return marshal(tenant, itemRow(r.Key), props)
}

// decodeItem reads an item entity; the key comes from its row key.
func decodeItem(e aztables.EDMEntity) (state.Record, error) {
	key, ok := strings.CutPrefix(e.RowKey, itemPrefix)
	if !ok || key == "" {
		return state.Record{}, fmt.Errorf("row key %q is not an item's", e.RowKey)
	}
	r, err := itemProps.get(e.Properties)
	if err != nil {
		return state.Record{}, damaged(e, err)
	}
	r.Key = key
	return r, nil
}

// encodeMeta returns the JSON entity of a tenant's meta record.
func encodeMeta(tenant string, m state.Meta) ([]byte, error) {
	last, err := seqValue(m.Seq)
	if err != nil {
		return nil, err
	}
	props := map[string]any{propLast: last}
	putFence(props, m)
	if p := m.Pending; p != nil {
		props[propPendingKey] = p.Key
		if err := pendingProps.put(props, *p); err != nil {
			return nil, err
		}
	}
	return marshal(tenant, metaRow, props)
}

// decodeMeta reads a meta entity.
func decodeMeta(e aztables.EDMEntity) (state.Meta, error) {
	var m state.Meta
	var err error
	if m.Seq, err = seqProp(e.Properties, propLast); err != nil {
		return state.Meta{}, damaged(e, err)
	}
	if err := getFence(e.Properties, &m); err != nil {
		return state.Meta{}, damaged(e, err)
	}
	key, ok := e.Properties[propPendingKey].(string)
	if !ok {
		return m, nil
	}
	p, err := pendingProps.get(e.Properties)
	if err != nil {
		return state.Meta{}, damaged(e, err)
	}
	p.Key = key
	m.Pending = &p
	return m, nil
}

// putFence stores m's fence and lock in props, each only when set, so a
// meta record never fenced looks as it did before fencing.
func putFence(props map[string]any, m state.Meta) {
	if m.Fence != 0 {
		props[propFence] = aztables.EDMInt64(m.Fence)
	}
	if m.FenceAll {
		props[propFenceAll] = true
	}
	if m.Moved {
		props[propMoved] = true
		props[propMovedTo] = m.MovedTo
	}
	if l := m.Lock; l != nil {
		props[propLockExpires] = l.Expires.UTC().Format(time.RFC3339Nano)
		for name, v := range map[string]string{propLockID: l.ID, propLockOwner: l.Owner, propLockTarget: l.Target, propLockStep: l.Step} {
			if v != "" {
				props[name] = v
			}
		}
	}
}

// getFence reads what putFence stored into m.
func getFence(props map[string]any, m *state.Meta) error {
	if v, ok := props[propFence]; ok {
		n, ok := v.(aztables.EDMInt64)
		if !ok || n < 0 {
			return fmt.Errorf("property %s is %v (%T), not a placement epoch", propFence, v, v)
		}
		m.Fence = int64(n)
	}
	for name, dst := range map[string]*bool{propFenceAll: &m.FenceAll, propMoved: &m.Moved} {
		if _, ok := props[name]; ok {
			b, err := boolProp(props, name)
			if err != nil {
				return err
			}
			*dst = b
		}
	}
	var err error
	if m.Moved {
		if m.MovedTo, err = stringProp(props, propMovedTo); err != nil {
			return err
		}
	}
	if _, ok := props[propLockExpires]; !ok {
		return nil
	}
	l := &state.MoveLock{}
	exp, err := stringProp(props, propLockExpires)
	if err != nil {
		return err
	}
	if l.Expires, err = time.Parse(time.RFC3339Nano, exp); err != nil {
		return fmt.Errorf("property %s is %q, not an RFC 3339 time", propLockExpires, exp)
	}
	l.Expires = l.Expires.UTC()
	for name, dst := range map[string]*string{propLockID: &l.ID, propLockOwner: &l.Owner, propLockTarget: &l.Target, propLockStep: &l.Step} {
		if _, ok := props[name]; ok {
			if *dst, err = stringProp(props, name); err != nil {
				return err
			}
		}
	}
	m.Lock = l
	return nil
}

func stringProp(props map[string]any, name string) (string, error) {
	v, ok := props[name].(string)
	if !ok {
		return "", fmt.Errorf("property %s is missing or not Edm.String (%T)", name, props[name])
	}
	return v, nil
}

func marshal(tenant, row string, props map[string]any) ([]byte, error) {
	return json.Marshal(aztables.EDMEntity{
		Entity:     aztables.Entity{PartitionKey: tenant, RowKey: row},
		Properties: props,
	})
}

func unmarshal(data []byte) (aztables.EDMEntity, error) {
	var e aztables.EDMEntity
	if err := json.Unmarshal(data, &e); err != nil {
		return e, fmt.Errorf("the table service sent an entity that is not JSON: %w", err)
	}
	return e, nil
}

func damaged(e aztables.EDMEntity, err error) error {
	return fmt.Errorf("entity %s/%s is damaged (written by something other than this adapter?): %w", e.PartitionKey, e.RowKey, err)
}
