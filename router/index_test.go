package router

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestTenantIndex(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 40)
	tests := []struct {
		name    string
		ids     []string
		missing []string
	}{
		{"empty", nil, []string{"acme", ""}},
		{"one", []string{"acme"}, []string{"acm", "acme2", "", "ACME"}},
		{"inline limit", []string{strings.Repeat("x", inlineID), strings.Repeat("y", inlineID+1)}, []string{strings.Repeat("x", inlineID+1), strings.Repeat("y", inlineID)}},
		{"long ids share the arena", []string{long, long + "b", long + "c", "short"}, []string{long + "d", long[:39], strings.Repeat("z", 300)}},
		{"many", func() []string {
			var ids []string
			for i := range 5000 {
				ids = append(ids, fmt.Sprintf("tenant-%d", i))
			}
			return ids
		}(), []string{"tenant-5000", "tenant--1", "tenant-"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			x := newTenantIndex(len(tt.ids))
			for i, id := range tt.ids {
				if v, added := x.insert(id, int32(i)); !added || v != int32(i) {
					t.Fatalf("insert %q: %d %v", id, v, added)
				}
			}
			if x.len() != len(tt.ids) {
				t.Errorf("len %d, want %d", x.len(), len(tt.ids))
			}
			for i, id := range tt.ids {
				if v, ok := x.lookup(id); !ok || v != int32(i) {
					t.Errorf("lookup %q: %d %v, want %d", id, v, ok, i)
				}
				// A second insert reports the first value.
				if v, added := x.insert(id, -7); added || v != int32(i) {
					t.Errorf("duplicate insert %q: %d %v", id, v, added)
				}
			}
			for _, id := range tt.missing {
				if v, ok := x.lookup(id); ok {
					t.Errorf("lookup of absent %q found %d", id, v)
				}
			}
			x.remap(func(v int32) int32 { return v * 2 })
			for i, id := range tt.ids {
				if v, _ := x.lookup(id); v != int32(2*i) {
					t.Errorf("after remap %q: %d, want %d", id, v, 2*i)
				}
			}
		})
	}
}

// TestTenantIndexAgreesWithMap: random ids of every length, some repeated,
// give the same answers as a Go map.
func TestTenantIndexAgreesWithMap(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 8))
	const n = 20000
	want := map[string]int32{}
	x := newTenantIndex(n)
	var ids []string
	for i := range n {
		var id string
		if i > 0 && r.IntN(10) == 0 {
			id = ids[r.IntN(len(ids))] // a duplicate
		} else {
			b := make([]byte, 1+r.IntN(63))
			for j := range b {
				b[j] = "abcdefghijklmnopqrstuvwxyz0123456789-"[r.IntN(37)]
			}
			id = string(b)
		}
		ids = append(ids, id)
		v, added := x.insert(id, int32(i))
		prev, dup := want[id]
		if added == dup || (dup && v != prev) {
			t.Fatalf("insert %q: %d %v; map says dup=%v prev=%d", id, v, added, dup, prev)
		}
		if !dup {
			want[id] = int32(i)
		}
	}
	for id, v := range want {
		if got, ok := x.lookup(id); !ok || got != v {
			t.Fatalf("lookup %q: %d %v, want %d", id, got, ok, v)
		}
		if _, ok := want[id+"!"]; !ok {
			if _, found := x.lookup(id + "!"); found {
				t.Fatalf("found absent %q", id+"!")
			}
		}
	}
	if x.len() != len(want) {
		t.Errorf("len %d, want %d", x.len(), len(want))
	}
}

func TestTenantIndexLookupAllocatesNothing(t *testing.T) {
	x := newTenantIndex(2)
	x.insert("acme", 1)
	x.insert(strings.Repeat("l", 50), 2)
	id := strings.Repeat("l", 50)
	if n := testing.AllocsPerRun(100, func() {
		x.lookup("acme")
		x.lookup(id)
		x.lookup("nobody")
	}); n != 0 {
		t.Errorf("%v allocations per lookup", n)
	}
}
