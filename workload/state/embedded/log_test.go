package embedded

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/cellfabric/cellfabric/workload/state"
)

// rawLog is a log file holding header and then the entries.
func rawLog(header string, es ...entry) []byte {
	b := []byte(header)
	for _, e := range es {
		b = appendEntry(b, e)
	}
	return b
}

func TestRecovery(t *testing.T) {
	t.Parallel()
	a := itemEntry("acme", state.Record{Key: "a", Value: []byte("alpha"), Seq: 1})
	m := metaEntry("acme", state.Meta{Seq: 1})
	b := itemEntry("acme", state.Record{Key: "b", Value: []byte("beta"), Seq: 2})
	full := appendEntry(nil, b)
	badCRC := appendEntry(nil, b)
	badCRC[len(badCRC)-1] ^= 0xff
	badLen := appendEntry(nil, b)
	badLen[3] = 0x7f
	at := fmt.Sprintf("damaged at byte %d", len(rawLog(logHeader, a, m)))
	wantA := map[string]tenantDump{"acme": {Meta: state.Meta{Seq: 1}, HasMeta: true, Items: []state.Record{a.item}}}
	tests := []struct {
		name    string
		tail    []byte
		after   []entry
		wantErr string
	}{
		{name: "clean"},
		{name: "torn record head", tail: full[:5]},
		{name: "torn record body", tail: full[:len(full)-2]},
		{name: "last record with a bad checksum", tail: badCRC},
		{name: "zeros after the last record", tail: make([]byte, 100)},
		// A whole header with a wrong length is not what an interrupted
		// append leaves, even at the end.
		{name: "last record with a damaged length", tail: badLen, wantErr: at},
		{name: "damage in the middle", tail: badCRC, after: []entry{a}, wantErr: at},
		{name: "garbage in the middle", tail: []byte("garbage!garbage!"), after: []entry{a}, wantErr: at},
		{name: "length out of range in the middle", tail: badLen, after: []entry{a}, wantErr: at},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			content := append(rawLog(logHeader, a, m), tt.tail...)
			for _, e := range tt.after {
				content = appendEntry(content, e)
			}
			if err := os.WriteFile(logPath(dir), content, 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := Open(dir, quiet)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "move it aside") {
					t.Fatalf("open: %v, want an error with %q that says what to do", err, tt.wantErr)
				}
				// The damaged log is left as it was for the operator.
				if got, _ := os.ReadFile(logPath(dir)); !bytes.Equal(got, content) {
					t.Error("a refused log was modified")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			sameContent(t, "recovered", dump(s), wantA)
			// The torn tail is gone: a new write and a reopen keep both.
			c := state.Record{Key: "c", Value: []byte("gamma"), Seq: 2}
			if _, err := s.PutItem(ctx(t), "acme", c, state.NoVersion); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			want := dump(s)
			s2 := mustOpen(t, dir)
			sameContent(t, "after a write and a reopen", dump(s2), want)
			if len(want["acme"].Items) != 2 {
				t.Errorf("the write after recovery is missing: %+v", want)
			}
		})
	}
}

func TestRefusesForeignFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		content string
		wantErr bool
	}{
		{"not a log", "hello, world, this is a text file", true},
		{"a log of a later version", "cellfabric-kv-v4\n", true},
		{"torn header", logHeader[:6], false},
		{"torn version 3 header", logHeader[:len(logHeader)-1], false},
		{"torn version 2 header", v2Header[:len(v2Header)-1], false},
		{"a version 2 log without records", v2Header, false},
		{"torn version 1 header", v1Header[:len(v1Header)-1], false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if err := os.WriteFile(logPath(dir), []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := Open(dir, quiet)
			if (err != nil) != tt.wantErr {
				t.Fatalf("open: %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				if !strings.Contains(err.Error(), "move it aside") {
					t.Errorf("the error does not say what to do: %v", err)
				}
				if got, _ := os.ReadFile(logPath(dir)); string(got) != tt.content {
					t.Error("a refused file was modified")
				}
				return
			}
			defer s.Close()
			if got, _ := os.ReadFile(logPath(dir)); string(got) != logHeader {
				t.Errorf("log after open %q, want just the header", got)
			}
		})
	}
}

