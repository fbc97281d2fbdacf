package firestore

import (
	"bytes"
	"math"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/contract"
)

func TestRecordRoundTrip(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		rec  state.Record
	}{
		{"value", state.Record{Key: "a", Value: []byte{0, 1, 0xff}, Seq: 7}},
		{"empty value", state.Record{Key: "b", Value: []byte{}, Seq: 1}},
		{"tombstone", state.Record{Key: "~", Seq: 9, Deleted: true}},
		{"largest sequence number", state.Record{Key: "c", Value: []byte("x"), Seq: math.MaxInt64}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := itemFields(tc.rec)
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeItem(itemID(tc.rec.Key), f)
			if err != nil {
				t.Fatal(err)
			}
			if got.Key != tc.rec.Key || got.Seq != tc.rec.Seq || got.Deleted != tc.rec.Deleted || !bytes.Equal(got.Value, tc.rec.Value) {
				t.Errorf("round trip: %+v, want %+v", got, tc.rec)
			}
			if tc.rec.Deleted && got.Value != nil {
				t.Errorf("a tombstone came back with a value")
			}
			m := state.Meta{Seq: tc.rec.Seq, Pending: &tc.rec}
			mf, err := metaFields(m)
			if err != nil {
				t.Fatal(err)
			}
			gm, err := decodeMeta(mf)
			if err != nil {
				t.Fatal(err)
			}
			if gm.Seq != m.Seq || gm.Pending == nil || gm.Pending.Key != tc.rec.Key || gm.Pending.Seq != tc.rec.Seq || !bytes.Equal(gm.Pending.Value, tc.rec.Value) {
				t.Errorf("meta round trip: %+v, want %+v", gm, m)
			}
		})
	}
}

// TestFenceRoundTrip: a meta record's fence and lock come back as written,
// and a record without them has neither field.
func TestFenceRoundTrip(t *testing.T) {
	t.Parallel()
	lock := &state.MoveLock{ID: "m", Owner: "h:1", Target: "aws-1", Step: "copy", Expires: time.Unix(2e9, 9).UTC()}
	for _, tc := range []struct {
		name string
		meta state.Meta
	}{
		{"none", state.Meta{Seq: 3}},
		{"fence", state.Meta{Seq: 3, FenceState: state.FenceState{Fence: 4}}},
		{"fence all", state.Meta{Seq: 3, FenceState: state.FenceState{Fence: 1 << 62, FenceAll: true}}},
		{"moved with a lock", state.Meta{Seq: 3, FenceState: state.FenceState{Fence: 5, Moved: true, MovedTo: "azure-1"}, Lock: lock}},
		{"lock with a pending write", state.Meta{Seq: 4, Pending: &state.Record{Key: "k", Value: []byte("v"), Seq: 4}, Lock: lock}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, err := metaFields(tc.meta)
			if err != nil {
				t.Fatal(err)
			}
			_, hasFence := f[contract.FirestoreFieldFence]
			_, hasLock := f[contract.FirestoreFieldLock]
			if hasFence != (tc.meta.FenceState != state.FenceState{}) || hasLock != (tc.meta.Lock != nil) {
				t.Errorf("fields %v for %+v", f, tc.meta)
			}
			got, err := decodeMeta(f)
			if err != nil || !reflect.DeepEqual(got, tc.meta) {
				t.Errorf("round trip: %+v (%v), want %+v", got, err, tc.meta)
			}
		})
	}
}

func TestDecodeRefusesWhatItDidNotWrite(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		id   string
		data map[string]any
	}{
		{"id without the item prefix", "x", map[string]any{"seq": int64(1)}},
		{"id that is only the prefix", contract.FirestoreItemPrefix, map[string]any{"seq": int64(1)}},
		{"no seq", "ka", map[string]any{}},
		{"negative seq", "ka", map[string]any{"seq": int64(-1)}},
		{"seq as a string", "ka", map[string]any{"seq": "1"}},
		{"deleted not a boolean", "ka", map[string]any{"seq": int64(1), "deleted": "yes"}},
		{"value not bytes", "ka", map[string]any{"seq": int64(1), "value": "text"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if r, err := decodeItem(tc.id, tc.data); err == nil {
				t.Errorf("decoded %+v, want an error", r)
			}
		})
	}
	for _, tc := range []struct {
		name string
		data map[string]any
	}{
		{"pending not a map", map[string]any{"seq": int64(1), "pending": "x"}},
		{"pending without a key", map[string]any{"seq": int64(1), "pending": map[string]any{"seq": int64(1)}}},
		{"meta without seq", map[string]any{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if m, err := decodeMeta(tc.data); err == nil {
				t.Errorf("decoded %+v, want an error", m)
			}
		})
	}
}

func TestSequenceBeyondInt64IsRefused(t *testing.T) {
	t.Parallel()
	if _, err := itemFields(state.Record{Key: "a", Seq: math.MaxInt64 + 1}); err == nil {
		t.Error("an item with a sequence number Firestore cannot store was accepted")
	}
	if _, err := metaFields(state.Meta{Seq: math.MaxUint64}); err == nil {
		t.Error("a meta record with a sequence number Firestore cannot store was accepted")
	}
}

func TestVersionRoundTrip(t *testing.T) {
	t.Parallel()
	ts := time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)
	got, err := updateTimeOf(versionOf(ts))
	if err != nil || !got.Equal(ts) {
		t.Errorf("update time %v back as %v (%v)", ts, got, err)
	}
	for _, bad := range []state.Version{"x", "1.5", "99999999999999999999"} {
		if _, err := updateTimeOf(bad); err == nil {
			t.Errorf("version %q accepted", bad)
		}
	}
}

// TestItemIDsSortAsKeys: the prefix keeps byte order, so ordering by
// document id is ordering by key, and the end-of-prefix bound sorts after
// every key with the prefix and before every other key after it.
func TestItemIDsSortAsKeys(t *testing.T) {
	t.Parallel()
	keys := []string{"a", "a~", "a:b", "a.b", "a-", "a_", "aZ", "a0", "b", "~", ":", "-", "A"}
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = itemID(k)
	}
	slices.Sort(keys)
	slices.Sort(ids)
	for i := range keys {
		if ids[i] != itemID(keys[i]) {
			t.Fatalf("id order differs from key order at %d: %q vs key %q", i, ids[i], keys[i])
		}
	}
	end := itemID("a") + afterLastKeyByte
	for _, k := range keys {
		in := len(k) >= 1 && k[0] == 'a'
		if (itemID(k) < end) != (in || itemID(k) < itemID("a")) {
			t.Errorf("key %q: id %q against the end bound of prefix a", k, itemID(k))
		}
	}
}
