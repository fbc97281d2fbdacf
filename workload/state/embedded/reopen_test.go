package embedded

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/cellfabric/cellfabric/workload/state"
)

// TestReopenKeepsEverything writes through the port, closes the store,
// opens the directory again and checks that every key, its ETag, the
// tombstones in the feed and the tenants' positions survived, and that
// the sequence goes on from where it was.
func TestReopenKeepsEverything(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st := state.New(mustOpen(t, dir))
	big := bytes.Repeat([]byte("0123456789abcdef"), state.MaxValueBytes/16)
	type op struct {
		tenant, key string
		value       []byte
		del         bool
	}
	for _, o := range []op{
		{tenant: "acme", key: "a", value: []byte("1")},
		{tenant: "acme", key: "b", value: []byte("2")},
		{tenant: "globex", key: "a", value: []byte("3")},
		{tenant: "acme", key: "a", value: []byte("4")},
		{tenant: "acme", key: "empty", value: nil},
		{tenant: "acme", key: "~big:" + string(bytes.Repeat([]byte("k"), 200)), value: big},
		{tenant: "acme", key: "b", del: true},
		{tenant: "globex", key: "gone", value: []byte("x")},
		{tenant: "globex", key: "gone", del: true},
	} {
		var err error
		if o.del {
			err = st.Delete(ctx(t), o.tenant, o.key, state.Cond{})
		} else {
			_, _, err = st.Put(ctx(t), o.tenant, o.key, o.value, state.Cond{})
		}
		if err != nil {
			t.Fatalf("%+v: %v", o, err)
		}
	}
	// An import keeps its sequence numbers and moves the position.
	if err := st.Import(ctx(t), "initech", []state.Record{{Key: "k", Value: []byte("v"), Seq: 40}, {Key: "t", Seq: 41, Deleted: true}}); err != nil {
		t.Fatal(err)
	}
	type tenantState struct {
		items    map[string]state.Item
		feed     []state.Record
		position uint64
	}
	read := func(st state.Store) map[string]tenantState {
		out := map[string]tenantState{}
		for _, tn := range []string{"acme", "globex", "initech"} {
			ts := tenantState{items: map[string]state.Item{}}
			p, err := st.List(ctx(t), tn, "", "", 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range p.Keys {
				it, err := st.Get(ctx(t), tn, k)
				if err != nil {
					t.Fatal(err)
				}
				ts.items[k] = it
			}
			if ts.feed, _, err = st.Changes(ctx(t), tn, 0, 0); err != nil {
				t.Fatal(err)
			}
			if ts.position, err = st.Position(ctx(t), tn); err != nil {
				t.Fatal(err)
			}
			out[tn] = ts
		}
		return out
	}
	before := read(st)
	if len(before["acme"].items) != 3 || before["acme"].position != 6 || before["initech"].position != 41 {
		t.Fatalf("before the restart: %d acme keys at %d, initech at %d", len(before["acme"].items), before["acme"].position, before["initech"].position)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st2 := state.New(mustOpen(t, dir))
	defer st2.Close()
	after := read(st2)
	for tn, want := range before {
		got := after[tn]
		if !reflect.DeepEqual(got.items, want.items) {
			t.Errorf("%s: keys after the restart %v, want %v", tn, got.items, want.items)
		}
		if !reflect.DeepEqual(got.feed, want.feed) {
			t.Errorf("%s: feed after the restart %+v, want %+v", tn, got.feed, want.feed)
		}
		if got.position != want.position {
			t.Errorf("%s: position after the restart %d, want %d", tn, got.position, want.position)
		}
	}
	// The tombstones are still in the feed, and still not keys.
	var tombs []string
	for _, r := range after["acme"].feed {
		if r.Deleted {
			tombs = append(tombs, r.Key)
		}
	}
	if !reflect.DeepEqual(tombs, []string{"b"}) {
		t.Errorf("acme's tombstones after the restart: %v, want [b]", tombs)
	}
	if _, err := st2.Get(ctx(t), "globex", "gone"); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("a deleted key after the restart: %v, want ErrNotFound", err)
	}
	// An ETag from before the restart still matches, and the sequence
	// goes on.
	a := before["acme"].items["a"]
	it, created, err := st2.Put(ctx(t), "acme", "a", []byte("5"), state.Cond{IfMatch: []string{a.ETag()}})
	if err != nil || created || it.Seq != before["acme"].position+1 {
		t.Errorf("If-Match with the old ETag after the restart: %+v created %v: %v, want seq %d", it, created, err, before["acme"].position+1)
	}
}

// TestReopenKeepsPendingWrite: a write ordered in the meta record but not
// stored in its item (its writer crashed) survives a restart with its
// value, and the first write after the restart completes it.
func TestReopenKeepsPendingWrite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	b := mustOpen(t, dir)
	st := state.New(b)
	first, _, err := st.Put(ctx(t), "acme", "k", []byte("before"), state.Cond{})
	if err != nil {
		t.Fatal(err)
	}
	m, mv, found, err := b.GetMeta(ctx(t), "acme")
	if err != nil || !found || m.Pending != nil {
		t.Fatalf("meta after a write: %+v %v %v", m, found, err)
	}
	p := state.Record{Key: "k", Value: []byte("ordered"), Seq: m.Seq + 1}
	if _, err := b.PutMeta(ctx(t), "acme", state.Meta{Seq: p.Seq, Pending: &p}, mv); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}

	b2 := mustOpen(t, dir)
	m2, _, found, err := b2.GetMeta(ctx(t), "acme")
	if err != nil || !found || !reflect.DeepEqual(m2, state.Meta{Seq: p.Seq, Pending: &p}) {
		t.Fatalf("meta after the restart: %+v (pending %+v) found %v: %v; want the pending write %+v", m2, m2.Pending, found, err, p)
	}
	st2 := state.New(b2)
	if got, err := st2.Get(ctx(t), "acme", "k"); err != nil || string(got.Value) != "before" {
		t.Fatalf("k after the restart: %q %v, want the stored value", got.Value, err)
	}
	if _, _, err := st2.Put(ctx(t), "acme", "other", []byte("x"), state.Cond{}); err != nil {
		t.Fatal(err)
	}
	got, err := st2.Get(ctx(t), "acme", "k")
	if err != nil || string(got.Value) != "ordered" || got.Seq != first.Seq+1 {
		t.Errorf("k after the next write: %q at %d (%v), want the pending write at %d", got.Value, got.Seq, err, first.Seq+1)
	}
	recs, _, err := st2.Changes(ctx(t), "acme", first.Seq, 0)
	if err != nil || len(recs) != 2 || recs[0].Key != "k" || recs[1].Key != "other" {
		t.Errorf("feed after the completion: %+v (%v)", recs, err)
	}
}

