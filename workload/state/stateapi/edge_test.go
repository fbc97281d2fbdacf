package stateapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/stateapi"
)

// TestEdgeClientPaths checks where an edge client sends its calls: under
// EdgePath(cell), behind the path the base URL carries, signed with the
// control key over that path (as the Worker verifies it).
func TestEdgeClientPaths(t *testing.T) {
	t.Parallel()
	v, err := edgeauth.NewVerifier([]edgeauth.Key{controlKey}, edgeauth.VerifierOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.EscapedPath())
		mu.Unlock()
		if err := directory.VerifyControl(v, r.Method, r.Host, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Get(edgeauth.SignatureHeader), nil); err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			_ = json.NewEncoder(w).Encode(directory.ErrorBody{Error: err.Error(), Reason: "unsigned"})
			return
		}
		_ = json.NewEncoder(w).Encode(state.TenantMeta{Position: 7})
	}))
	t.Cleanup(srv.Close)
	tests := []struct {
		name, base, cell string
		wantPath         string
		wantErr          string
	}{
		{name: "host only", base: srv.URL, cell: "cell-a", wantPath: "/_cellfabric/v1/cells/cell-a/state/acme/meta"},
		{name: "base with a path", base: srv.URL + "/edge/", cell: "cell-b", wantPath: "/edge/_cellfabric/v1/cells/cell-b/state/acme/meta"},
		{name: "cell with a slash", base: srv.URL, cell: "a/b", wantErr: "give a registry cell id"},
		{name: "no cell", base: srv.URL, cell: "", wantErr: "give a registry cell id"},
		{name: "not a URL", base: "edge.example.com", cell: "cell-a", wantErr: "edge Worker URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := stateapi.NewEdgeClient(stateapi.ClientConfig{BaseURL: tt.base, Key: controlKey, MaxAttempts: 1}, tt.cell)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			m, err := c.Meta(ctx(t), "acme")
			if err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			last := paths[len(paths)-1]
			mu.Unlock()
			if m.Position != 7 || last != tt.wantPath {
				t.Fatalf("meta %+v at %s, want position 7 at %s", m, last, tt.wantPath)
			}
		})
	}
}
