package statetest

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/cellfabric/cellfabric/workload/state"
)

// roundTripAtLimits stores the smallest and largest keys and values, every
// byte value, and keys made of every character a key may hold.
func (s *suite) roundTripAtLimits(t *testing.T) {
	st := s.open(t)
	tn := s.tenant("limits")
	every := make([]byte, 256)
	for i := range every {
		every[i] = byte(i)
	}
	largest := bytes.Repeat([]byte{0xA5, 0x00, 0xFF, '\n'}, state.MaxValueBytes/4)
	cases := []struct {
		key   string
		value []byte
	}{
		{"k", []byte("one")},
		{strings.Repeat("K", state.MaxKeyBytes), []byte("longest key")},
		{"empty", []byte{}},
		{"every-byte", every},
		{"largest", largest},
		{"aZ09._-~:", []byte("every key character")},
		{"~", []byte("tilde alone")},
		{":", []byte("colon alone")},
		{"...", []byte("three dots")},
		{"__name__", []byte("looks reserved somewhere")},
	}
	for _, c := range cases {
		it, created, err := st.Put(ctx(t), tn, c.key, c.value, state.Cond{})
		if err != nil {
			t.Fatalf("put %q (%d bytes): %v", c.key, len(c.value), err)
		}
		if !created || it.Seq == 0 {
			t.Errorf("put %q: created %v, seq %d", c.key, created, it.Seq)
		}
	}
	for _, c := range cases {
		it := mustGet(t, st, tn, c.key)
		if !bytes.Equal(it.Value, c.value) {
			t.Errorf("get %q: %d bytes back, want %d (first difference at %d)", c.key, len(it.Value), len(c.value), firstDiff(it.Value, c.value))
		}
	}
	// Overwrite the largest value with the smallest and back.
	mustPut(t, st, tn, "largest", nil)
	if it := mustGet(t, st, tn, "largest"); len(it.Value) != 0 {
		t.Errorf("largest after overwrite with nothing: %d bytes", len(it.Value))
	}
	mustPut(t, st, tn, "largest", largest)
	if it := mustGet(t, st, tn, "largest"); !bytes.Equal(it.Value, largest) {
		t.Error("largest value did not survive an overwrite")
	}
}

// invalidInput: the port refuses bad input the same way on every adapter,
// and stores nothing.
func (s *suite) invalidInput(t *testing.T) {
	st := s.open(t)
	tn := s.tenant("invalid")
	bad := []struct {
		name, tenant, key string
		value             []byte
	}{
		{"key over the limit", tn, strings.Repeat("k", state.MaxKeyBytes+1), nil},
		{"value over the limit", tn, "big", make([]byte, state.MaxValueBytes+1)},
		{"empty key", tn, "", nil},
		{"slash in key", tn, "a/b", nil},
		{"hash in key", tn, "a#b", nil},
		{"space in key", tn, "a b", nil},
		{"non-ascii key", tn, "clé", nil},
		{"dot key", tn, ".", nil},
		{"bad tenant", "Not-A-Tenant", "k", nil},
		{"empty tenant", "", "k", nil},
	}
	for _, b := range bad {
		_, _, err := st.Put(ctx(t), b.tenant, b.key, b.value, state.Cond{})
		wantErr(t, b.name+": put", err, state.ErrInvalid)
		_, err = st.Get(ctx(t), b.tenant, b.key)
		if b.name != "value over the limit" {
			wantErr(t, b.name+": get", err, state.ErrInvalid)
		}
	}
	if keys := listAll(t, st, tn, "", 10); len(keys) != 0 {
		t.Errorf("refused writes stored keys: %v", keys)
	}
	_, err := st.List(ctx(t), tn, "a/", "", 10)
	wantErr(t, "list with a prefix no key can have", err, state.ErrInvalid)
	_, err = st.List(ctx(t), tn, "", "", state.MaxListLimit+1)
	wantErr(t, "list over the limit", err, state.ErrInvalid)
	err = st.Import(ctx(t), tn, []state.Record{{Key: "ok", Value: []byte("x"), Seq: 1}, {Key: "bad/key", Seq: 2}})
	wantErr(t, "import with a bad key", err, state.ErrInvalid)
	if keys := listAll(t, st, tn, "", 10); len(keys) != 0 {
		t.Errorf("a refused import stored keys: %v", keys)
	}
}