// TestClosedRefusesEverything: after Close every call fails with
// state.ErrClosed, in memory and on disk.
func TestClosedRefusesEverything(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		dir  string
	}{{"memory", ""}, {"disk", t.TempDir()}} {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Open(tt.dir, quiet)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := b.PutItem(ctx(t), "acme", state.Record{Key: "k", Value: []byte("v"), Seq: 1}, state.NoVersion); err != nil {
				t.Fatal(err)
			}
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}
			_, _, _, errGet := b.GetItem(ctx(t), "acme", "k")
			_, errPut := b.PutItem(ctx(t), "acme", state.Record{Key: "k2", Seq: 2}, state.NoVersion)
			_, errMeta := b.PutMeta(ctx(t), "acme", state.Meta{Seq: 2}, state.NoVersion)
			_, errScan := b.ScanKeys(ctx(t), "acme", "", "", 10)
			for name, err := range map[string]error{"get": errGet, "put": errPut, "put meta": errMeta, "scan": errScan, "ping": b.Ping(ctx(t))} {
				if !errors.Is(err, state.ErrClosed) {
					t.Errorf("%s after close: %v, want ErrClosed", name, err)
				}
			}
			if err := b.Close(); err != nil {
				t.Errorf("second close: %v", err)
			}
		})
	}
}

// TestBackendRefusesWhatTheLogCannotHold: the backend checks a record
// before it stores it, in memory as on disk, so that everything it
// appends it can read back.
func TestBackendRefusesWhatTheLogCannotHold(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		tenant string
		rec    state.Record
		meta   bool
	}{
		{name: "bad tenant", tenant: "Acme", rec: state.Record{Key: "k", Seq: 1}},
		{name: "long tenant", tenant: string(bytes.Repeat([]byte("a"), 64)), rec: state.Record{Key: "k", Seq: 1}},
		{name: "bad key", tenant: "acme", rec: state.Record{Key: "a/b", Seq: 1}},
		{name: "empty key", tenant: "acme", rec: state.Record{Seq: 1}},
		{name: "value too large", tenant: "acme", rec: state.Record{Key: "k", Value: make([]byte, state.MaxValueBytes+1), Seq: 1}},
		{name: "tombstone with a value", tenant: "acme", rec: state.Record{Key: "k", Value: []byte("v"), Seq: 1, Deleted: true}},
		{name: "pending write with a bad key", tenant: "acme", rec: state.Record{Key: "..", Seq: 1}, meta: true},
		{name: "pending write too large", tenant: "acme", rec: state.Record{Key: "k", Value: make([]byte, state.MaxValueBytes+1), Seq: 1}, meta: true},
	}
	for _, mode := range []string{"memory", "disk"} {
		b, _ := openMode(t, mode == "disk")
		for _, tt := range tests {
			t.Run(mode+"/"+tt.name, func(t *testing.T) {
				var err error
				if tt.meta {
					_, err = b.PutMeta(ctx(t), tt.tenant, state.Meta{Seq: 1, Pending: &tt.rec}, state.NoVersion)
				} else {
					_, err = b.PutItem(ctx(t), tt.tenant, tt.rec, state.NoVersion)
				}
				if !errors.Is(err, state.ErrInvalid) {
					t.Errorf("error %v, want ErrInvalid", err)
				}
			})
		}
		if st := b.Stats(); st.Tenants != 0 || st.Items != 0 || (mode == "disk" && st.LogBytes != int64(len(logHeader))) {
			t.Errorf("%s: refused writes left %+v", mode, st)
		}
	}
}
