//go:build !(js && wasm)

// Runtime tests of the edge route to a cell's state admin API
// (cellstate.go) in workerd: the state API client the mover uses talks to
// reference cells on loopback only through the Worker.

package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/workload/refcell"
	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/embedded"
	"github.com/cellfabric/cellfabric/workload/state/stateapi"
)

// stateCell is a reference cell with its state API on (runtimeControlKey)
// that counts the requests its state API gets.
type stateCell struct {
	*cell
	stateCalls atomic.Int64
}

func startStateCell(t *testing.T, id, cloud string) *stateCell {
	t.Helper()
	rc, err := refcell.New(refcell.Config{CellID: id, Cloud: cloud, Region: "local-1", Keys: []edgeauth.Key{testKey}, ControlKeys: []edgeauth.Key{runtimeControlKey}, Store: state.New(embedded.New())})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rc.Close() })
	sc := &stateCell{}
	sc.cell = serveCell(t, id, cloud, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, stateapi.BasePath+"/") {
			sc.stateCalls.Add(1)
		}
		rc.ServeHTTP(w, r)
	}))
	sc.rc = rc
	return sc
}

// stateClients are one cell's state API clients: direct, and through the
// Worker.
func stateClients(t *testing.T, env *edgeEnv, c *stateCell) (direct, viaEdge *stateapi.Client) {
	t.Helper()
	direct, err := stateapi.NewClient(stateapi.ClientConfig{BaseURL: c.url, Key: runtimeControlKey, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	viaEdge, err = stateapi.NewEdgeClient(stateapi.ClientConfig{BaseURL: env.rt.URL, Key: runtimeControlKey, MaxAttempts: 1}, c.id)
	if err != nil {
		t.Fatal(err)
	}
	return direct, viaEdge
}

// exportAll reads a tenant's export whole.
func exportAll(t *testing.T, c *stateapi.Client, tenant string) ([]state.Record, uint64) {
	t.Helper()
	var recs []state.Record
	pos, err := c.Export(context.Background(), tenant, func(r state.Record) error {
		recs = append(recs, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return recs, pos
}

// TestRuntimeCellStateRoundTrip: Import, Export, Changes, Meta, SetFence,
// Lock and Unlock through the Worker answer what the cell answers
// directly, an export of a few MB passes through whole, a tenant copied
// from one cell to another through the Worker arrives intact, and a
// cell's 409 reaches the client as the state port's LockedError.
func TestRuntimeCellStateRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, b := startStateCell(t, "cell-a", "aws"), startStateCell(t, "cell-b", "gcp")
	env := startEdge(t, envOptions{registry: registry(t, 1, []*cell{a.cell, b.cell}), key: testKey, controlKey: runtimeControlKey})
	directA, edgeA := stateClients(t, env, a)
	directB, edgeB := stateClients(t, env, b)

	recs := make([]state.Record, 1500)
	for i := range recs {
		recs[i] = state.Record{Key: fmt.Sprintf("k%04d", i), Value: []byte(strings.Repeat(string(rune('a'+i%26)), 2048)), Seq: uint64(i + 1)}
	}
	recs[7] = state.Record{Key: recs[7].Key, Seq: 8, Deleted: true}
	if _, err := edgeA.Import(ctx, "acme", recs); err != nil {
		t.Fatalf("import through the Worker: %v", err)
	}
	viaEdge, posEdge := exportAll(t, edgeA, "acme")
	direct, posDirect := exportAll(t, directA, "acme")
	if len(direct) == 0 || posEdge != posDirect || !reflect.DeepEqual(viaEdge, direct) {
		t.Fatalf("export through the Worker: %d records at %d; directly: %d at %d", len(viaEdge), posEdge, len(direct), posDirect)
	}
	chEdge, nextEdge, err := edgeA.Changes(ctx, "acme", 1000, 100)
	if err != nil {
		t.Fatal(err)
	}
	chDirect, nextDirect, err := directA.Changes(ctx, "acme", 1000, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(chDirect) == 0 || nextEdge != nextDirect || !reflect.DeepEqual(chEdge, chDirect) {
		t.Fatalf("changes through the Worker: %d to %d; directly: %d to %d", len(chEdge), nextEdge, len(chDirect), nextDirect)
	}

	// Copy acme to cell-b through the Worker, as a move does.
	if _, err := edgeB.Import(ctx, "acme", viaEdge); err != nil {
		t.Fatal(err)
	}
	onB, _ := exportAll(t, directB, "acme")
	if !reflect.DeepEqual(onB, direct) {
		t.Fatalf("cell-b holds %d records after the copy, cell-a %d, or they differ", len(onB), len(direct))
	}

	fenced, err := edgeA.SetFence(ctx, "acme", state.FenceState{Fence: 3, FenceAll: true})
	if err != nil {
		t.Fatal(err)
	}
	lock := state.MoveLock{ID: "move-1", Owner: "test", Target: "cell-b", Expires: time.Now().Add(time.Minute).UTC().Truncate(time.Second)}
	locked, err := edgeA.Lock(ctx, "acme", lock)
	if err != nil {
		t.Fatal(err)
	}
	metaEdge, err := edgeA.Meta(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	metaDirect, err := directA.Meta(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if !fenced.FenceAll || fenced.Fence != 3 || locked.Lock == nil || locked.Lock.ID != "move-1" || !reflect.DeepEqual(metaEdge, metaDirect) || !reflect.DeepEqual(metaEdge, locked) {
		t.Fatalf("fence %+v, lock %+v, meta through the Worker %+v, directly %+v", fenced, locked, metaEdge, metaDirect)
	}

	// Another move's lock: the cell's 409 comes through unchanged.
	_, err = edgeA.Lock(ctx, "acme", state.MoveLock{ID: "move-2", Target: "cell-b", Expires: time.Now().Add(time.Minute)})
	var le *state.LockedError
	if !errors.As(err, &le) || le.Holder == nil || le.Holder.ID != "move-1" || le.ID != "move-2" {
		t.Fatalf("a second lock through the Worker: %v, want the state port's LockedError naming move-1", err)
	}
	if _, err := edgeA.Unlock(ctx, "acme", lock); err != nil {
		t.Fatal(err)
	}
	if m, err := directA.Meta(ctx, "acme"); err != nil || m.Lock != nil {
		t.Fatalf("after the unlock through the Worker: %+v, %v", m, err)
	}
}

// sendCellState sends a request to the route, signed with key at signedAt
// over signedBody, with sentBody as its body; unsigned leaves the
// signature out.
func sendCellState(t *testing.T, env *edgeEnv, key edgeauth.Key, signedAt time.Time, method, path, signedBody, sentBody string, unsigned bool) response {
	t.Helper()
	s, err := edgeauth.NewSigner(key, func() time.Time { return signedAt })
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(env.rt.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	header, raw := directory.SignControl(s, method, u.Host, u.EscapedPath(), nil, []byte(signedBody))
	h := map[string]string{"Content-Type": stateapi.JSON}
	if !unsigned {
		h[edgeauth.SignatureHeader] = header
	}
	return send(t, method, u.String()+"?"+raw, h, sentBody)
}

// TestRuntimeCellStateRefusals: unsigned, forged, edge-key-signed,
// expired and altered requests get 401 from the Worker; an unknown cell
// 404 naming the registry's cells; a cell that is down 502; a path that is not the route 404; a
// Worker with no control key bound 404 control_api_not_configured. None
// of them reaches the cell.
func TestRuntimeCellStateRefusals(t *testing.T) {
	t.Parallel()
	a := startStateCell(t, "cell-a", "aws")
	down := startStateCell(t, "cell-down", "gcp")
	down.stop()
	env := startEdge(t, envOptions{registry: registry(t, 1, []*cell{a.cell, down.cell}), key: testKey, controlKey: runtimeControlKey})
	lock := `{"id":"move-1","target":"cell-b","expires":"` + time.Now().Add(time.Minute).UTC().Format(time.RFC3339) + `"}`
	forged := edgeauth.Key{ID: runtimeControlKey.ID, Secret: []byte("not-the-control-secret-0123456789")}
	now := time.Now()
	const lockPath = CellStatePrefix + "cell-a/state/acme/lock"
	tests := []struct {
		name       string
		key        edgeauth.Key
		at         time.Time
		path, sent string
		unsigned   bool
		wantStatus int
		wantReason string
		wantMsg    string
	}{
		{name: "unsigned", key: runtimeControlKey, at: now, path: lockPath, sent: lock, unsigned: true, wantStatus: 401, wantReason: directory.AuthUnsigned},
		{name: "forged", key: forged, at: now, path: lockPath, sent: lock, wantStatus: 401, wantReason: directory.AuthBadSignature},
		{name: "edge key", key: testKey, at: now, path: lockPath, sent: lock, wantStatus: 401, wantReason: directory.AuthUnknownKey},
		{name: "expired", key: runtimeControlKey, at: now.Add(-10 * time.Minute), path: lockPath, sent: lock, wantStatus: 401, wantReason: directory.AuthExpired},
		{name: "body mismatch", key: runtimeControlKey, at: now, path: lockPath, sent: strings.Replace(lock, "move-1", "move-2", 1), wantStatus: 401, wantReason: directory.AuthBodyMismatch},
		{name: "unknown cell", key: runtimeControlKey, at: now, path: CellStatePrefix + "cell-z/state/acme/lock", sent: lock, wantStatus: 404, wantReason: ReasonUnknownCell, wantMsg: "its cells: cell-a, cell-down"},
		{name: "cell down", key: runtimeControlKey, at: now, path: CellStatePrefix + "cell-down/state/acme/lock", sent: lock, wantStatus: 502, wantReason: ReasonCellUnreachable, wantMsg: "cell-down did not answer"},
		{name: "not the route", key: runtimeControlKey, at: now, path: CellStatePrefix + "cell-a/kv/acme", sent: lock, wantStatus: 404, wantReason: directory.ReasonNoRoute, wantMsg: "no cell state route at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sendCellState(t, env, tt.key, tt.at, "POST", tt.path, lock, tt.sent, tt.unsigned)
			if r.status != tt.wantStatus || r.json(t)["reason"] != tt.wantReason || !strings.Contains(string(r.body), tt.wantMsg) || r.header.Get("X-Cell-ID") != "" {
				t.Fatalf("answer %d from %q: %s, want %d %s (%q) from the Worker", r.status, r.header.Get("X-Cell-ID"), r.body, tt.wantStatus, tt.wantReason, tt.wantMsg)
			}
			if n := a.stateCalls.Load(); n != 0 {
				t.Fatalf("the cell's state API got %d requests", n)
			}
		})
	}
	t.Run("no control key bound", func(t *testing.T) {
		off := startEdge(t, envOptions{registry: registry(t, 1, []*cell{a.cell}), key: testKey})
		r := sendCellState(t, off, runtimeControlKey, time.Now(), "POST", lockPath, lock, lock, false)
		if r.status != 404 || r.json(t)["reason"] != ReasonControlNotConfigured || r.header.Get("X-Cell-ID") != "" {
			t.Fatalf("answer %d from %q: %s, want the Worker's 404 %s", r.status, r.header.Get("X-Cell-ID"), r.body, ReasonControlNotConfigured)
		}
		if n := a.stateCalls.Load(); n != 0 {
			t.Fatalf("the cell's state API got %d requests", n)
		}
	})
	t.Run("signed request reaches the cell", func(t *testing.T) {
		// The same request, signed right, is forwarded: the refusals above
		// were the Worker's.
		r := sendCellState(t, env, runtimeControlKey, time.Now(), "POST", lockPath, lock, lock, false)
		if r.status != 200 || r.header.Get("X-Cell-ID") != "cell-a" || !strings.Contains(string(r.body), `"move-1"`) || a.stateCalls.Load() != 1 {
			t.Fatalf("answer %d from %q: %s; the cell got %d requests", r.status, r.header.Get("X-Cell-ID"), r.body, a.stateCalls.Load())
		}
	})
}

// TestCellStateConstants: the Worker's copies of the state API's paths
// and body cap are stateapi's.
func TestCellStateConstants(t *testing.T) {
	t.Parallel()
	if cellStateBasePath != stateapi.BasePath || CellStatePrefix != stateapi.EdgePrefix || maxCellStateBody != stateapi.MaxImportBytes {
		t.Fatalf("the Worker has %s, %s, %d; stateapi %s, %s, %d", cellStateBasePath, CellStatePrefix, maxCellStateBody, stateapi.BasePath, stateapi.EdgePrefix, stateapi.MaxImportBytes)
	}
	if got := stateapi.EdgePath("c1") + "/acme/meta"; !strings.HasPrefix(got, CellStatePrefix+"c1/state/") {
		t.Fatalf("stateapi.EdgePath gives %s, not the Worker's route", got)
	}
}
