package embedded

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/workload/state"
)

// TestOpensAVersion2Log opens testdata/v2.log, a log the version 2 store
// wrote (before fencing existed), kept as written: every record reads as
// it did, only the header's digit changes, and a fence and a lock written
// afterwards survive a reopen.
func TestOpensAVersion2Log(t *testing.T) {
	t.Parallel()
	v2, err := os.ReadFile(filepath.Join("testdata", "v2.log"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(v2, []byte(v2Header)) {
		t.Fatalf("testdata/v2.log starts %q, not the version 2 header", v2[:len(v2Header)])
	}
	dir := t.TempDir()
	if err := os.WriteFile(logPath(dir), v2, 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := Open(dir, quiet)
	if err != nil {
		t.Fatalf("opening a version 2 log: %v", err)
	}
	got, _ := os.ReadFile(logPath(dir))
	if !bytes.HasPrefix(got, []byte(logHeader)) || !bytes.Equal(got[len(logHeader):], v2[len(v2Header):]) {
		t.Errorf("after opening, the log is not the version 2 records under the version 3 header:\n%q", got)
	}
	st := state.New(b)
	want := map[string]string{"a": "alpha", "c": "gamma"}
	for k, v := range want {
		if it, err := st.Get(ctx(t), "acme", k); err != nil || string(it.Value) != v {
			t.Errorf("acme/%s: %q (%v), want %q", k, it.Value, err, v)
		}
	}
	if _, err := st.Get(ctx(t), "acme", "b"); err == nil {
		t.Error("acme/b was deleted in the version 2 log, and reads back")
	}
	if p, err := st.Position(ctx(t), "acme"); err != nil || p != 4 {
		t.Errorf("acme's position: %d (%v), want 4", p, err)
	}
	f := state.FenceState{Fence: 3, FenceAll: true}
	if _, err := st.SetFence(ctx(t), "acme", f); err != nil {
		t.Fatal(err)
	}
	lock := state.MoveLock{ID: "move-1", Owner: "test", Target: "azure-1", Step: "copy", Expires: time.Now().Add(time.Hour)}
	if _, err := st.Lock(ctx(t), "acme", lock); err != nil {
		t.Fatal(err)
	}
	before := dump(b)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	again := mustOpen(t, dir)
	sameContent(t, "a fenced version 2 store after a reopen", dump(again), before)
	m, err := state.New(again).Meta(ctx(t), "acme")
	lock.Expires = lock.Expires.UTC()
	if err != nil || m.FenceState != f || m.Lock == nil || !reflect.DeepEqual(*m.Lock, lock) || m.Position != 4 {
		t.Errorf("acme's meta after a reopen: %+v (lock %+v, %v), want %+v, lock %+v, position 4", m, m.Lock, err, f, lock)
	}
}

// TestFencedMetaRecords: a meta record with a fence or a lock is written
// as a fenced record and reads back the same; one without is the version
// 2 record; a fenced record that fences nothing, or has unknown flags, is
// damage.
func TestFencedMetaRecords(t *testing.T) {
	t.Parallel()
	p := state.Record{Key: "k", Value: []byte("pending"), Seq: 3}
	lock := &state.MoveLock{ID: "m", Owner: "o", Target: "gcp-1", Step: "fence", Expires: time.Unix(2e9, 123).UTC()}
	tests := []struct {
		name     string
		meta     state.Meta
		wantKind byte
	}{
		{"no fence", state.Meta{Seq: 3, Pending: &p}, kindMeta},
		{"fence", state.Meta{Seq: 3, FenceState: state.FenceState{Fence: 5}}, kindFenced},
		{"fence all with a pending write", state.Meta{Seq: 3, Pending: &p, FenceState: state.FenceState{Fence: 5, FenceAll: true}}, kindFenced},
		{"moved", state.Meta{Seq: 3, FenceState: state.FenceState{Fence: 6, Moved: true, MovedTo: "azure-1"}}, kindFenced},
		{"lock only", state.Meta{Seq: 0, Lock: lock}, kindFenced},
		{"everything", state.Meta{Seq: 9, Pending: &p, FenceState: state.FenceState{Fence: 6, FenceAll: true, Moved: true, MovedTo: "azure-1"}, Lock: lock}, kindFenced},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := appendEntry(nil, metaEntry("acme", tt.meta))
			if b[recordHead] != tt.wantKind {
				t.Errorf("written as kind %d, want %d", b[recordHead], tt.wantKind)
			}
			e, n, err := decodeEntry(b)
			if err != nil || n != len(b) || int64(n) != metaEntry("acme", tt.meta).size() {
				t.Fatalf("decode: %v (read %d of %d bytes, size %d)", err, n, len(b), metaEntry("acme", tt.meta).size())
			}
			if !reflect.DeepEqual(e, metaEntry("acme", tt.meta)) {
				t.Errorf("read back %+v, want %+v", e.meta, tt.meta)
			}
		})
	}
	// Damage: rewrite the payload and its checksum.
	damage := []struct {
		name string
		meta state.Meta
		edit func(payload []byte)
	}{
		{"fences nothing", state.Meta{Seq: 1, FenceState: state.FenceState{Fence: 1}}, func(p []byte) { p[2+4+8] = 0 }},
		{"unknown flag", state.Meta{Seq: 1, FenceState: state.FenceState{Fence: 1}}, func(p []byte) { p[2+4+8+8] = 0x80 }},
		{"negative fence", state.Meta{Seq: 1, FenceState: state.FenceState{Fence: 1}}, func(p []byte) { p[2+4+8+7] = 0x80 }},
	}
	for _, tt := range damage {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := appendEntry(nil, metaEntry("acme", tt.meta))
			tt.edit(b[recordHead:])
			b = reframe(b)
			if e, _, err := decodeEntry(b); err == nil {
				t.Errorf("decoded a damaged record: %+v", e.meta)
			}
		})
	}
}

// reframe recomputes the checksum of the record b holds after an edit.
func reframe(b []byte) []byte {
	binary.LittleEndian.PutUint32(b[4:], crc32.Checksum(b[recordHead:], castagnoli))
	return b
}
