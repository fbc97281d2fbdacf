package aztable

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"github.com/cellfabric/cellfabric/workload/state"
)

// everyByte returns n bytes cycling through every byte value.
func everyByte(n int) []byte {
	v := make([]byte, n)
	for i := range v {
		v[i] = byte(i * 7) // 7 is odd: every 256 bytes hold each value once
	}
	return v
}

func TestSplitJoin(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		n      int
		chunks int
	}{
		{"empty", 0, 0},
		{"one byte", 1, 1},
		{"just under a chunk", chunkBytes - 1, 1},
		{"exactly a chunk", chunkBytes, 1},
		{"just over a chunk", chunkBytes + 1, 2},
		{"three and a bit", 3*chunkBytes + 7, 4},
		{"largest value", state.MaxValueBytes, maxChunks},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			v := everyByte(c.n)
			parts := split(v, chunkBytes)
			if len(parts) != c.chunks {
				t.Fatalf("%d bytes split into %d chunks, want %d", c.n, len(parts), c.chunks)
			}
			for i, p := range parts {
				if len(p) > chunkBytes || len(p) == 0 {
					t.Errorf("chunk %d has %d bytes, want 1 to %d", i, len(p), chunkBytes)
				}
			}
			got, err := join(parts, c.n, chunkBytes)
			if err != nil {
				t.Fatalf("join: %v", err)
			}
			if !bytes.Equal(got, v) {
				t.Fatalf("join(split(v)) differs from v at byte %d", firstDiff(got, v))
			}
		})
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func TestJoinRefusesDamagedChunks(t *testing.T) {
	t.Parallel()
	v := everyByte(2*chunkBytes + 10)
	parts := split(v, chunkBytes)
	cases := []struct {
		name   string
		chunks [][]byte
		n      int
	}{
		{"a chunk missing", parts[:2], len(v)},
		{"a chunk too many", append(append([][]byte{}, parts...), []byte{1}), len(v)},
		{"a short middle chunk", [][]byte{parts[0], parts[1][1:], parts[2]}, len(v)},
		{"a long last chunk", [][]byte{parts[0], parts[1], append(append([]byte{}, parts[2]...), 0)}, len(v)},
		{"length says more", parts, len(v) + 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if _, err := join(c.chunks, c.n, chunkBytes); err == nil {
				t.Fatal("join accepted damaged chunks")
			}
		})
	}
}

// wireEntity encodes an entity as the adapter sends it, and reads it back
// as the service would see it: property name → JSON value.
func wireEntity(t *testing.T, data []byte) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// checkLimits fails when an encoded entity breaks one of the service's
// limits: 255 properties (252 of them the caller's), 64 KiB a binary
// property, 1 MiB an entity (Azure's sizing formula, and azurite's check of
// the JSON body).
func checkLimits(t *testing.T, data []byte) {
	t.Helper()
	m := wireEntity(t, data)
	props, size := 0, 4
	for name, raw := range m {
		if strings.HasSuffix(name, "@odata.type") {
			continue
		}
		switch name {
		case "PartitionKey", "RowKey":
			var s string
			_ = json.Unmarshal(raw, &s)
			size += 2 * len(s)
			continue
		}
		props++
		size += 8 + 2*len(name)
		if typ := m[name+"@odata.type"]; string(typ) == `"Edm.Binary"` {
			var b []byte
			if err := json.Unmarshal(raw, &b); err != nil {
				t.Fatalf("property %s: %v", name, err)
			}
			if len(b) > chunkBytes {
				t.Errorf("binary property %s holds %d bytes, over the service's %d", name, len(b), chunkBytes)
			}
			size += 4 + len(b)
		} else {
			size += 8
		}
	}
	if props > 252 {
		t.Errorf("%d properties, over the 252 an entity may have", props)
	}
	if size > 1<<20 {
		t.Errorf("entity of %d bytes (Azure's formula), over 1 MiB", size)
	}
	if len(data) > 1<<20 {
		t.Errorf("entity body of %d bytes, over the 1 MiB azurite takes", len(data))
	}
}

