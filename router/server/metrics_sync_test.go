package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/source"
)

// TestRegistryLastSyncMetric checks the gauge the registry-stale alert of
// `cellfabric observe` reads: with a watched source, the Unix time of the
// watcher's last sync; a router without a watcher (an installed registry)
// has nothing to be stale against and reports no such gauge.
func TestRegistryLastSyncMetric(t *testing.T) {
	t.Parallel()
	const name = "cellfabric_router_registry_last_sync_timestamp_seconds"
	a := newTestCell(t, "cell-a", "aws")
	doc, err := json.Marshal(registry(4, []router.Cell{a.cell()}, router.Tenant{ID: "acme", Cell: "cell-a"}))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(doc) }))
	defer srv.Close()
	src, err := source.NewHTTP(srv.URL, srv.Client())
	if err != nil {
		t.Fatal(err)
	}

	t.Run("watched source", func(t *testing.T) {
		var w *source.Watcher
		h := startRouter(t, nil, func(c *Config) {
			w = source.NewWatcher(c.Store, src, source.Options{})
			if err := w.Load(context.Background()); err != nil {
				t.Fatal(err)
			}
			c.Watcher = w
		})
		fams, _ := scrape(t, h, nil)
		f, ok := fams[name]
		if !ok {
			t.Fatalf("%s missing", name)
		}
		if f.GetType() != dto.MetricType_GAUGE || f.GetHelp() == "" || len(f.GetMetric()) != 1 || len(f.GetMetric()[0].GetLabel()) != 0 {
			t.Fatalf("want one unlabelled gauge with a help text, got %v", f)
		}
		want := float64(w.Stats().LastSync.UnixNano()) / 1e9
		if got := f.GetMetric()[0].GetGauge().GetValue(); got != want || got <= 0 {
			t.Fatalf("%s = %v, want the watcher's last sync %v", name, got, want)
		}
	})
	t.Run("installed registry", func(t *testing.T) {
		h := startRouter(t, registry(1, []router.Cell{a.cell()}), nil)
		fams, _ := scrape(t, h, nil)
		if _, ok := fams[name]; ok {
			t.Fatalf("%s reported without a watched source", name)
		}
	})
}
