package source

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/router"
)

// TestLastSync follows Stats.LastSync through the ways a poll can end: it
// moves only when the read succeeded and the router serves the document
// the source holds (accepted, or unchanged since it was), never on a
// failed read or while the source holds a document the store refused.
// This is what the registry-stale alert of `cellfabric observe` reads.
func TestLastSync(t *testing.T) {
	t.Parallel()
	// body is what the server answers: a document, "" for 304 Not
	// Modified, "500" for a server error.
	var body atomic.Value
	body.Store(string(doc(t, 1, "cell-a")))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch b := body.Load().(string); b {
		case "":
			w.WriteHeader(http.StatusNotModified)
		case "500":
			http.Error(w, "boom", http.StatusInternalServerError)
		default:
			w.Header().Set("ETag", `"v"`)
			_, _ = w.Write([]byte(b))
		}
	}))
	defer srv.Close()
	src, err := NewHTTP(srv.URL+"/registry.json", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	store := router.NewStore(nil)
	w := NewWatcher(store, src, Options{})
	clock := time.Unix(1_700_000_000, 0)
	w.now = func() time.Time { return clock }
	if !w.Stats().LastSync.IsZero() {
		t.Fatalf("LastSync before any read = %v, want zero", w.Stats().LastSync)
	}
	if err := w.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name   string
		serve  string
		synced bool // whether LastSync moves to this step's clock
	}{
		{name: "unchanged (304)", serve: "", synced: true},
		{name: "source fails", serve: "500", synced: false},
		{name: "source holds a bad document", serve: "{", synced: false},
		{name: "the bad document, unchanged", serve: "", synced: false},
		{name: "the bad document, served again", serve: "{", synced: false},
		{name: "a good newer document", serve: string(doc(t, 2, "cell-b")), synced: true},
		{name: "a document the store holds already", serve: string(doc(t, 2, "cell-b")), synced: true},
		{name: "an older document (refused as stale)", serve: string(doc(t, 1, "cell-a")), synced: false},
	}
	want := clock
	if got := w.Stats().LastSync; !got.Equal(want) {
		t.Fatalf("after the first load: LastSync = %v, want %v", got, want)
	}
	for _, s := range steps {
		clock = clock.Add(time.Minute)
		body.Store(s.serve)
		_ = w.poll(context.Background(), readIfStatChanged, false)
		if s.synced {
			want = clock
		}
		if got := w.Stats().LastSync; !got.Equal(want) {
			t.Fatalf("%s: LastSync = %v, want %v", s.name, got, want)
		}
	}
}
