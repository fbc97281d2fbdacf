package source

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/internal/testkit"
	"github.com/cellfabric/cellfabric/router"
)

func doc(t *testing.T, epoch int64, cell string) []byte {
	t.Helper()
	reg := &router.Registry{
		Version: router.SchemaVersion, Epoch: epoch,
		Cells:   []router.Cell{{ID: "cell-a", Cloud: "aws", Region: "r", Endpoint: "http://127.0.0.1:1", Weight: 100}, {ID: "cell-b", Cloud: "gcp", Region: "r", Endpoint: "http://127.0.0.1:2", Weight: 100}},
		Tenants: []router.Tenant{{ID: "acme", Cell: cell}},
	}
	b, err := json.Marshal(reg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writeAtomic replaces path the recommended way.
func writeAtomic(t *testing.T, path string, data []byte) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func waitEpoch(t *testing.T, s *router.Store, epoch int64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for s.Snapshot() == nil || s.Snapshot().Epoch() != epoch {
		if time.Now().After(deadline) {
			got := int64(0)
			if s.Snapshot() != nil {
				got = s.Snapshot().Epoch()
			}
			t.Fatalf("timed out waiting for epoch %d (serving %d)", epoch, got)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func primary(s *router.Store) string {
	d := s.Snapshot().Decide(router.Request{Method: "GET", Tenant: "acme"}, nil)
	return d.Cell(0).ID
}

// syncBuffer collects the watcher's logs while it runs.
type syncBuffer = testkit.Buffer

func TestFileSource(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "registry.json")
	writeAtomic(t, path, doc(t, 1, "cell-a"))
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	store := router.NewStore(logger)
	w := NewWatcher(store, NewFile(path), Options{Interval: 10 * time.Millisecond, Logger: logger})
	if err := w.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); <-w.Done() }()
	w.Start(ctx)

	writeAtomic(t, path, doc(t, 2, "cell-b"))
	waitEpoch(t, store, 2)
	if primary(store) != "cell-b" {
		t.Fatal("new registry not in use")
	}
	// Bad updates: each is refused, counted, and epoch 2 keeps serving.
	bad := [][]byte{
		doc(t, 3, "cell-a")[:50],             // truncated
		doc(t, 1, "cell-a"),                  // older epoch
		doc(t, 4, "missing"),                 // unknown cell
		[]byte(`{"version":1,"epoch":5,"x"`), // garbage
	}
	for i, b := range bad {
		before := store.Stats()
		writeAtomic(t, path, b)
		deadline := time.Now().Add(5 * time.Second)
		for refused(store.Stats()) == refused(before) {
			if time.Now().After(deadline) {
				t.Fatalf("bad update %d not refused", i)
			}
			time.Sleep(5 * time.Millisecond)
		}
		if store.Snapshot().Epoch() != 2 || primary(store) != "cell-b" {
			t.Fatalf("bad update %d replaced the good registry", i)
		}
	}
	st := store.Stats()
	if st.Refused[router.RefusedParse] != 2 || st.Refused[router.RefusedStale] != 1 || st.Refused[router.RefusedInvalid] != 1 {
		t.Errorf("refusals %v", st.Refused)
	}
	// The file disappears: fetch errors are counted, the registry stays.
	os.Remove(path)
	deadline := time.Now().Add(5 * time.Second)
	for w.Stats().FetchErrors == 0 {
		if time.Now().After(deadline) {
			t.Fatal("missing file not counted")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if store.Snapshot().Epoch() != 2 {
		t.Fatal("lost the registry when the file went away")
	}
	writeAtomic(t, path, doc(t, 6, "cell-a"))
	waitEpoch(t, store, 6)
	out := logs.String()
	if !strings.Contains(out, "source=file:"+path) || !strings.Contains(out, "registry source unavailable") || !strings.Contains(out, "epoch=2") {
		t.Errorf("logs lack source/epoch keys:\n%s", out)
	}
}

func refused(s router.StoreStats) uint64 {
	var n uint64
	for _, v := range s.Refused {
		n += v
	}
	return n
}

func TestFileFetchChangeDetection(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "r.json")
	writeAtomic(t, path, doc(t, 1, "cell-a"))
	f := NewFile(path)
	ctx := context.Background()
	if _, changed, err := f.Fetch(ctx, false); err != nil || !changed {
		t.Fatalf("first fetch: changed %v err %v", changed, err)
	}
	if _, changed, _ := f.Fetch(ctx, false); changed {
		t.Error("unchanged file reported changed")
	}
	// Same content, touched: the hash says unchanged.
	now := time.Now().Add(time.Minute)
	os.Chtimes(path, now, now)
	if _, changed, _ := f.Fetch(ctx, false); changed {
		t.Error("touched but identical file reported changed")
	}
	// Same size, same mtime, other content: only a forced read sees it.
	other := doc(t, 1, "cell-b")
	os.WriteFile(path, other, 0o600)
	os.Chtimes(path, now, now)
	if _, changed, _ := f.Fetch(ctx, false); changed {
		t.Error("expected the cheap check to miss a same-size same-mtime change")
	}
	if data, changed, _ := f.Fetch(ctx, true); !changed || !bytes.Equal(data, other) {
		t.Error("forced fetch did not return the new content")
	}
	f.limit = 10
	if _, _, err := f.Fetch(ctx, true); !errors.Is(err, router.ErrTooLarge) {
		t.Errorf("oversize file: %v", err)
	}
}

func TestHTTPSource(t *testing.T) {
	t.Parallel()
	var cur atomic.Value
	cur.Store(doc(t, 1, "cell-a"))
	var notModified, failing atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() == 1 {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		body := cur.Load().([]byte)
		etag := `"` + string(rune('a'+len(body)%26)) + time.Now().Format("") + `-` + itoa(len(body)) + `"`
		if r.Header.Get("If-None-Match") == etag {
			notModified.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Write(body)
	}))
	defer srv.Close()
	src, err := NewHTTP(srv.URL+"/registry.json", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	store := router.NewStore(nil)
	w := NewWatcher(store, src, Options{Interval: 10 * time.Millisecond})
	if err := w.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); <-w.Done() }()
	w.Start(ctx)
	deadline := time.Now().Add(5 * time.Second)
	for notModified.Load() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("polls do not use If-None-Match")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cur.Store(doc(t, 22, "cell-b")) // a different length, so a different ETag
	waitEpoch(t, store, 22)
	failing.Store(1)
	deadline = time.Now().Add(5 * time.Second)
	for w.Stats().FetchErrors == 0 {
		if time.Now().After(deadline) {
			t.Fatal("server errors not counted")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if store.Snapshot().Epoch() != 22 {
		t.Error("lost the registry while the server fails")
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestLastKnownGood(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "registry.json")
	lkg := filepath.Join(dir, "lkg.json")
	writeAtomic(t, path, doc(t, 7, "cell-b"))
	// First run: the source works; the copy is written.
	s1 := router.NewStore(nil)
	if err := NewWatcher(s1, NewFile(path), Options{LastKnownGood: lkg}).Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	saved, err := os.ReadFile(lkg)
	if err != nil || !bytes.Equal(saved, doc(t, 7, "cell-b")) {
		t.Fatalf("last-known-good copy not written: %v", err)
	}
	// Restart while the source is down (here: holds garbage, then is gone).
	for _, breakIt := range []func(){
		func() { writeAtomic(t, path, []byte("{")) },
		func() { os.Remove(path) },
	} {
		breakIt()
		s2 := router.NewStore(nil)
		w := NewWatcher(s2, NewFile(path), Options{LastKnownGood: lkg})
		if err := w.Load(context.Background()); err != nil {
			t.Fatalf("start from the copy: %v", err)
		}
		if s2.Snapshot().Epoch() != 7 || primary(s2) != "cell-b" || !w.Stats().LastKnownGoodLoaded {
			t.Fatal("not serving the last-known-good registry")
		}
	}
	// No source and no copy: a clear error.
	s3 := router.NewStore(nil)
	err = NewWatcher(s3, NewFile(filepath.Join(dir, "nope.json")), Options{LastKnownGood: filepath.Join(dir, "none.json")}).Load(context.Background())
	if err == nil || !strings.Contains(err.Error(), "last-known-good") {
		t.Fatalf("err = %v", err)
	}
	if err := NewWatcher(s3, NewFile(filepath.Join(dir, "nope.json")), Options{}).Load(context.Background()); err == nil {
		t.Fatal("load without source succeeded")
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, loc string
		wantName  string
		wantErr   bool
	}{
		{name: "file", loc: "/etc/registry.json", wantName: "file:/etc/registry.json"},
		{name: "url", loc: "https://reg.example.com/r.json", wantName: "https://reg.example.com/r.json"},
		{name: "url with credentials", loc: "https://user:secret@reg.example.com/r.json", wantName: "https://user:xxxxx@reg.example.com/r.json"},
		{name: "empty", loc: "", wantErr: true},
		{name: "url without host", loc: "http://", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := New(tt.loc, nil)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if err == nil && s.Name() != tt.wantName {
				t.Errorf("name %q, want %q", s.Name(), tt.wantName)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("error leaks credentials: %v", err)
			}
		})
	}
}
