//go:build !(js && wasm)

package main

// Runtime tests of the placement epoch at the edge: the built Worker in
// workerd, the tenant directory in its KV namespace, and cells on loopback
// that verify the edge's signature with router/edgeauth and refuse, as a
// cell fenced by a move does, a request whose epoch is older than theirs.

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
)

// epochCell is a cell that records every request it gets (before the
// signature is checked) and what the edge's signature covered, and answers
// 421 stale_placement to a request signed with an epoch below its fence.
type epochCell struct {
	*cell
	fence atomic.Int64
	mu    sync.Mutex
	seen  []seenRequest
}

// seenRequest is one request an epochCell got.
type seenRequest struct {
	method string
	// epochHeaders are the X-Tenant-Epoch values as they arrived.
	epochHeaders []string
	signature    string
	// verified is false when the signature was refused (401).
	verified bool
	got      edgeauth.Verified
	body     string
}

// staleBody is what an epochCell answers with its 421.
func staleBody(tenantID string, fence int64) string {
	b, _ := json.Marshal(map[string]any{"error": "the request carries an older placement than this cell holds", "reason": router.ReasonStalePlacement, "tenant": tenantID, "epoch": fence})
	return string(b)
}

func startEpochCell(t *testing.T, id, cloud string) *epochCell {
	t.Helper()
	v, err := edgeauth.NewVerifier([]edgeauth.Key{testKey}, edgeauth.VerifierOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c := &epochCell{}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, err := v.Check(r)
		body, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		c.seen = append(c.seen, seenRequest{method: r.Method, epochHeaders: r.Header.Values(edgeauth.EpochHeader), signature: r.Header.Get(edgeauth.SignatureHeader), verified: err == nil, got: got, body: string(body)})
		c.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch fence := c.fence.Load(); {
		case err != nil:
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"error":"unsigned"}`)
		case got.Epoch < fence:
			w.WriteHeader(router.StatusMisdirected)
			_, _ = io.WriteString(w, staleBody(got.Tenant, fence))
		default:
			_ = json.NewEncoder(w).Encode(map[string]any{"cell": id, "tenant": got.Tenant, "epoch": got.Epoch, "body": string(body)})
		}
	})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	mux.Handle("/", handler)
	c.cell = serveCell(t, id, cloud, mux)
	return c
}

// requests returns what the cell got so far.
func (c *epochCell) requests() []seenRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]seenRequest(nil), c.seen...)
}

// (a) The cell verifies the epoch of the directory entry the Worker decided
// on, v2; a registry tenant's request is v1, epoch 0; a client's
// X-Tenant-Epoch never reaches the cell.
func TestRuntimeEpochReachesTheCell(t *testing.T) {
	t.Parallel()
	a := startEpochCell(t, "cell-a", "aws")
	dir := newKV(t)
	dir.Set("t/acme", entryAt("acme", "cell-a", 5, ""))
	env := startEdge(t, envOptions{
		registry: registry(t, 1, []*cell{a.cell}, router.Tenant{ID: "solo", Cell: "cell-a"}),
		key:      testKey, directory: dir,
	})
	tests := []struct {
		name, tenant, clientEpoch string
		epoch                     int64
		headers                   []string
		version                   string
	}{
		{name: "directory tenant", tenant: "acme", epoch: 5, headers: []string{"5"}, version: "v2,"},
		{name: "directory tenant, client's epoch replaced", tenant: "acme", clientEpoch: "99", epoch: 5, headers: []string{"5"}, version: "v2,"},
		{name: "registry tenant", tenant: "solo", epoch: 0, version: "v1,"},
		{name: "registry tenant, client's epoch dropped", tenant: "solo", clientEpoch: "99", epoch: 0, version: "v1,"},
	}
	for _, tt := range tests {
		h := tenantHeader(tt.tenant)
		if tt.clientEpoch != "" {
			h[edgeauth.EpochHeader] = tt.clientEpoch
		}
		before := len(a.requests())
		r := env.do("GET", "/kv/x", h, "")
		seen := a.requests()
		if r.status != 200 || r.header.Get("X-Cell-ID") != "cell-a" || len(seen) != before+1 {
			t.Errorf("%s: %d from %q, %d requests at the cell: %s", tt.name, r.status, r.header.Get("X-Cell-ID"), len(seen)-before, r.body)
			continue
		}
		got := seen[before]
		if !got.verified || got.got.Tenant != tt.tenant || got.got.Epoch != tt.epoch || !strings.HasPrefix(got.signature, tt.version) {
			t.Errorf("%s: the cell verified %v %+v from %q, want tenant %s epoch %d signed %s", tt.name, got.verified, got.got, got.signature, tt.tenant, tt.epoch, tt.version)
		}
		if strings.Join(got.epochHeaders, ",") != strings.Join(tt.headers, ",") {
			t.Errorf("%s: the cell got X-Tenant-Epoch %q, want %q", tt.name, got.epochHeaders, tt.headers)
		}
	}
}
