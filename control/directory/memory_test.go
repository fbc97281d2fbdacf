package directory

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestSortedKeys(t *testing.T) {
	t.Parallel()
	var s sortedKeys
	ref := map[string]bool{}
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := range 20000 {
		k := fmt.Sprintf("k%05d", rnd.IntN(5000))
		if rnd.IntN(3) == 0 {
			if got, want := s.remove(k), ref[k]; got != want {
				t.Fatalf("step %d: remove(%s) = %v, want %v", i, k, got, want)
			}
			delete(ref, k)
		} else {
			if got, want := s.insert(k), !ref[k]; got != want {
				t.Fatalf("step %d: insert(%s) = %v, want %v", i, k, got, want)
			}
			ref[k] = true
		}
	}
	var want []string
	for k := range ref {
		want = append(want, k)
	}
	slices.Sort(want)
	var got []string
	s.ascend("", false, func(k string) bool { got = append(got, k); return true })
	if !slices.Equal(got, want) || s.n != len(want) {
		t.Fatalf("ascend gives %d keys (n %d), want %d", len(got), s.n, len(want))
	}
	for _, b := range s.blocks {
		if len(b) == 0 || len(b) > blockMax {
			t.Fatalf("a block of %d keys", len(b))
		}
	}
	// From a key in the set, after it, and from one between keys.
	mid := want[len(want)/2]
	var from []string
	s.ascend(mid, true, func(k string) bool { from = append(from, k); return len(from) < 3 })
	if i := slices.Index(want, mid); !slices.Equal(from, want[i+1:i+4]) {
		t.Errorf("ascend after %s = %v, want %v", mid, from, want[i+1:i+4])
	}
}

func TestMemory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClock()
	m := NewMemory(c.Now)
	for _, k := range []string{"t/b", "t/a", "t/c", "j/1", "n/x", "t/d"} {
		if err := m.Put(ctx, k, []byte("v-"+k), 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Put(ctx, "t/e", []byte("short-lived"), 60); err != nil {
		t.Fatal(err)
	}
	v, ok, err := m.Get(ctx, "t/a")
	if err != nil || !ok || string(v) != "v-t/a" {
		t.Fatalf("Get(t/a) = %q, %v, %v", v, ok, err)
	}
	v[0] = 'X' // the store keeps its own copy
	if v2, _, _ := m.Get(ctx, "t/a"); string(v2) != "v-t/a" {
		t.Fatalf("a caller's change reached the store: %q", v2)
	}

	// Pages of two, by prefix, in order, the last with no cursor.
	var all []string
	cursor := ""
	for {
		keys, next, err := m.List(ctx, "t/", cursor, 2)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, keys...)
		if next == "" {
			break
		}
		cursor = next
	}
	if want := []string{"t/a", "t/b", "t/c", "t/d", "t/e"}; !slices.Equal(all, want) {
		t.Fatalf("paged listing %v, want %v", all, want)
	}

	// The TTL by the injected clock.
	c.Advance(59 * time.Second)
	if _, ok, _ := m.Get(ctx, "t/e"); !ok {
		t.Fatal("t/e expired before its TTL")
	}
	c.Advance(time.Second)
	if _, ok, _ := m.Get(ctx, "t/e"); ok {
		t.Fatal("t/e outlived its TTL")
	}
	if keys, _, _ := m.List(ctx, "t/", "", 0); slices.Contains(keys, "t/e") {
		t.Fatal("an expired key is listed")
	}
	// A write drops what expired.
	_ = m.Delete(ctx, "t/b")
	if m.Len() != 5 {
		t.Errorf("Len = %d after the expiry and a delete, want 5", m.Len())
	}
	// Rewriting a key without TTL cancels its expiry.
	_ = m.Put(ctx, "t/f", []byte("1"), 60)
	_ = m.Put(ctx, "t/f", []byte("2"), 0)
	c.Advance(2 * time.Minute)
	_ = m.Put(ctx, "t/g", nil, 0)
	if v, ok, _ := m.Get(ctx, "t/f"); !ok || string(v) != "2" {
		t.Errorf("t/f = %q, %v after its TTL was replaced by none", v, ok)
	}
	kvs, _, _ := m.ListValues(ctx, "n/", "", 0)
	if len(kvs) != 1 || kvs[0].Key != "n/x" || string(kvs[0].Value) != "v-n/x" {
		t.Errorf("ListValues(n/) = %v", kvs)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := m.Put(cctx, "t/z", nil, 0); err == nil {
		t.Error("Put with a cancelled context succeeded")
	}
}

func TestMemoryManyKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := NewMemory(nil)
	const n = 5000
	for i := range n {
		_ = m.Put(ctx, fmt.Sprintf("t/%06d", (i*7919)%n), nil, 0)
	}
	keys, next, err := m.List(ctx, "t/", "t/002499", 3)
	if err != nil || !slices.Equal(keys, []string{"t/002500", "t/002501", "t/002502"}) || next != "t/002502" {
		t.Fatalf("List after t/002499 = %v, %q, %v", keys, next, err)
	}
	keys, next, _ = m.List(ctx, "t/", "t/004998", 3)
	if !slices.Equal(keys, []string{"t/004999"}) || next != "" {
		t.Fatalf("the last page = %v, %q", keys, next)
	}
	if keys, _, _ := m.List(ctx, "u/", "", 3); len(keys) != 0 {
		t.Fatalf("List(u/) = %v", keys)
	}
}
