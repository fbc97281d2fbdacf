package directory

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// contents lists every live key and value of a KV with ListValues.
func contents(t *testing.T, kv ValueLister) []string {
	t.Helper()
	kvs, _, err := kv.ListValues(context.Background(), "", "", 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(kvs))
	for i, e := range kvs {
		out[i] = e.Key + "=" + string(e.Value)
	}
	return out
}

func TestFileReopens(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	c := newClock()
	f := openFile(t, dir, c.Now)
	for i := range 50 {
		if err := f.Put(ctx, fmt.Sprintf("t/%02d", i), []byte(fmt.Sprintf(`{"n":%d}`, i)), 0); err != nil {
			t.Fatal(err)
		}
	}
	_ = f.Delete(ctx, "t/07")
	_ = f.Put(ctx, "t/08", []byte("rewritten"), 0)
	_ = f.Put(ctx, "j/soon-gone", []byte("x"), 60)
	want := contents(t, f)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	g := openFile(t, dir, c.Now)
	defer g.Close()
	if got := contents(t, g); !slices.Equal(got, want) {
		t.Fatalf("after reopening: %d keys, want %d\n%v", len(got), len(want), got)
	}
	// The TTL survives too.
	c.Advance(61e9)
	h := openFile(t, dir, c.Now)
	defer h.Close()
	if _, ok, _ := h.Get(ctx, "j/soon-gone"); ok {
		t.Error("a key outlived its TTL across a reopen")
	}
}

func TestFileDropsATornLastLine(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	f := openFile(t, dir, nil)
	_ = f.Put(ctx, "t/a", []byte("1"), 0)
	_ = f.Put(ctx, "t/b", []byte("2"), 0)
	f.Close()
	logPath := filepath.Join(dir, FileLog)
	data, _ := os.ReadFile(logPath)
	// A crash in the middle of the third write.
	torn := append(bytes.Clone(data), []byte(`{"k":"t/c","v":"Mw`)...)
	if err := os.WriteFile(logPath, torn, 0o600); err != nil {
		t.Fatal(err)
	}
	g, err := OpenFile(dir, nil)
	if err != nil {
		t.Fatalf("a torn last line: %v", err)
	}
	if got := contents(t, g); !slices.Equal(got, []string{"t/a=1", "t/b=2"}) {
		t.Errorf("contents %v", got)
	}
	// The torn bytes are gone, so the next write starts a clean line.
	_ = g.Put(ctx, "t/d", []byte("4"), 0)
	g.Close()
	h := openFile(t, dir, nil)
	defer h.Close()
	if got := contents(t, h); !slices.Equal(got, []string{"t/a=1", "t/b=2", "t/d=4"}) {
		t.Errorf("after a write past the torn line: %v", got)
	}
}

func TestFileRefusesADamagedMiddleLine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	log := "{\"k\":\"t/a\",\"v\":\"MQ==\"}\nGARBAGE\n{\"k\":\"t/b\",\"v\":\"Mg==\"}\n"
	if err := os.WriteFile(filepath.Join(dir, FileLog), []byte(log), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := OpenFile(dir, nil)
	if err == nil || !strings.Contains(err.Error(), "line 2 is not a record") || !strings.Contains(err.Error(), "move it away") {
		t.Fatalf("OpenFile = %v, want line 2 reported with what to do", err)
	}
}

func TestFileCompacts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	f := openFile(t, dir, nil)
	// Write until the log outgrows compactMin once.
	val := bytes.Repeat([]byte("v"), 4096)
	i := 0
	for ; f.snapBytes == 0; i++ {
		if err := f.Put(ctx, fmt.Sprintf("t/%03d", i%300), append(val, byte('0'+i%10)), 0); err != nil {
			t.Fatal(err)
		}
	}
	if f.logBytes != 0 {
		t.Fatalf("after compacting, the log holds %d bytes", f.logBytes)
	}
	want := contents(t, f)
	_ = f.Put(ctx, "t/after", []byte("x"), 0)
	want = append(want, "t/after=x")
	slices.Sort(want)
	f.Close()
	if len(want) != 301 {
		t.Fatalf("%d keys", len(want))
	}
	g := openFile(t, dir, nil)
	if got := contents(t, g); !slices.Equal(got, want) {
		t.Fatalf("after compaction and reopening: %d keys, want %d", len(got), len(want))
	}
	g.Close()
}

// A crash after the snapshot's rename and before the log is emptied
// replays writes the snapshot already holds: the same state.
func TestFileReplayOverItsOwnSnapshot(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	f := openFile(t, dir, nil)
	_ = f.Put(ctx, "t/a", []byte("1"), 0)
	_ = f.Put(ctx, "t/b", []byte("2"), 0)
	_ = f.Delete(ctx, "t/a")
	_ = f.Put(ctx, "t/a", []byte("3"), 0)
	_ = f.Put(ctx, "t/c", []byte("4"), 0)
	_ = f.Delete(ctx, "t/c")
	logPath := filepath.Join(dir, FileLog)
	log, _ := os.ReadFile(logPath)
	f.mu.Lock()
	err := f.compact()
	f.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.WriteFile(logPath, log, 0o600); err != nil { // the truncation never happened
		t.Fatal(err)
	}
	g := openFile(t, dir, nil)
	defer g.Close()
	if got := contents(t, g); !slices.Equal(got, []string{"t/a=3", "t/b=2"}) {
		t.Errorf("contents %v", got)
	}
}

// openFile opens the File store in dir with clock now (nil: time.Now),
// failing the test when it does not open.
func openFile(t *testing.T, dir string, now func() time.Time) *File {
	t.Helper()
	f, err := OpenFile(dir, now)
	if err != nil {
		t.Fatalf("opening the store in %s: %v", dir, err)
	}
	return f
}
