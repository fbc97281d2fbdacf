package firestore

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	gfs "cloud.google.com/go/firestore"

	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/contract"
)

// itemID is the document id of key's item.
func itemID(key string) string { return contract.FirestoreItemPrefix + key }

// keyOf returns the key of an item's document id.
func keyOf(id string) (string, error) {
	key, ok := strings.CutPrefix(id, contract.FirestoreItemPrefix)
	if !ok || key == "" {
		return "", fmt.Errorf("document %q in %s is not an item (its id should be %q and a key)", id, contract.FirestoreItems, contract.FirestoreItemPrefix)
	}
	return key, nil
}

// versionOf is a document's version: its update time in nanoseconds.
func versionOf(t time.Time) state.Version {
	return state.Version(strconv.FormatInt(t.UnixNano(), 10))
}

// updateTimeOf is the update time a version names.
func updateTimeOf(v state.Version) (time.Time, error) {
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("version %q is not one this adapter gave out", v)
	}
	return time.Unix(0, n).UTC(), nil
}

// seqValue is a sequence number as Firestore stores it (a signed 64-bit
// integer).
func seqValue(seq uint64) (int64, error) {
	if seq > math.MaxInt64 {
		return 0, fmt.Errorf("sequence number %d is beyond what Firestore stores (%d)", seq, int64(math.MaxInt64))
	}
	return int64(seq), nil
}

// itemFields are the fields of r's item document. A tombstone has no
// value field.
func itemFields(r state.Record) (map[string]any, error) {
	seq, err := seqValue(r.Seq)
	if err != nil {
		return nil, err
	}
	f := map[string]any{
		contract.FirestoreFieldSeq:     seq,
		contract.FirestoreFieldDeleted: r.Deleted,
	}
	if !r.Deleted {
		f[contract.FirestoreFieldValue] = nonNil(r.Value)
	}
	return f, nil
}

// metaFields are the fields of a meta record document. Without a pending
// write there is no pending field.
func metaFields(m state.Meta) (map[string]any, error) {
	seq, err := seqValue(m.Seq)
	if err != nil {
		return nil, err
	}
	f := map[string]any{contract.FirestoreFieldSeq: seq}
	if m.Pending != nil {
		p, err := itemFields(*m.Pending)
		if err != nil {
			return nil, err
		}
		p[contract.FirestoreFieldKey] = m.Pending.Key
		f[contract.FirestoreFieldPending] = p
	}
	if m.FenceState != (state.FenceState{}) {
		fence := map[string]any{fenceEpoch: m.Fence, fenceAll: m.FenceAll, fenceMoved: m.Moved}
		if m.Moved {
			fence[fenceMovedTo] = m.MovedTo
		}
		f[contract.FirestoreFieldFence] = fence
	}
	if l := m.Lock; l != nil {
		f[contract.FirestoreFieldLock] = map[string]any{
			lockID: l.ID, lockOwner: l.Owner, lockTarget: l.Target, lockStep: l.Step,
			lockExpires: l.Expires.UTC().Format(time.RFC3339Nano),
		}
	}
	return f, nil
}

// Fields of the fence and lock maps of a meta record.
const (
	fenceEpoch   = "fence"
	fenceAll     = "fenceAll"
	fenceMoved   = "moved"
	fenceMovedTo = "movedTo"
	lockID       = "id"
	lockOwner    = "owner"
	lockTarget   = "target"
	lockStep     = "step"
	lockExpires  = "expires"
)

// decodeFence reads the fence and lock maps metaFields wrote into m.
func decodeFence(data map[string]any, m *state.Meta) error {
	if v, ok := data[contract.FirestoreFieldFence]; ok && v != nil {
		fm, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("field %s is a %T, not a map", contract.FirestoreFieldFence, v)
		}
		var okE, okA, okM bool
		m.Fence, okE = fm[fenceEpoch].(int64)
		m.FenceAll, okA = fm[fenceAll].(bool)
		m.Moved, okM = fm[fenceMoved].(bool)
		if !okE || !okA || !okM || m.Fence < 0 {
			return fmt.Errorf("field %s is %v, not a fence", contract.FirestoreFieldFence, fm)
		}
		if m.Moved {
			if m.MovedTo, ok = fm[fenceMovedTo].(string); !ok {
				return fmt.Errorf("field %s is %v: a moved tenant without the cell it moved to", contract.FirestoreFieldFence, fm)
			}
		}
	}
	v, ok := data[contract.FirestoreFieldLock]
	if !ok || v == nil {
		return nil
	}
	lm, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("field %s is a %T, not a map", contract.FirestoreFieldLock, v)
	}
	l := &state.MoveLock{}
	for name, dst := range map[string]*string{lockID: &l.ID, lockOwner: &l.Owner, lockTarget: &l.Target, lockStep: &l.Step} {
		if *dst, ok = lm[name].(string); !ok {
			return fmt.Errorf("field %s.%s is %v, not a string", contract.FirestoreFieldLock, name, lm[name])
		}
	}
	exp, _ := lm[lockExpires].(string)
	t, err := time.Parse(time.RFC3339Nano, exp)
	if err != nil {
		return fmt.Errorf("field %s.%s is %v, not an RFC 3339 time", contract.FirestoreFieldLock, lockExpires, lm[lockExpires])
	}
	l.Expires = t.UTC()
	m.Lock = l
	return nil
}

