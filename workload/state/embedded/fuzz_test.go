package embedded

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/workload/state"
)

// FuzzDecodeEntry: any bytes decode to a record checkEntry accepts or to
// an error, never a panic, and a decoded record encodes back to the same
// bytes.
func FuzzDecodeEntry(f *testing.F) {
	p := state.Record{Key: "k", Value: []byte("pending"), Seq: 3}
	f.Add(appendEntry(nil, itemEntry("acme", state.Record{Key: "a", Value: []byte("v"), Seq: 1})))
	f.Add(appendEntry(nil, itemEntry("globex", state.Record{Key: "user:1", Seq: 2, Deleted: true})))
	f.Add(appendEntry(nil, metaEntry("acme", state.Meta{Seq: 3, Pending: &p})))
	f.Add(appendEntry(nil, metaEntry("acme", state.Meta{Seq: 3})))
	f.Add(appendEntry(nil, metaEntry("acme", state.Meta{Seq: 3, Pending: &p, FenceState: state.FenceState{Fence: 7, FenceAll: true}})))
	f.Add(appendEntry(nil, metaEntry("acme", state.Meta{Seq: 3, FenceState: state.FenceState{Fence: 9, Moved: true, MovedTo: "azure-1"},
		Lock: &state.MoveLock{ID: "m1", Owner: "host:1", Target: "azure-1", Step: "copy", Expires: time.Unix(1e9, 5).UTC()}})))
	f.Add([]byte{0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, n, err := decodeEntry(b)
		if err != nil {
			return
		}
		if err := checkEntry(e); err != nil {
			t.Fatalf("decoded a record the log refuses: %+v: %v", e, err)
		}
		if got := appendEntry(nil, e); !bytes.Equal(got, b[:n]) || e.size() != int64(n) {
			t.Fatalf("re-encoding differs (size %d, read %d):\n%x\n%x", e.size(), n, got, b[:n])
		}
	})
}

// FuzzReplay: opening a store over any log content either fails or yields
// a store whose every record is one the log accepts; never a panic.
func FuzzReplay(f *testing.F) {
	good := rawLog(logHeader, itemEntry("acme", state.Record{Key: "a", Value: []byte("v"), Seq: 1}), metaEntry("acme", state.Meta{Seq: 1}))
	f.Add(good)
	f.Add(append(good, 1, 2, 3))
	f.Add([]byte(logHeader[:4]))
	f.Add([]byte("not a log"))
	f.Add(append([]byte(v1Header), v1Record(v1OpPut, "acme", "a", []byte("v"))...))
	f.Fuzz(func(t *testing.T, content []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(logPath(dir), content, 0o600); err != nil {
			t.Fatal(err)
		}
		b, err := Open(dir, quiet)
		if err != nil {
			return
		}
		defer b.Close()
		b.mem.mu.RLock()
		defer b.mem.mu.RUnlock()
		if err := b.mem.each(checkEntry); err != nil {
			t.Fatalf("replayed a record the log refuses: %v", err)
		}
	})
}
