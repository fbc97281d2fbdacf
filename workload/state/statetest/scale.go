package statetest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/cellfabric/cellfabric/workload/state"
)

// tenantIsolation: tenants whose ids are prefixes of each other, with keys
// made of the characters a composite row key could use as a separator,
// never see each other's keys.
func (s *suite) tenantIsolation(t *testing.T) {
	st := s.open(t)
	tenants := []string{s.tenant("t"), s.tenant("t") + "1", s.tenant("t") + "-1", "t" + s.tenant("t")}
	keys := []string{"a", "a:b", "a~b", "a.b", "a_b", "a-b", "~", ":", "~meta", "meta", "x:" + tenants[1]}
	for i, tn := range tenants {
		for _, k := range keys {
			mustPut(t, st, tn, k, []byte(fmt.Sprintf("%d|%s", i, k)))
		}
	}
	for i, tn := range tenants {
		got := snapshot(t, st, tn)
		if len(got) != len(keys) {
			t.Errorf("tenant %s sees %d keys, want %d: %v", tn, len(got), len(keys), slices.Sorted(maps.Keys(got)))
		}
		for _, k := range keys {
			if want := fmt.Sprintf("%d|%s", i, k); got[k] != want {
				t.Errorf("tenant %s key %q = %q, want %q", tn, k, got[k], want)
			}
		}
		pos, err := st.Export(ctx(t), tn, func(r state.Record) error {
			if !strings.HasPrefix(string(r.Value), fmt.Sprintf("%d|", i)) {
				return fmt.Errorf("export of %s holds %q=%q", tn, r.Key, r.Value)
			}
			return nil
		})
		if err != nil || pos != uint64(len(keys)) {
			t.Errorf("export of %s: position %d (want %d): %v", tn, pos, len(keys), err)
		}
		recs, _, err := st.Changes(ctx(t), tn, 0, 0)
		if err != nil || len(recs) != len(keys) {
			t.Errorf("feed of %s: %d records (want %d): %v", tn, len(recs), len(keys), err)
		}
	}
	if err := st.Delete(ctx(t), tenants[0], "a", state.Cond{}); err != nil {
		t.Fatal(err)
	}
	if it := mustGet(t, st, tenants[1], "a"); string(it.Value) != "1|a" {
		t.Errorf("a delete in one tenant reached another: %q", it.Value)
	}
}

// twoInstances: two cell instances on one store read each other's writes
// at once.
func (s *suite) twoInstances(t *testing.T) {
	a, b := s.open(t), s.open(t)
	tn := s.tenant("shared")
	for i := range 20 {
		k := fmt.Sprintf("k%d", i%5)
		w, r := a, b
		if i%2 == 1 {
			w, r = b, a
		}
		it := mustPut(t, w, tn, k, []byte(fmt.Sprint(i)))
		got := mustGet(t, r, tn, k)
		if string(got.Value) != fmt.Sprint(i) || got.Seq != it.Seq {
			t.Fatalf("write %d through one instance: the other reads %q at %d, want %q at %d", i, got.Value, got.Seq, fmt.Sprint(i), it.Seq)
		}
	}
}

// pagination lists Harness.Keys keys page by page and with a prefix.
func (s *suite) pagination(t *testing.T) {
	st := s.open(t)
	tn := s.tenant("pages")
	keys := seed(t, st, tn, s.h.Keys)
	// A few deleted keys in the middle must not show, nor shorten pages.
	deleted := map[string]bool{}
	for _, i := range []int{0, 1, len(keys) / 2, len(keys) - 1} {
		if err := st.Delete(ctx(t), tn, keys[i], state.Cond{}); err != nil {
			t.Fatal(err)
		}
		deleted[keys[i]] = true
	}
	want := slices.DeleteFunc(slices.Clone(keys), func(k string) bool { return deleted[k] })
	for _, limit := range []int{state.MaxListLimit, 333} {
		got := listAll(t, st, tn, "", limit)
		if !slices.Equal(got, want) {
			t.Fatalf("limit %d: listed %d keys, want %d in order (first difference at %d)", limit, len(got), len(want), firstDiff(got, want))
		}
	}
	prefix := "key-000"
	var wantPrefix []string
	for _, k := range want {
		if strings.HasPrefix(k, prefix) {
			wantPrefix = append(wantPrefix, k)
		}
	}
	if got := listAll(t, st, tn, prefix, 7); !slices.Equal(got, wantPrefix) {
		t.Errorf("prefix %s: %d keys, want %d", prefix, len(got), len(wantPrefix))
	}
	p, err := st.List(ctx(t), tn, "", "key-00005", 2)
	if err != nil || !slices.Equal(p.Keys, []string{"key-00006", "key-00007"}) || p.Next != "key-00007" {
		t.Errorf("after key-00005, limit 2: %v next %q (%v)", p.Keys, p.Next, err)
	}
}