// asUpdates turns a document's fields into an update of every field the
// schema knows, removing those f lacks, so that an update leaves the
// document exactly f (as a create would).
func asUpdates(f map[string]any, schema ...string) []gfs.Update {
	ups := make([]gfs.Update, 0, len(schema))
	for _, name := range schema {
		v, ok := f[name]
		if !ok {
			v = gfs.Delete
		}
		ups = append(ups, gfs.Update{Path: name, Value: v})
	}
	return ups
}

// The fields of each kind of document, for asUpdates.
var (
	itemSchema = []string{contract.FirestoreFieldSeq, contract.FirestoreFieldDeleted, contract.FirestoreFieldValue}
	metaSchema = []string{contract.FirestoreFieldSeq, contract.FirestoreFieldPending, contract.FirestoreFieldFence, contract.FirestoreFieldLock}
)

// decodeItem reads an item from a document's id and fields.
func decodeItem(id string, data map[string]any) (state.Record, error) {
	key, err := keyOf(id)
	if err != nil {
		return state.Record{}, err
	}
	r, err := decodeRecord(data)
	if err != nil {
		return state.Record{}, fmt.Errorf("item %q: %w", key, err)
	}
	r.Key = key
	return r, nil
}

// decodeRecord reads seq, deleted and value from fields.
func decodeRecord(data map[string]any) (state.Record, error) {
	var r state.Record
	var err error
	if r.Seq, err = seqField(data); err != nil {
		return r, err
	}
	if d, ok := data[contract.FirestoreFieldDeleted]; ok {
		if r.Deleted, ok = d.(bool); !ok {
			return r, fmt.Errorf("field %s is %v, not a boolean", contract.FirestoreFieldDeleted, d)
		}
	}
	if r.Deleted {
		return r, nil
	}
	switch v := data[contract.FirestoreFieldValue].(type) {
	case []byte:
		r.Value = nonNil(v)
	case nil:
		r.Value = []byte{}
	default:
		return r, fmt.Errorf("field %s is a %T, not bytes", contract.FirestoreFieldValue, v)
	}
	return r, nil
}

// seqField reads the sequence number of an item, a meta record or a
// pending write.
func seqField(data map[string]any) (uint64, error) {
	seq, ok := data[contract.FirestoreFieldSeq].(int64)
	if !ok || seq < 0 {
		return 0, fmt.Errorf("field %s is %v, not a sequence number", contract.FirestoreFieldSeq, data[contract.FirestoreFieldSeq])
	}
	return uint64(seq), nil
}

// decodeMeta reads a meta record from a tenant document's fields.
func decodeMeta(data map[string]any) (state.Meta, error) {
	var m state.Meta
	var err error
	if m.Seq, err = seqField(data); err != nil {
		return m, err
	}
	if err := decodeFence(data, &m); err != nil {
		return m, err
	}
	p, ok := data[contract.FirestoreFieldPending]
	if !ok || p == nil {
		return m, nil
	}
	pm, ok := p.(map[string]any)
	if !ok {
		return m, fmt.Errorf("field %s is a %T, not a map", contract.FirestoreFieldPending, p)
	}
	r, err := decodeRecord(pm)
	if err != nil {
		return m, fmt.Errorf("pending write: %w", err)
	}
	if r.Key, ok = pm[contract.FirestoreFieldKey].(string); !ok || r.Key == "" {
		return m, fmt.Errorf("pending write: field %s is %v, not a key", contract.FirestoreFieldKey, pm[contract.FirestoreFieldKey])
	}
	m.Pending = &r
	return m, nil
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
