package embedded

import (
	"context"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/cellfabric/cellfabric/workload/state"
)

var quiet = slog.New(slog.DiscardHandler)

func ctx(t *testing.T) context.Context { return t.Context() }

// mustOpen opens a durable backend over dir, closed when the test ends.
func mustOpen(t *testing.T, dir string) *Backend {
	t.Helper()
	b, err := Open(dir, quiet)
	if err != nil {
		t.Fatalf("open %s: %v", dir, err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// openMode opens a backend in memory, or over a new data directory when
// durable, closed when the test ends; it returns the directory too ("" in
// memory).
func openMode(t testing.TB, durable bool) (*Backend, string) {
	t.Helper()
	dir := ""
	if durable {
		dir = t.TempDir()
	}
	b, err := Open(dir, quiet)
	if err != nil {
		t.Fatalf("open %s: %v", dir, err)
	}
	t.Cleanup(func() { b.Close() })
	return b, dir
}

// shared is one backend handed to the conformance suite as every "client"
// it opens: the suite closes each client, the test closes the backend.
type shared struct{ *Backend }

func (shared) Close() error { return nil }

// tenantDump is a tenant's whole partition: its meta record and its items
// in key order.
type tenantDump struct {
	Meta    state.Meta
	HasMeta bool
	Items   []state.Record
}

// dump returns the backend's whole content, versions left out (they are
// only valid within a process).
func dump(b *Backend) map[string]tenantDump {
	b.mem.mu.RLock()
	defer b.mem.mu.RUnlock()
	return dumpLocked(b)
}

// dumpLocked is dump for a caller that holds the memory's lock.
func dumpLocked(b *Backend) map[string]tenantDump {
	out := map[string]tenantDump{}
	for name, t := range b.mem.tenants {
		d := tenantDump{Meta: cloneMeta(t.meta), HasMeta: t.metaVer != 0}
		for _, k := range t.byKey {
			d.Items = append(d.Items, cloneRec(t.items[k].rec))
		}
		out[name] = d
	}
	return out
}

// sameContent fails the test when two dumps differ, naming the tenants.
func sameContent(t *testing.T, what string, got, want map[string]tenantDump) {
	t.Helper()
	if reflect.DeepEqual(got, want) {
		return
	}
	for name := range maps.Keys(want) {
		if !reflect.DeepEqual(got[name], want[name]) {
			t.Errorf("%s: tenant %s differs:\n got %+v\nwant %+v", what, name, got[name], want[name])
		}
	}
	for name := range maps.Keys(got) {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: tenant %s is new", what, name)
		}
	}
}

// logPath is the log in dir.
func logPath(dir string) string { return filepath.Join(dir, logFileName) }

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// checkLive fails the test unless the memory's count of live log bytes,
// which decides when the log is compacted, is what its records take.
func checkLive(t *testing.T, what string, b *Backend) {
	t.Helper()
	b.mem.mu.RLock()
	defer b.mem.mu.RUnlock()
	var sum int64
	b.mem.each(func(e entry) error { sum += e.size(); return nil })
	if b.mem.live != sum {
		t.Errorf("%s: the store counts %d live log bytes, its records take %d", what, b.mem.live, sum)
	}
}