func TestEntitiesRoundTripAtTheLimits(t *testing.T) {
	t.Parallel()
	largest := everyByte(state.MaxValueBytes)
	items := []struct {
		name string
		rec  state.Record
	}{
		{"largest value", state.Record{Key: strings.Repeat("~", state.MaxKeyBytes), Value: largest, Seq: math.MaxInt64}},
		{"empty value", state.Record{Key: "k", Value: []byte{}, Seq: 1}},
		{"tombstone", state.Record{Key: "gone", Seq: 2, Deleted: true}},
	}
	for _, c := range items {
		t.Run("item "+c.name, func(t *testing.T) {
			t.Parallel()
			data, err := encodeItem("tenant-a", c.rec)
			if err != nil {
				t.Fatal(err)
			}
			checkLimits(t, data)
			e, err := unmarshal(data)
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeItem(e)
			if err != nil {
				t.Fatal(err)
			}
			if got.Key != c.rec.Key || got.Seq != c.rec.Seq || got.Deleted != c.rec.Deleted || !bytes.Equal(got.Value, c.rec.Value) {
				t.Fatalf("decoded %q seq %d deleted %v (%d bytes), want %q seq %d deleted %v (%d bytes)",
					got.Key, got.Seq, got.Deleted, len(got.Value), c.rec.Key, c.rec.Seq, c.rec.Deleted, len(c.rec.Value))
			}
			if c.rec.Deleted != (got.Value == nil) {
				t.Errorf("value is nil: %v, want nil only for a tombstone", got.Value == nil)
			}
		})
	}
	metas := []struct {
		name string
		meta state.Meta
	}{
		{"no pending write", state.Meta{Seq: 7}},
		{"largest pending value", state.Meta{Seq: 8, Pending: &state.Record{Key: "big", Value: largest, Seq: 8}}},
		{"pending delete", state.Meta{Seq: 9, Pending: &state.Record{Key: "gone", Seq: 9, Deleted: true}}},
		{"pending empty value", state.Meta{Seq: 10, Pending: &state.Record{Key: "e", Value: []byte{}, Seq: 10}}},
		{"fence", state.Meta{Seq: 11, FenceState: state.FenceState{Fence: 4}}},
		{"fence all with a pending write", state.Meta{Seq: 12, Pending: &state.Record{Key: "e", Value: []byte("v"), Seq: 12}, FenceState: state.FenceState{Fence: 1 << 62, FenceAll: true}}},
		{"moved with a lock", state.Meta{Seq: 13, FenceState: state.FenceState{Fence: 5, Moved: true, MovedTo: "aws-1"}, Lock: &state.MoveLock{ID: "m", Expires: time.Unix(2e9, 9).UTC()}}},
		{"lock", state.Meta{Lock: &state.MoveLock{ID: "m", Owner: "h:1", Target: "gcp-1", Step: "copy", Expires: time.Unix(2e9, 0).UTC()}}},
	}
	for _, c := range metas {
		t.Run("meta "+c.name, func(t *testing.T) {
			t.Parallel()
			data, err := encodeMeta("tenant-a", c.meta)
			if err != nil {
				t.Fatal(err)
			}
			checkLimits(t, data)
			if _, ok := wireEntity(t, data)[propSeq]; ok {
				t.Errorf("the meta record has a %s property, which the change feed's filter would match", propSeq)
			}
			e, err := unmarshal(data)
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeMeta(e)
			if err != nil {
				t.Fatal(err)
			}
			if got.FenceState != c.meta.FenceState || !reflect.DeepEqual(got.Lock, c.meta.Lock) {
				t.Errorf("fence %+v lock %+v, want %+v lock %+v", got.FenceState, got.Lock, c.meta.FenceState, c.meta.Lock)
			}
			if got.Seq != c.meta.Seq || (got.Pending == nil) != (c.meta.Pending == nil) {
				t.Fatalf("decoded %+v, want %+v", got, c.meta)
			}
			if p, w := got.Pending, c.meta.Pending; p != nil {
				if p.Key != w.Key || p.Seq != w.Seq || p.Deleted != w.Deleted || !bytes.Equal(p.Value, w.Value) || (p.Value == nil) != w.Deleted {
					t.Fatalf("pending %q seq %d deleted %v (%d bytes), want %q seq %d deleted %v (%d bytes)",
						p.Key, p.Seq, p.Deleted, len(p.Value), w.Key, w.Seq, w.Deleted, len(w.Value))
				}
			}
		})
	}
}