// notFoundAndTombstones: missing keys, deletes and re-creation.
func (s *suite) notFoundAndTombstones(t *testing.T) {
	st := s.open(t)
	tn := s.tenant("tomb")
	_, err := st.Get(ctx(t), tn, "nothing")
	wantErr(t, "get of a key never written", err, state.ErrNotFound)
	wantErr(t, "delete of a key never written", st.Delete(ctx(t), tn, "nothing", state.Cond{}), state.ErrNotFound)
	first := mustPut(t, st, tn, "k", []byte("1"))
	if err := st.Delete(ctx(t), tn, "k", state.Cond{}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	_, err = st.Get(ctx(t), tn, "k")
	wantErr(t, "get after delete", err, state.ErrNotFound)
	wantErr(t, "second delete", st.Delete(ctx(t), tn, "k", state.Cond{}), state.ErrNotFound)
	if keys := listAll(t, st, tn, "", 10); len(keys) != 0 {
		t.Errorf("a deleted key is listed: %v", keys)
	}
	it, created, err := st.Put(ctx(t), tn, "k", []byte("2"), state.Cond{})
	if err != nil || !created || it.Seq <= first.Seq {
		t.Fatalf("re-create: created %v seq %d (first %d): %v", created, it.Seq, first.Seq, err)
	}
	_, created, err = st.Put(ctx(t), tn, "k", []byte("3"), state.Cond{})
	if err != nil || created {
		t.Errorf("overwrite reported created %v: %v", created, err)
	}
	pos, err := st.Position(ctx(t), tn)
	if err != nil || pos != 4 {
		t.Errorf("position after put, delete, put, put = %d (%v), want 4", pos, err)
	}
}

// preconditions: If-Match and If-None-Match against the key's ETag.
func (s *suite) preconditions(t *testing.T) {
	st := s.open(t)
	tn := s.tenant("cond")
	_, _, err := st.Put(ctx(t), tn, "k", []byte("x"), state.Cond{IfMatch: []string{"*"}})
	wantErr(t, "If-Match * on a missing key", err, state.ErrPrecondition)
	v1, _, err := st.Put(ctx(t), tn, "k", []byte("1"), state.Cond{IfNoneMatch: true})
	if err != nil {
		t.Fatalf("If-None-Match * on a missing key: %v", err)
	}
	_, _, err = st.Put(ctx(t), tn, "k", []byte("x"), state.Cond{IfNoneMatch: true})
	wantErr(t, "If-None-Match * on an existing key", err, state.ErrPrecondition)
	v2, _, err := st.Put(ctx(t), tn, "k", []byte("2"), state.Cond{IfMatch: []string{v1.ETag()}})
	if err != nil {
		t.Fatalf("If-Match with the current tag: %v", err)
	}
	_, _, err = st.Put(ctx(t), tn, "k", []byte("x"), state.Cond{IfMatch: []string{v1.ETag()}})
	wantErr(t, "If-Match with a stale tag", err, state.ErrPrecondition)
	_, _, err = st.Put(ctx(t), tn, "k", []byte("x"), state.Cond{IfMatch: []string{`"not-a-tag"`}})
	wantErr(t, "If-Match with a malformed tag", err, state.ErrPrecondition)
	if _, _, err := st.Put(ctx(t), tn, "k", []byte("3"), state.Cond{IfMatch: []string{v1.ETag(), "W/" + v2.ETag()}}); err != nil {
		t.Fatalf("If-Match with a list holding the weak current tag: %v", err)
	}
	wantErr(t, "delete If-Match stale", st.Delete(ctx(t), tn, "k", state.Cond{IfMatch: []string{v2.ETag()}}), state.ErrPrecondition)
	if got := mustGet(t, st, tn, "k"); string(got.Value) != "3" {
		t.Errorf("value after refused writes: %q, want 3", got.Value)
	}
	cur := mustGet(t, st, tn, "k")
	if err := st.Delete(ctx(t), tn, "k", state.Cond{IfMatch: []string{cur.ETag()}}); err != nil {
		t.Fatalf("delete If-Match current: %v", err)
	}
}

// conditionalRace: writers that all read one ETag race to replace the
// value; exactly one wins, every other gets ErrPrecondition.
func (s *suite) conditionalRace(t *testing.T) {
	const writers = 8
	tn := s.tenant("race")
	base := mustPut(t, s.open(t), tn, "k", []byte("base"))
	// Every writer reads the key before any orders its write; half go
	// through a second instance over the same store.
	a := s.h.Open(t)
	b := s.h.Open(t)
	br := newBarrier(a, tn, "k", writers)
	one, two := state.New(br), state.New(&barrier{Backend: b, tenant: tn, key: "k", arrive: br.arrive, open: br.open})
	t.Cleanup(func() { one.Close(); two.Close() })
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			target := one
			if i%2 == 1 {
				target = two
			}
			_, _, errs[i] = target.Put(ctx(t), tn, "k", []byte{byte('a' + i)}, state.Cond{IfMatch: []string{base.ETag()}})
		}()
	}
	wg.Wait()
	winners := 0
	for i, err := range errs {
		switch {
		case err == nil:
			winners++
		case !errors.Is(err, state.ErrPrecondition):
			t.Errorf("writer %d: %v, want a win or ErrPrecondition", i, err)
		}
	}
	if winners != 1 {
		t.Fatalf("%d writers won the race, want exactly 1 (errors %v)", winners, errs)
	}
	got := mustGet(t, one, tn, "k")
	if len(got.Value) != 1 || errs[got.Value[0]-'a'] != nil {
		t.Errorf("the stored value %q is not the winner's", got.Value)
	}
}

// createRace: writers race to create one key with If-None-Match: *.
func (s *suite) createRace(t *testing.T) {
	const writers = 6
	tn := s.tenant("create")
	st := state.New(newBarrier(s.h.Open(t), tn, "once", writers))
	t.Cleanup(func() { st.Close() })
	created := make([]bool, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, c, err := st.Put(ctx(t), tn, "once", []byte{byte(i)}, state.Cond{IfNoneMatch: true})
			if err != nil && !errors.Is(err, state.ErrPrecondition) {
				t.Errorf("writer %d: %v", i, err)
			}
			created[i] = err == nil && c
		}()
	}
	wg.Wait()
	if n := len(slices.DeleteFunc(slices.Clone(created), func(b bool) bool { return !b })); n != 1 {
		t.Fatalf("%d writers created the key, want 1", n)
	}
}
