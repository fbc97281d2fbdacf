package aztable

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/workload/state"
)

// TestConditionalWrites: each way a conditional write can find the record
// at another version is ErrConflict, and every successful write gives a
// new version.
func TestConditionalWrites(t *testing.T) {
	t.Parallel()
	b := sharedTable(t, "conditional")
	ctx := context.Background()

	type record struct {
		name string
		put  func(seq uint64, expect state.Version) (state.Version, error)
		get  func() (uint64, state.Version, bool, error)
	}
	records := []record{
		{"item",
			func(seq uint64, expect state.Version) (state.Version, error) {
				return b.PutItem(ctx, "tenant-a", state.Record{Key: "k", Value: []byte("v"), Seq: seq}, expect)
			},
			func() (uint64, state.Version, bool, error) {
				r, v, found, err := b.GetItem(ctx, "tenant-a", "k")
				return r.Seq, v, found, err
			}},
		{"meta",
			func(seq uint64, expect state.Version) (state.Version, error) {
				return b.PutMeta(ctx, "tenant-a", state.Meta{Seq: seq}, expect)
			},
			func() (uint64, state.Version, bool, error) {
				m, v, found, err := b.GetMeta(ctx, "tenant-a")
				return m.Seq, v, found, err
			}},
	}
	for _, r := range records {
		t.Run(r.name, func(t *testing.T) {
			if _, _, found, err := r.get(); err != nil || found {
				t.Fatalf("before any write: found %v: %v", found, err)
			}
			if _, err := r.put(1, `W/"datetime'2020-01-01T00%3A00%3A00.0000000Z'"`); !errors.Is(err, state.ErrConflict) {
				t.Errorf("write at a version of a record that does not exist: %v, want ErrConflict", err)
			}
			v1, err := r.put(1, state.NoVersion)
			if err != nil {
				t.Fatalf("first write: %v", err)
			}
			if _, err := r.put(2, state.NoVersion); !errors.Is(err, state.ErrConflict) {
				t.Errorf("write-if-absent of an existing record: %v, want ErrConflict", err)
			}
			seen := map[state.Version]bool{v1: true}
			v := v1
			for seq := uint64(2); seq <= 20; seq++ {
				if v, err = r.put(seq, v); err != nil {
					t.Fatalf("write %d at the current version: %v", seq, err)
				}
				if seen[v] {
					t.Fatalf("write %d gave version %s again", seq, v)
				}
				seen[v] = true
			}
			if _, err := r.put(21, v1); !errors.Is(err, state.ErrConflict) {
				t.Errorf("write at a stale version: %v, want ErrConflict", err)
			}
			seq, got, found, err := r.get()
			if err != nil || !found || seq != 20 || got != v {
				t.Errorf("read back seq %d version %s (found %v), want 20 at %s: %v", seq, got, found, v, err)
			}
		})
	}
}

// TestScanEdges: row-key ranges at the edges of the key alphabet and
// length, and the feed's bounds, on the service.
func TestScanEdges(t *testing.T) {
	t.Parallel()
	b := sharedTable(t, "scanedges")
	ctx := context.Background()
	const tn = "tenant-a"
	longest := strings.Repeat("~", state.MaxKeyBytes)
	keys := []string{"-", ".", "0", ":", "A", "_", "a", "m", "z", "~", "~~", longest[:state.MaxKeyBytes-1], longest, "k", "k:"}
	for i, k := range keys {
		if _, err := b.PutItem(ctx, tn, state.Record{Key: k, Value: []byte(k), Seq: uint64(i + 1)}, state.NoVersion); err != nil {
			t.Fatalf("put %q: %v", k, err)
		}
	}
	// The meta record and a neighbouring tenant must never show up.
	if _, err := b.PutMeta(ctx, tn, state.Meta{Seq: uint64(len(keys))}, state.NoVersion); err != nil {
		t.Fatal(err)
	}
	if _, err := b.PutItem(ctx, tn+"x", state.Record{Key: "a", Seq: 3}, state.NoVersion); err != nil {
		t.Fatal(err)
	}
	sorted := slices.Sorted(slices.Values(keys))
	keysOf := func(rs []state.Record) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.Key)
		}
		return out
	}
	withPrefix := func(p, after string) []string {
		var out []string
		for _, k := range sorted {
			if strings.HasPrefix(k, p) && k > after {
				out = append(out, k)
			}
		}
		return out
	}
	scans := []struct{ prefix, after string }{
		{"", ""}, {"~", ""}, {"~", "~"}, {longest, ""}, {longest[:state.MaxKeyBytes-1], ""},
		{"k", ""}, {"k:", ""}, {"", "m"}, {"a", "0"}, {"0", "a"}, {"", longest},
	}
	for _, s := range scans {
		t.Run(fmt.Sprintf("prefix %.8q of %d after %.8q of %d", s.prefix, len(s.prefix), s.after, len(s.after)), func(t *testing.T) {
			for _, limit := range []int{1, 3, 1000} {
				got, err := b.ScanKeys(ctx, tn, s.prefix, s.after, limit)
				if err != nil {
					t.Fatal(err)
				}
				want := withPrefix(s.prefix, s.after)
				want = want[:min(limit, len(want))]
				if !slices.Equal(keysOf(got), want) {
					t.Errorf("limit %d: %q, want %q", limit, keysOf(got), want)
				}
			}
		})
	}
	seqs := []struct {
		since, upTo uint64
		limit       int
	}{
		{0, math.MaxUint64, 1000}, {0, 3, 1000}, {3, 9, 2}, {14, 15, 10}, {15, 16, 10}, {7, 7, 10}, {math.MaxInt64, math.MaxUint64, 10},
	}
	for _, s := range seqs {
		t.Run(fmt.Sprintf("seq (%d, %d] limit %d", s.since, s.upTo, s.limit), func(t *testing.T) {
			got, err := b.ScanSeq(ctx, tn, s.since, s.upTo, s.limit)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for i, k := range keys {
				if seq := uint64(i + 1); seq > s.since && seq <= s.upTo && len(want) < s.limit {
					want = append(want, k)
				}
			}
			if !slices.Equal(keysOf(got), want) {
				t.Errorf("%q, want %q", keysOf(got), want)
			}
		})
	}
}