func TestEncodeRefuses(t *testing.T) {
	t.Parallel()
	over := uint64(math.MaxInt64) + 1
	cases := []struct {
		name string
		fn   func() error
	}{
		{"item sequence number above int64", func() error {
			_, err := encodeItem("t", state.Record{Key: "k", Seq: over})
			return err
		}},
		{"meta sequence number above int64", func() error {
			_, err := encodeMeta("t", state.Meta{Seq: over})
			return err
		}},
		{"pending sequence number above int64", func() error {
			_, err := encodeMeta("t", state.Meta{Seq: 1, Pending: &state.Record{Key: "k", Seq: over}})
			return err
		}},
		{"value over the limit", func() error {
			_, err := encodeItem("t", state.Record{Key: "k", Seq: 1, Value: make([]byte, state.MaxValueBytes+1)})
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if err := c.fn(); !errors.Is(err, state.ErrInvalid) {
				t.Fatalf("error %v, want ErrInvalid", err)
			}
		})
	}
}

func TestDecodeRefusesDamagedEntities(t *testing.T) {
	t.Parallel()
	good := map[string]any{propSeq: aztables.EDMInt64(3), propDeleted: false, propLen: int32(3), valueChunk + "0": aztables.EDMBinary("abc")}
	without := func(name string) map[string]any {
		m := map[string]any{}
		for k, v := range good {
			if k != name {
				m[k] = v
			}
		}
		return m
	}
	with := func(name string, v any) map[string]any {
		m := without(name)
		m[name] = v
		return m
	}
	cases := []struct {
		name  string
		row   string
		props map[string]any
	}{
		{"not an item row", "m", good},
		{"empty key", itemPrefix, good},
		{"no sequence number", "k:a", without(propSeq)},
		{"negative sequence number", "k:a", with(propSeq, aztables.EDMInt64(-1))},
		{"no tombstone flag", "k:a", without(propDeleted)},
		{"no length", "k:a", without(propLen)},
		{"length over the limit", "k:a", with(propLen, int32(state.MaxValueBytes+1))},
		{"chunk missing", "k:a", without(valueChunk + "0")},
		{"chunk shorter than the length", "k:a", with(valueChunk+"0", aztables.EDMBinary("ab"))},
		{"chunk of another type", "k:a", with(valueChunk+"0", "abc")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := aztables.EDMEntity{Entity: aztables.Entity{PartitionKey: "t", RowKey: c.row}, Properties: c.props}
			if _, err := decodeItem(e); err == nil {
				t.Fatal("decodeItem accepted a damaged entity")
			}
		})
	}
}

// TestValueSplitOnTheService writes the largest value, every byte value in
// it, and reads the entity back with a client of the test's own: the table
// holds it as four 64 KiB binary properties, and the adapter joins them.
func TestValueSplitOnTheService(t *testing.T) {
	t.Parallel()
	emu := sharedEmulator(t)
	table := freshTable(t, emu, "split")
	b := openBackend(t, emulatorOptions(emu.Endpoint(), table))
	ctx := context.Background()
	value := everyByte(state.MaxValueBytes)
	rec := state.Record{Key: "big", Value: value, Seq: 1}
	if _, err := b.PutItem(ctx, "tenant-a", rec, state.NoVersion); err != nil {
		t.Fatal(err)
	}
	got, _, found, err := b.GetItem(ctx, "tenant-a", "big")
	if err != nil || !found || !bytes.Equal(got.Value, value) {
		t.Fatalf("GetItem: found %v, %d bytes (first difference at %d): %v", found, len(got.Value), firstDiff(got.Value, value), err)
	}

	cred, _ := aztables.NewSharedKeyCredential(devAccount, devKey)
	raw, err := aztables.NewClientWithSharedKey(emu.Endpoint()+"/"+table, cred, &aztables.ClientOptions{
		ClientOptions: azcore.ClientOptions{InsecureAllowCredentialWithHTTP: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := raw.GetEntity(ctx, "tenant-a", itemRow("big"), nil)
	if err != nil {
		t.Fatal(err)
	}
	var e aztables.EDMEntity
	if err := json.Unmarshal(resp.Value, &e); err != nil {
		t.Fatal(err)
	}
	var joined []byte
	for i := range maxChunks {
		name := valueChunk + strconv.Itoa(i)
		chunk, ok := e.Properties[name].(aztables.EDMBinary)
		if !ok || len(chunk) != chunkBytes {
			t.Fatalf("stored property %s: %T of %d bytes, want Edm.Binary of %d", name, e.Properties[name], len(chunk), chunkBytes)
		}
		joined = append(joined, chunk...)
	}
	if _, extra := e.Properties[valueChunk+strconv.Itoa(maxChunks)]; extra {
		t.Errorf("a fifth chunk is stored")
	}
	if !bytes.Equal(joined, value) {
		t.Fatalf("the stored chunks joined differ from the value at byte %d", firstDiff(joined, value))
	}
}
