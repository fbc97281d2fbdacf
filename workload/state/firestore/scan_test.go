package firestore

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/workload/state"
)

// TestScanBounds checks the cursors of both scans on the emulator, at the
// edges the conformance suite reaches only through the core: a prefix with
// a cursor before, inside and after it, keys around the end-of-prefix
// bound, tombstones, and a neighbouring tenant whose keys must not show.
func TestScanBounds(t *testing.T) {
	t.Parallel()
	b := openTest(t, sharedEmulator(t), Options{})
	waitReady(t, b)
	tn := fmt.Sprintf("scan-%d", time.Now().UnixNano()%1_000_000)
	// In key order: a < a-b < a.b < a:b < aZ < a_ < ab < a~ < b < ~
	keys := []string{"a~", "b", "a", "a:b", "ab", "a.b", "a-b", "aZ", "a_", "~"}
	for i, k := range keys {
		r := state.Record{Key: k, Value: []byte(k), Seq: uint64(i + 1), Deleted: k == "ab"}
		if r.Deleted {
			r.Value = nil
		}
		if _, err := b.PutItem(t.Context(), tn, r, state.NoVersion); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.PutItem(t.Context(), tn+"x", state.Record{Key: "a", Value: []byte("other"), Seq: 1}, state.NoVersion); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		prefix, after string
		limit         int
		want          []string
	}{
		{"", "", 100, []string{"a", "a-b", "a.b", "a:b", "aZ", "a_", "ab", "a~", "b", "~"}},
		{"", "", 3, []string{"a", "a-b", "a.b"}},
		{"a", "", 100, []string{"a", "a-b", "a.b", "a:b", "aZ", "a_", "ab", "a~"}},
		{"a", "a:b", 100, []string{"aZ", "a_", "ab", "a~"}},
		{"a", "a:b", 2, []string{"aZ", "a_"}},
		{"a", "a~", 100, nil},
		{"a", "zz", 100, nil},
		{"b", "a", 100, []string{"b"}},
		{"a:", "", 100, []string{"a:b"}},
		{"~", "", 100, []string{"~"}},
		{"", "b", 100, []string{"~"}},
		{"c", "", 100, nil},
	} {
		t.Run(fmt.Sprintf("prefix %q after %q limit %d", tc.prefix, tc.after, tc.limit), func(t *testing.T) {
			recs, err := b.ScanKeys(t.Context(), tn, tc.prefix, tc.after, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range recs {
				got = append(got, r.Key)
				if string(r.Value) != map[bool]string{true: "", false: r.Key}[r.Deleted] || r.Deleted != (r.Key == "ab") {
					t.Errorf("key %q came back as %+v", r.Key, r)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		since, upTo uint64
		limit       int
		want        []uint64
	}{
		{0, 10, 100, []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{3, 6, 100, []uint64{4, 5, 6}},
		{3, 6, 2, []uint64{4, 5}},
		{9, 100, 100, []uint64{10}},
		{10, 100, 100, nil},
		{5, 5, 100, nil},
	} {
		t.Run(fmt.Sprintf("seq (%d, %d] limit %d", tc.since, tc.upTo, tc.limit), func(t *testing.T) {
			recs, err := b.ScanSeq(t.Context(), tn, tc.since, tc.upTo, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			var got []uint64
			for _, r := range recs {
				got = append(got, r.Seq)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
