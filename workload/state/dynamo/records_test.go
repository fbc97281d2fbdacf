package dynamo

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cellfabric/cellfabric/workload/state"
)

func TestRecordsRoundTrip(t *testing.T) {
	t.Parallel()
	items := []state.Record{
		{Key: "k", Value: []byte("v"), Seq: 7},
		{Key: "empty", Value: []byte{}, Seq: 1},
		{Key: "gone", Seq: 9, Deleted: true},
		{Key: "m", Value: []byte{0, 0xff}, Seq: 1<<64 - 1},
	}
	for _, r := range items {
		got, ver, err := decodeItem(encodeItem("t", r, 3))
		if err != nil || ver != 3 || got.Key != r.Key || got.Seq != r.Seq || got.Deleted != r.Deleted || !bytes.Equal(got.Value, r.Value) || (got.Value == nil) != r.Deleted {
			t.Errorf("item %+v came back as %+v at %d (%v)", r, got, ver, err)
		}
	}
	metas := []state.Meta{
		{Seq: 4},
		{Seq: 5, Pending: &state.Record{Key: "k", Value: []byte("v"), Seq: 5}},
		{Seq: 6, Pending: &state.Record{Key: "k", Value: []byte{}, Seq: 6}},
		{Seq: 7, Pending: &state.Record{Key: "k", Seq: 7, Deleted: true}},
		{Seq: 8, FenceState: state.FenceState{Fence: 3}},
		{Seq: 8, Pending: &state.Record{Key: "k", Seq: 8, Deleted: true}, FenceState: state.FenceState{Fence: 1 << 62, FenceAll: true}},
		{Seq: 9, FenceState: state.FenceState{Fence: 5, Moved: true, MovedTo: "azure-1"}, Lock: &state.MoveLock{ID: "m", Expires: time.Unix(2e9, 7).UTC()}},
		{Seq: 9, Lock: &state.MoveLock{ID: "m", Owner: "h:1", Target: "gcp-1", Step: "copy", Expires: time.Unix(2e9, 0).UTC()}},
	}
	for _, m := range metas {
		got, ver, err := decodeMeta(encodeMeta("t", m, 2))
		if err != nil || ver != 2 || !reflect.DeepEqual(got, m) {
			t.Errorf("meta %+v came back as %+v at %d (%v)", m, got, ver, err)
		}
	}
}

// TestMalformedRecords: a record this adapter did not write is an error
// (state.ErrUnavailable), never a zero value taken for data.
func TestMalformedRecords(t *testing.T) {
	t.Parallel()
	good := func() attrs { return encodeItem("t", state.Record{Key: "k", Value: []byte("v"), Seq: 1}, 1) }
	cases := []struct {
		name string
		edit func(attrs)
	}{
		{"no seq", func(m attrs) { delete(m, seqAttr) }},
		{"seq not a number attribute", func(m attrs) { m[seqAttr] = str("1") }},
		{"seq negative", func(m attrs) { m[seqAttr] = &types.AttributeValueMemberN{Value: "-1"} }},
		{"no version", func(m attrs) { delete(m, verAttr) }},
		{"no value on a live item", func(m attrs) { delete(m, valAttr) }},
		{"value of another type", func(m attrs) { m[valAttr] = str("v") }},
		{"deleted flag of another type", func(m attrs) { m[delAttr] = str("true") }},
		{"sort key of the meta record", func(m attrs) { m[skAttr] = str(metaName) }},
		{"sort key without the item prefix", func(m attrs) { m[skAttr] = str("k") }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := good()
			c.edit(m)
			if _, _, err := decodeItem(m); !errors.Is(err, state.ErrUnavailable) {
				t.Fatalf("decoded: %v, want ErrUnavailable", err)
			}
		})
	}
	meta := encodeMeta("t", state.Meta{Seq: 1, Pending: &state.Record{Key: "k", Value: []byte("v"), Seq: 1}}, 1)
	delete(meta, pValAttr)
	if _, _, err := decodeMeta(meta); !errors.Is(err, state.ErrUnavailable) {
		t.Errorf("meta with a pending write and no value: %v, want ErrUnavailable", err)
	}
}