// exportAndFeed: an export followed by the change feed, taken while four
// writers keep writing and deleting, delivers the tenant's final state:
// nothing missing, nothing twice, each key's versions in order.
func (s *suite) exportAndFeed(t *testing.T) {
	st := s.open(t)
	tn := s.tenant("feed")
	// More keys than one page of a backend scan (the core reads 500 at a
	// time), so that a write during the export lands in a page the export
	// has not read yet.
	const nkeys = 1200
	key := func(i int) string { return fmt.Sprintf("key-%05d", i) }
	seed(t, st, tn, nkeys)

	writers := s.h.Writes
	var wg sync.WaitGroup
	wctx, stop := context.WithCancel(ctx(t))
	defer stop()
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wst := s.open(t)
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for i := range writers {
				k := key(rng.IntN(40) * (nkeys / 40))
				var err error
				if rng.IntN(4) == 0 {
					err = wst.Delete(wctx, tn, k, state.Cond{})
					if errors.Is(err, state.ErrNotFound) {
						err = nil
					}
				} else {
					_, _, err = wst.Put(wctx, tn, k, []byte(fmt.Sprintf("w%d-%d", w, i)), state.Cond{})
				}
				if err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	// The consumer: what a mover does.
	copyOf := map[string]state.Record{}
	seen := map[string]bool{} // key@seq delivered
	lastSeq := map[string]uint64{}
	deliver := func(r state.Record, from string) {
		id := fmt.Sprintf("%s@%d", r.Key, r.Seq)
		if seen[id] {
			t.Errorf("%s delivered twice (again by %s)", id, from)
		}
		seen[id] = true
		if r.Seq <= lastSeq[r.Key] {
			t.Errorf("%s: key %s went back from seq %d to %d", from, r.Key, lastSeq[r.Key], r.Seq)
		}
		lastSeq[r.Key] = r.Seq
		copyOf[r.Key] = r
	}
	midway := s.open(t)
	pos, err := st.Export(ctx(t), tn, func(r state.Record) error {
		deliver(r, "export")
		if r.Key == key(0) {
			// Written after the export began, in a page it reads later:
			// it must come from the feed, once.
			mustPut(t, midway, tn, key(nkeys-1), []byte("during the export"))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	finished := false
	for rounds := 0; ; rounds++ {
		if rounds > 1_000_000 {
			t.Fatal("the feed never caught up")
		}
		if !finished {
			select {
			case <-done:
				finished = true
			default:
			}
		}
		recs, next, err := st.Changes(ctx(t), tn, pos, 50)
		if err != nil {
			t.Fatalf("changes since %d: %v", pos, err)
		}
		for i, r := range recs {
			if r.Seq <= pos || (i > 0 && r.Seq <= recs[i-1].Seq) {
				t.Fatalf("changes since %d out of order: %d after %d", pos, r.Seq, max(pos, recs[max(i-1, 0)].Seq))
			}
			deliver(r, "feed")
		}
		if next < pos {
			t.Fatalf("the feed position went back from %d to %d", pos, next)
		}
		pos = next
		if finished && len(recs) == 0 {
			break
		}
	}
	if t.Failed() {
		return
	}
	want := snapshot(t, st, tn)
	got := map[string]string{}
	for k, r := range copyOf {
		if !r.Deleted {
			got[k] = string(r.Value)
		}
	}
	if !maps.Equal(got, want) {
		t.Fatalf("export + feed hold %d keys, the store %d; differing keys: %v", len(got), len(want), diffKeys(got, want))
	}
	if end, _ := st.Position(ctx(t), tn); end != pos {
		t.Errorf("the feed ended at %d, the tenant's position is %d", pos, end)
	}
}

func diffKeys(a, b map[string]string) []string {
	var out []string
	for k, v := range a {
		if bv, ok := b[k]; !ok || bv != v {
			out = append(out, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// importIdempotent: importing the same records twice, or older ones after
// newer, changes nothing; writes after an import continue the sequence.
func (s *suite) importIdempotent(t *testing.T) {
	src, dst := s.open(t), s.open(t)
	from, to := s.tenant("imp-src"), s.tenant("imp-dst")
	for i := range 30 {
		mustPut(t, src, from, fmt.Sprintf("k%d", i%12), []byte(fmt.Sprint(i)))
	}
	if err := src.Delete(ctx(t), from, "k3", state.Cond{}); err != nil {
		t.Fatal(err)
	}
	var recs []state.Record
	pos, err := src.Export(ctx(t), from, func(r state.Record) error { recs = append(recs, r); return nil })
	if err != nil {
		t.Fatal(err)
	}
	feed, _, err := src.Changes(ctx(t), from, 0, 0) // every key's latest, tombstones too
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := dst.Import(ctx(t), to, recs); err != nil {
			t.Fatalf("import: %v", err)
		}
		if err := dst.Import(ctx(t), to, feed); err != nil {
			t.Fatalf("import of the feed: %v", err)
		}
	}
	// Older versions of keys imported after newer ones are ignored.
	if err := dst.Import(ctx(t), to, []state.Record{{Key: "k0", Value: []byte("stale"), Seq: 1}, {Key: "k3", Value: []byte("resurrected"), Seq: 2}}); err != nil {
		t.Fatal(err)
	}
	want, got := snapshot(t, src, from), snapshot(t, dst, to)
	if !maps.Equal(got, want) {
		t.Fatalf("after imports the copy differs in %v", diffKeys(got, want))
	}
	for _, k := range []string{"k0", "k5"} {
		if a, b := mustGet(t, src, from, k), mustGet(t, dst, to, k); a.ETag() != b.ETag() {
			t.Errorf("key %s: ETag %s at the source, %s in the copy", k, a.ETag(), b.ETag())
		}
	}
	dpos, err := dst.Position(ctx(t), to)
	if err != nil || dpos != pos {
		t.Errorf("the copy's position is %d (%v), the source's %d", dpos, err, pos)
	}
	it := mustPut(t, dst, to, "k0", []byte("after"))
	if it.Seq <= pos {
		t.Errorf("a write after the import got seq %d, not above %d", it.Seq, pos)
	}
}

// crashedWriter: a write that was ordered but whose writer died before
// storing it (the meta record names it pending) is completed by the next
// reader of the tenant's sequence, and appears in the feed.
func (s *suite) crashedWriter(t *testing.T) {
	b := s.h.Open(t)
	defer b.Close()
	st := s.open(t)
	tn := s.tenant("crash")
	first := mustPut(t, st, tn, "k", []byte("before"))
	m, mv, found, err := b.GetMeta(ctx(t), tn)
	if err != nil || !found || m.Pending != nil {
		t.Fatalf("meta after a write: %+v found %v: %v", m, found, err)
	}
	// Order a write and "crash" before storing it.
	p := state.Record{Key: "k", Value: []byte("ordered"), Seq: m.Seq + 1}
	if _, err := b.PutMeta(ctx(t), tn, state.Meta{Seq: p.Seq, Pending: &p}, mv); err != nil {
		t.Fatalf("ordering: %v", err)
	}
	if got := mustGet(t, st, tn, "k"); string(got.Value) != "before" {
		t.Fatalf("an unstored write is visible early: %q", got.Value)
	}
	// The next writer of the tenant completes it first, then writes.
	mustPut(t, st, tn, "other", []byte("x"))
	got := mustGet(t, st, tn, "k")
	if string(got.Value) != "ordered" || got.Seq != first.Seq+1 {
		t.Fatalf("after the next write, k = %q at %d, want the crashed write at %d", got.Value, got.Seq, first.Seq+1)
	}
	recs, _, err := st.Changes(ctx(t), tn, first.Seq, 0)
	if err != nil || len(recs) != 2 || recs[0].Key != "k" || recs[1].Key != "other" {
		t.Errorf("feed after the crash: %+v (%v)", recs, err)
	}
}

// importSeqBound: an import carrying a sequence number above state.MaxSeq
// (the largest every store keeps: Azure's Edm.Int64, Firestore's integer)
// is refused as invalid, naming the tenant and the key, before anything is
// written, on every adapter alike; a tenant imported up to MaxSeq keeps
// its data and refuses the write that would pass it.
func (s *suite) importSeqBound(t *testing.T) {
	st := s.open(t)
	tn := s.tenant("seqbound")
	over := []state.Record{
		{Key: "fine", Value: []byte("x"), Seq: 7},
		{Key: "huge", Value: []byte("y"), Seq: state.MaxSeq + 1},
	}
	err := st.Import(ctx(t), tn, over)
	wantErr(t, "import above MaxSeq", err, state.ErrInvalid)
	if msg := err.Error(); !strings.Contains(msg, tn) || !strings.Contains(msg, "huge") {
		t.Errorf("the refusal %q does not name the tenant %s and the key huge", msg, tn)
	}
	if keys := listAll(t, st, tn, "", 10); len(keys) != 0 {
		t.Errorf("a refused import stored keys: %v", keys)
	}
	if pos, err := st.Position(ctx(t), tn); err != nil || pos != 0 {
		t.Errorf("a refused import moved the tenant's sequence to %d (%v)", pos, err)
	}

	// Up to the bound is fine, and the next write has no number left.
	if err := st.Import(ctx(t), tn, []state.Record{{Key: "last", Value: []byte("z"), Seq: state.MaxSeq}}); err != nil {
		t.Fatalf("import at MaxSeq: %v", err)
	}
	if it := mustGet(t, st, tn, "last"); it.Seq != state.MaxSeq || string(it.Value) != "z" {
		t.Errorf("key last is %q at %d, want z at %d", it.Value, it.Seq, uint64(state.MaxSeq))
	}
	_, _, err = st.Put(ctx(t), tn, "next", []byte("w"), state.Cond{})
	wantErr(t, "a write past MaxSeq", err, state.ErrFull)
	if _, err := st.Get(ctx(t), tn, "next"); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("the refused write is readable: %v", err)
	}
}
