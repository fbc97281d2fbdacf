package server

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
)

func TestAdminAPI(t *testing.T) {
	t.Parallel()
	a := newTestCell(t, "cell-a", "aws")
	b := newTestCell(t, "cell-b", "gcp")
	reg := registry(9, []router.Cell{a.cell(), b.cell()}, router.Tenant{ID: "acme", Cell: "cell-a", Failover: []string{"cell-b"}})
	h := startRouter(t, reg, nil)

	if code, body := h.get(t, h.admin+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("healthz %d %q", code, body)
	}
	if code, _ := h.get(t, h.admin+"/readyz"); code != 200 {
		t.Errorf("readyz %d with a registry", code)
	}
	code, body := h.get(t, h.admin+"/admin/registry")
	var got router.Registry
	if code != 200 || json.Unmarshal([]byte(body), &got) != nil || got.Epoch != 9 || len(got.Tenants) != 1 {
		t.Errorf("registry %d %s", code, body)
	}
	code, body = h.get(t, h.admin+"/admin/cells")
	var cells CellsView
	if code != 200 || json.Unmarshal([]byte(body), &cells) != nil || len(cells.Cells) != 2 || !cells.Cells[0].Health.Healthy || cells.Cells[0].State != fabric.CellActive {
		t.Errorf("cells %d %s", code, body)
	}
	code, body = h.get(t, h.admin+"/admin/route?tenant=acme&method=POST")
	var ex Explanation
	if code != 200 || json.Unmarshal([]byte(body), &ex) != nil || !ex.Known || ex.Chosen != "cell-a" || ex.Via != "primary" || len(ex.Retries) != 1 || ex.Retries[0] != "cell-b" || len(ex.Cells) != 2 {
		t.Errorf("route %d %s", code, body)
	}
	code, body = h.get(t, h.admin+"/admin/route?tenant=nobody")
	if code != 200 || !strings.Contains(body, `"reason": "unknown_tenant"`) || !strings.Contains(body, `"status": 404`) {
		t.Errorf("route for unknown tenant %d %s", code, body)
	}
	// Writes are off by default.
	resp, err := h.client.Post(h.admin+"/admin/cells/cell-a/down", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !h.rt.Health().Healthy("cell-a") {
		t.Errorf("admin write without AdminWrites: %d", resp.StatusCode)
	}
	// The proxy listener does not expose the admin API.
	if resp, _ := h.do(t, "GET", "/admin/registry", nil, ""); resp.StatusCode != 400 {
		t.Errorf("proxy listener answered /admin/registry with %d", resp.StatusCode)
	}
}

// TestAdminJSONKeysAreCamelCase: every key the admin API answers with is
// camelCase, as in the registry document; /admin/route used to mix in
// Method, Path, Tenant, Rand, Cells and State from Go field names.
func TestAdminJSONKeysAreCamelCase(t *testing.T) {
	t.Parallel()
	a := newTestCell(t, "cell-a", "aws")
	b := newTestCell(t, "cell-b", "gcp")
	reg := registry(3, []router.Cell{a.cell(), b.cell()}, router.Tenant{ID: "acme", Cell: "cell-a", Failover: []string{"cell-b"}, State: fabric.TenantMigrating})
	reg.SharedRoutes = []router.SharedRoute{{Prefix: "/catalog", Cells: []router.WeightedCell{{Cell: "cell-a", Weight: 1}, {Cell: "cell-b", Weight: 1}}}}
	h := startRouter(t, reg, nil)
	camel := regexp.MustCompile(`^[a-z][a-zA-Z0-9]*$`)
	var walk func(at string, v any, seen map[string]bool)
	walk = func(at string, v any, seen map[string]bool) {
		switch x := v.(type) {
		case map[string]any:
			for k, sub := range x {
				seen[k] = true
				if !camel.MatchString(k) {
					t.Errorf("%s: key %q is not camelCase", at, k)
				}
				walk(at+"."+k, sub, seen)
			}
		case []any:
			for _, sub := range x {
				walk(at+"[]", sub, seen)
			}
		}
	}
	for _, path := range []string{"/admin/route?tenant=acme&method=HEAD&path=/x", "/admin/route?path=/catalog/1", "/admin/route?tenant=nobody", "/admin/cells", "/admin/registry"} {
		code, body := h.get(t, h.admin+path)
		var doc any
		if code != 200 || json.Unmarshal([]byte(body), &doc) != nil {
			t.Fatalf("%s: %d %s", path, code, body)
		}
		seen := map[string]bool{}
		walk(path, doc, seen)
		if path == "/admin/route?tenant=acme&method=HEAD&path=/x" {
			for _, k := range []string{"request", "method", "path", "tenant", "cells", "state", "chosen", "retryOrder"} {
				if !seen[k] {
					t.Errorf("%s: no key %q in %s", path, k, body)
				}
			}
			var ex Explanation
			if err := json.Unmarshal([]byte(body), &ex); err != nil || ex.Request.Method != "HEAD" || ex.Request.Path != "/x" || ex.Request.Tenant != "acme" || ex.Tenant == nil || ex.Tenant.State != fabric.TenantMigrating || len(ex.Tenant.Cells) != 2 {
				t.Errorf("%s: decoded %+v (%v) from %s", path, ex, err, body)
			}
		}
	}
}

func TestAdminWrites(t *testing.T) {
	t.Parallel()
	a := newTestCell(t, "cell-a", "aws")
	b := newTestCell(t, "cell-b", "gcp")
	reg := registry(1, []router.Cell{a.cell(), b.cell()}, router.Tenant{ID: "acme", Cell: "cell-a", Failover: []string{"cell-b"}})
	h := startRouter(t, reg, func(c *Config) { c.AdminWrites = true })
	post := func(path string) int {
		resp, err := h.client.Post(h.admin+path, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("/admin/cells/cell-a/down"); code != 200 {
		t.Fatalf("down: %d", code)
	}
	if resp, _ := h.do(t, "GET", "/", map[string]string{"X-Tenant-ID": "acme"}, ""); resp.Header.Get("X-Cell-ID") != "cell-b" {
		t.Errorf("cell a down: served by %q, want b", resp.Header.Get("X-Cell-ID"))
	}
	if code := post("/admin/cells/cell-a/auto"); code != 200 {
		t.Fatalf("auto: %d", code)
	}
	if resp, _ := h.do(t, "GET", "/", map[string]string{"X-Tenant-ID": "acme"}, ""); resp.Header.Get("X-Cell-ID") != "cell-a" {
		t.Errorf("cell a back: served by %q, want a", resp.Header.Get("X-Cell-ID"))
	}
	if code := post("/admin/cells/zz/down"); code != 404 {
		t.Errorf("unknown cell: %d", code)
	}
	if code := post("/admin/cells/cell-a/explode"); code != 404 {
		t.Errorf("unknown action: %d", code)
	}
}

func TestNotReadyWithoutRegistry(t *testing.T) {
	t.Parallel()
	h := startRouter(t, nil, nil)
	if code, body := h.get(t, h.admin+"/readyz"); code != 503 || !strings.Contains(body, "no valid registry") {
		t.Errorf("readyz %d %q", code, body)
	}
	resp, body := h.do(t, "GET", "/", map[string]string{"X-Tenant-ID": "acme"}, "")
	if resp.StatusCode != 503 || !strings.Contains(string(body), "no_registry") {
		t.Errorf("proxy without registry: %d %s", resp.StatusCode, body)
	}
}

// TestPprofIsOptIn: the profiles are on the admin listener only when
// Config.Pprof is set, and never on the proxy listener.
func TestPprofIsOptIn(t *testing.T) {
	t.Parallel()
	a := newTestCell(t, "cell-a", "aws")
	reg := registry(1, []router.Cell{a.cell()}, router.Tenant{ID: "acme", Cell: "cell-a"})
	tests := []struct {
		name  string
		pprof bool
		want  int
	}{
		{name: "off by default", pprof: false, want: http.StatusNotFound},
		{name: "on when asked", pprof: true, want: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := startRouter(t, reg, func(c *Config) { c.Pprof = tt.pprof })
			for _, path := range []string{"/debug/pprof/", "/debug/pprof/allocs?debug=1", "/debug/pprof/cmdline"} {
				if code, body := h.get(t, h.admin+path); code != tt.want {
					t.Errorf("admin %s: %d, want %d: %.80s", path, code, tt.want, body)
				}
			}
			if resp, _ := h.do(t, "GET", "/debug/pprof/", nil, ""); resp.StatusCode == http.StatusOK {
				t.Errorf("the proxy listener served /debug/pprof/")
			}
		})
	}
}