func TestNewDirectory(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "a", "b")
	b := mustOpen(t, dir)
	if got, err := os.ReadFile(logPath(dir)); err != nil || string(got) != logHeader {
		t.Errorf("new log %q (%v), want the header", got, err)
	}
	if st := b.Stats(); st.Mode != "disk" || !st.OK || st.LogBytes != int64(len(logHeader)) {
		t.Errorf("stats of a new store: %+v", st)
	}
}

// churn writes through the port until the log has been rewritten several
// times: a hot key with a 64 KiB value, and keys created and deleted (their
// tombstones stay). It returns the bytes appended in all.
func churn(t *testing.T, st state.Store, rounds int) {
	t.Helper()
	val := bytes.Repeat([]byte("v"), 64<<10)
	if _, _, err := st.Put(ctx(t), "globex", "keep", []byte("kept"), state.Cond{}); err != nil {
		t.Fatal(err)
	}
	for i := range rounds {
		val[0] = byte('a' + i%26)
		if _, _, err := st.Put(ctx(t), "acme", "hot", val, state.Cond{}); err != nil {
			t.Fatal(err)
		}
		k := fmt.Sprintf("tmp%d", i)
		if _, _, err := st.Put(ctx(t), "acme", k, []byte("x"), state.Cond{}); err != nil {
			t.Fatal(err)
		}
		if err := st.Delete(ctx(t), "acme", k, state.Cond{}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCompaction(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// A compaction that crashed before its rename leaves a temporary file;
	// opening removes it.
	if err := os.WriteFile(filepath.Join(dir, tmpFileName), []byte("half a compaction"), 0o600); err != nil {
		t.Fatal(err)
	}
	b := mustOpen(t, dir)
	if _, err := os.Stat(filepath.Join(dir, tmpFileName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("leftover temporary file not removed: %v", err)
	}
	var appended int64
	b.log.fault = func(step string) error {
		if step == "sync" {
			appended += int64(len(b.log.buf))
		}
		return nil
	}
	churn(t, state.New(shared{b}), 40)
	size := fileSize(t, logPath(dir))
	// Each round appends two 64 KiB copies of the hot value (the pending
	// write and the item): 40 rounds are over 5 MB. Compacted, the log
	// never passes CompactMinBytes by more than one round.
	if appended < 5<<20 || size > CompactMinBytes+(200<<10) || size != b.Stats().LogBytes {
		t.Errorf("log is %d bytes (the store says %d) after %d appended: not compacted", size, b.Stats().LogBytes, appended)
	}
	checkLive(t, "after churn", b)
	want := dump(b)
	if n := len(want["acme"].Items); n != 41 {
		t.Fatalf("acme holds %d items, want the hot key and 40 tombstones", n)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	// The compacted log holds everything, tombstones and meta records too.
	again := mustOpen(t, dir)
	sameContent(t, "after compaction and reopen", dump(again), want)
	checkLive(t, "after reopen", again)
}

// copyDir copies the regular files of src into a new directory: what a
// crash at this moment leaves on disk (every write before it was synced,
// or lost to the crash with no harm, as the steps are ordered).
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// TestCompactionCrash stops the world at each step of a compaction, takes
// the data directory as a crash would leave it, and opens that: it holds
// the old log or the new one, and either way the whole state.
func TestCompactionCrash(t *testing.T) {
	t.Parallel()
	tests := []struct {
		step    string
		wantTmp bool // the crash leaves the temporary file
		wantNew bool // the crash leaves the compacted log
	}{
		{"compact.create", false, false},
		{"compact.write", true, false},
		{"compact.sync", true, false},
		{"compact.rename", true, false},
		{"compact.syncdir", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.step, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			b := mustOpen(t, dir)
			var crashed string
			var want map[string]tenantDump
			var compacted int64 // the most a compacted log can be
			b.log.fault = func(step string) error {
				if step == tt.step && crashed == "" {
					// Called under the memory's read lock: read it as is.
					want = dumpLocked(b)
					compacted = b.mem.live + int64(len(logHeader))
					crashed = copyDir(t, dir)
				}
				return nil
			}
			churn(t, state.New(shared{b}), 12)
			if crashed == "" {
				t.Fatalf("no compaction reached %s", tt.step)
			}
			_, tmpErr := os.Stat(filepath.Join(crashed, tmpFileName))
			if hasTmp := tmpErr == nil; hasTmp != tt.wantTmp {
				t.Errorf("a crash at %s left a temporary file: %v, want %v", tt.step, hasTmp, tt.wantTmp)
			}
			if isNew := fileSize(t, logPath(crashed)) <= compacted; isNew != tt.wantNew {
				t.Errorf("a crash at %s left the compacted log: %v, want %v", tt.step, isNew, tt.wantNew)
			}
			after := mustOpen(t, crashed)
			sameContent(t, "after a crash at "+tt.step, dump(after), want)
			if _, err := os.Stat(filepath.Join(crashed, tmpFileName)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("opening left the temporary file: %v", err)
			}
		})
	}
}

// TestCompactionFailure: a compaction that fails before its rename leaves
// the old log in place and the store working, and is not tried again at
// the next write; one that fails after it (the directory sync) makes the
// store refuse writes, as the log's state is then unknown.
func TestCompactionFailure(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		step   string
		sticky bool
	}{
		{"compact.write", false},
		{"compact.sync", false},
		{"compact.rename", false},
		{"compact.syncdir", true},
	} {
		t.Run(tt.step, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			b := mustOpen(t, dir)
			st := state.New(shared{b})
			fails := 0
			b.log.fault = func(step string) error {
				if step == tt.step {
					fails++
					return syscall.EIO
				}
				return nil
			}
			val := bytes.Repeat([]byte("v"), 64<<10)
			var err error
			for i := 0; i < 40 && fails == 0 && err == nil; i++ {
				_, _, err = st.Put(ctx(t), "acme", "hot", val, state.Cond{})
			}
			if fails != 1 {
				t.Fatalf("the compaction failed %d times (last put: %v)", fails, err)
			}
			if _, statErr := os.Stat(filepath.Join(dir, tmpFileName)); !errors.Is(statErr, os.ErrNotExist) {
				t.Errorf("a failed compaction left its temporary file: %v", statErr)
			}
			_, _, err = st.Put(ctx(t), "acme", "next", []byte("x"), state.Cond{})
			if tt.sticky {
				if !errors.Is(err, state.ErrUnavailable) || !errors.Is(b.Ping(ctx(t)), state.ErrUnavailable) {
					t.Errorf("after a failed directory sync: put %v, ping %v; want both unavailable", err, b.Ping(ctx(t)))
				}
			} else {
				if err != nil || b.Ping(ctx(t)) != nil {
					t.Errorf("after a failed compaction: put %v, ping %v; want both fine", err, b.Ping(ctx(t)))
				}
				if fails != 1 {
					t.Errorf("the compaction was tried again at once (%d failures)", fails)
				}
				if size := fileSize(t, logPath(dir)); size < CompactMinBytes {
					t.Errorf("the log is %d bytes: it was replaced", size)
				}
			}
			want := dump(b)
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}
			sameContent(t, "after the failed compaction and a reopen", dump(mustOpen(t, dir)), want)
		})
	}
}

// TestWriteFailureIsSticky: after an append or an fsync fails, the write
// is not applied, every later write fails with state.ErrUnavailable (even
// once the disk is fine again, as the file's state is unknown), Ping says
// so, and reads of acknowledged data go on; a restart finds every
// acknowledged write. The fault hits a meta record or an item first.
func TestWriteFailureIsSticky(t *testing.T) {
	t.Parallel()
	faults := []struct {
		name    string
		breakIt func(w *wal) (heal func())
	}{
		{"append fails", func(w *wal) func() {
			// Pull the file out from under the log: the next write fails.
			w.mu.Lock()
			w.file.Close()
			w.mu.Unlock()
			return func() {}
		}},
		{"fsync fails", func(w *wal) func() {
			w.fault = func(step string) error {
				if step == "sync" {
					return syscall.EIO
				}
				return nil
			}
			return func() { w.fault = nil }
		}},
	}
	for _, fault := range faults {
		for _, first := range []string{"meta", "item"} {
			t.Run(fault.name+"/"+first, func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				b := mustOpen(t, dir)
				st := state.New(shared{b})
				acked, _, err := st.Put(ctx(t), "acme", "a", []byte("1"), state.Cond{})
				if err != nil {
					t.Fatal(err)
				}
				meta, mv, _, _ := b.GetMeta(ctx(t), "acme")
				heal := fault.breakIt(b.log)
				if first == "meta" {
					p := state.Record{Key: "b", Value: []byte("2"), Seq: meta.Seq + 1}
					if _, err := b.PutMeta(ctx(t), "acme", state.Meta{Seq: p.Seq, Pending: &p}, mv); !errors.Is(err, state.ErrUnavailable) {
						t.Fatalf("meta write on a failed disk: %v, want ErrUnavailable", err)
					}
				} else {
					if _, err := b.PutItem(ctx(t), "acme", state.Record{Key: "b", Value: []byte("2"), Seq: meta.Seq + 1}, state.NoVersion); !errors.Is(err, state.ErrUnavailable) {
						t.Fatalf("item write on a failed disk: %v, want ErrUnavailable", err)
					}
				}
				// The failed write was not applied.
				if m, _, _, _ := b.GetMeta(ctx(t), "acme"); !reflect.DeepEqual(m, meta) {
					t.Errorf("meta after the failed write %+v, want %+v", m, meta)
				}
				if _, _, found, _ := b.GetItem(ctx(t), "acme", "b"); found {
					t.Error("the failed item write is visible")
				}
				heal()
				if _, _, err := st.Put(ctx(t), "acme", "c", []byte("3"), state.Cond{}); !errors.Is(err, state.ErrUnavailable) || !strings.Contains(err.Error(), "restart") {
					t.Errorf("put after the failure: %v, want ErrUnavailable that says to restart", err)
				}
				// Even a write that would lose its race says the store failed.
				if _, err := b.PutItem(ctx(t), "acme", state.Record{Key: "a", Value: []byte("x"), Seq: 9}, "no-such-version"); !errors.Is(err, state.ErrUnavailable) {
					t.Errorf("conditional put after the failure: %v, want ErrUnavailable", err)
				}
				if err := b.Ping(ctx(t)); !errors.Is(err, state.ErrUnavailable) || !strings.Contains(err.Error(), "restart") {
					t.Errorf("ping after the failure: %v", err)
				}
				if err := st.Ping(ctx(t)); !errors.Is(err, state.ErrUnavailable) {
					t.Errorf("the port's ping after the failure: %v", err)
				}
				if s := b.Stats(); s.OK || !strings.Contains(s.Error, "restart") {
					t.Errorf("stats after the failure: %+v", s)
				}
				if got, err := st.Get(ctx(t), "acme", "a"); err != nil || !reflect.DeepEqual(got, acked) {
					t.Errorf("read after the failure: %+v %v, want %+v", got, err, acked)
				}
				if err := b.Close(); err != nil {
					t.Errorf("close after the failure: %v", err)
				}
				st2 := state.New(mustOpen(t, dir))
				if got, err := st2.Get(ctx(t), "acme", "a"); err != nil || !reflect.DeepEqual(got, acked) {
					t.Errorf("after a restart: %+v %v, want %+v", got, err, acked)
				}
				if _, _, err := st2.Put(ctx(t), "acme", "d", []byte("4"), state.Cond{}); err != nil {
					t.Errorf("put after a restart: %v", err)
				}
			})
		}
	}
}
