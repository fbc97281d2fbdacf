//go:build !(js && wasm)

// Runtime tests of the tenant directory's control API served by the Worker
// in workerd, over its real local KV, with the client `cellfabric tenants`
// uses (dirhttp).

package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/control/directory/dirhttp"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
)

// runtimeControlKey is the control key of the runtime tests.
var runtimeControlKey = edgeauth.Key{ID: "c1", Secret: []byte("runtime-test-control-secret-0123456789")}

// controlClient is the control API client of the Worker env runs, as
// `cellfabric tenants --api <Worker URL>` makes it.
func controlClient(t *testing.T, env *edgeEnv) *dirhttp.Client {
	t.Helper()
	c, err := dirhttp.NewClient(dirhttp.ClientConfig{BaseURL: env.rt.URL, Key: runtimeControlKey, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// sendControl sends a control request signed with key at signedAt over
// signedBody, with sentBody as its body; unsigned leaves the signature
// out.
func sendControl(t *testing.T, env *edgeEnv, key edgeauth.Key, signedAt time.Time, method, path string, q url.Values, signedBody, sentBody string, unsigned bool) response {
	t.Helper()
	s, err := edgeauth.NewSigner(key, func() time.Time { return signedAt })
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(env.rt.URL + directory.BasePath + path)
	if err != nil {
		t.Fatal(err)
	}
	header, raw := directory.SignControl(s, method, u.Host, u.EscapedPath(), q, []byte(signedBody))
	h := map[string]string{"Content-Type": directory.ContentType}
	if !unsigned {
		h[edgeauth.SignatureHeader] = header
	}
	return send(t, method, u.String()+"?"+raw, h, sentBody)
}

// twoCells starts cells a and b and a registry of them (policy reject)
// listing acme on a.
func twoCells(t *testing.T) []byte {
	t.Helper()
	a := startCell(t, "cell-a", "aws")
	b := startCell(t, "cell-b", "gcp")
	return registry(t, 1, []*cell{a, b}, router.Tenant{ID: "acme", Cell: "cell-a"})
}

// (a) Add a tenant through the control API without a deploy: unknown to
// the Worker (404 unknown_tenant, policy reject), added with the client
// `cellfabric tenants add` uses, and the next request reaches its cell —
// in the isolate that had cached it as absent.
func TestRuntimeControlAddsTenantWithoutDeploy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := startEdge(t, envOptions{registry: twoCells(t), key: testKey, controlKey: runtimeControlKey})
	r := env.do("GET", "/kv/x", tenantHeader("newco"), "")
	if r.status != 404 || r.json(t)["reason"] != "unknown_tenant" || r.header.Get("X-Cell-ID") != "" {
		t.Fatalf("before the add: %d from %q: %s", r.status, r.header.Get("X-Cell-ID"), r.body)
	}
	stored, err := controlClient(t, env).Put(ctx, router.Tenant{ID: "newco", Cell: "cell-b", Failover: []string{"cell-a"}}, directory.PutOptions{IfAbsent: true})
	if err != nil {
		t.Fatal(err)
	}
	if stored.Cell != "cell-b" || stored.Epoch != 1 {
		t.Fatalf("stored %+v, want cell-b at epoch 1", stored)
	}
	data, ok := env.dir.Get(directory.TenantKey("newco"))
	if !ok || !strings.Contains(string(data), `"cell":"cell-b"`) {
		t.Fatalf("the DIRECTORY namespace holds %q (found %v)", data, ok)
	}
	if journal := env.dir.Keys(directory.JournalPrefix); len(journal) != 1 || !strings.HasSuffix(journal[0], "-newco") {
		t.Fatalf("journal keys %v, want newco's record", journal)
	}
	h := map[string]string{"X-Tenant-ID": "newco", "Content-Type": "text/plain"}
	if r := env.do("PUT", "/kv/color", h, "teal"); r.status/100 != 2 || r.header.Get("X-Cell-ID") != "cell-b" {
		t.Fatalf("after the add: PUT %d from %q: %s", r.status, r.header.Get("X-Cell-ID"), r.body)
	}
	if r := env.do("GET", "/kv/color", h, ""); r.status != 200 || string(r.body) != "teal" || r.header.Get("X-Cell-ID") != "cell-b" {
		t.Fatalf("after the add: GET %d %q from %q", r.status, r.body, r.header.Get("X-Cell-ID"))
	}
}

// (b) Control requests that are unsigned, forged, signed with the edge
// key, expired or carry another body than the one signed get 401, and
// nothing is written. So does a request to a Worker with no control key
// bound get 404, and none of them reaches a cell.
func TestRuntimeControlRefusesUnverified(t *testing.T) {
	t.Parallel()
	env := startEdge(t, envOptions{registry: twoCells(t), key: testKey, controlKey: runtimeControlKey})
	body := `{"cell":"cell-b"}`
	forged := edgeauth.Key{ID: runtimeControlKey.ID, Secret: []byte("not-the-control-secret-0123456789")}
	now := time.Now()
	tests := []struct {
		name       string
		key        edgeauth.Key
		at         time.Time
		sent       string
		unsigned   bool
		wantReason string
	}{
		{name: "unsigned", key: runtimeControlKey, at: now, sent: body, unsigned: true, wantReason: directory.AuthUnsigned},
		{name: "forged", key: forged, at: now, sent: body, wantReason: directory.AuthBadSignature},
		{name: "edge key", key: testKey, at: now, sent: body, wantReason: directory.AuthUnknownKey},
		{name: "expired", key: runtimeControlKey, at: now.Add(-10 * time.Minute), sent: body, wantReason: directory.AuthExpired},
		{name: "body mismatch", key: runtimeControlKey, at: now, sent: `{"cell":"cell-a"}`, wantReason: directory.AuthBodyMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sendControl(t, env, tt.key, tt.at, "PUT", "/tenants/newco", url.Values{"ifAbsent": {"1"}}, body, tt.sent, tt.unsigned)
			if r.status != 401 || r.json(t)["reason"] != tt.wantReason || r.header.Get("X-Cell-ID") != "" {
				t.Fatalf("answer %d from %q: %s, want 401 %s from the Worker", r.status, r.header.Get("X-Cell-ID"), r.body, tt.wantReason)
			}
			if keys := env.dir.Keys(""); len(keys) != 0 {
				t.Fatalf("the DIRECTORY namespace holds %v after a refused request", keys)
			}
		})
	}
	t.Run("no control key bound", func(t *testing.T) {
		off := startEdge(t, envOptions{registry: twoCells(t), key: testKey})
		r := sendControl(t, off, runtimeControlKey, time.Now(), "PUT", "/tenants/newco", nil, body, body, false)
		if r.status != 404 || r.json(t)["reason"] != ReasonControlNotConfigured || !strings.Contains(string(r.body), "not configured") || r.header.Get("X-Cell-ID") != "" {
			t.Fatalf("answer %d from %q: %s, want the Worker's 404 %s", r.status, r.header.Get("X-Cell-ID"), r.body, ReasonControlNotConfigured)
		}
		if keys := off.dir.Keys(""); len(keys) != 0 {
			t.Fatalf("the DIRECTORY namespace holds %v", keys)
		}
	})
}

// (c) The listing and the changes feed served by the Worker return what
// was written through it; a removal follows as a tombstone from the
// position the first answer gave.
func TestRuntimeControlListAndChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	settle := 0 // workerd's KV is one location: nothing to wait out
	env := startEdge(t, envOptions{registry: twoCells(t), key: testKey, controlKey: runtimeControlKey, settleMillis: &settle})
	c := controlClient(t, env)
	if _, err := c.Put(ctx, router.Tenant{ID: "newco", Cell: "cell-b"}, directory.PutOptions{IfAbsent: true}); err != nil {
		t.Fatal(err)
	}
	page, err := c.List(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Entries) != 1 || page.Entries[0].ID != "newco" || page.Entries[0].Cell != "cell-b" || page.Entries[0].Epoch != 1 || page.Position == "" || page.Cursor != "" {
		t.Fatalf("listing %+v, want newco on cell-b at epoch 1 with a position", page)
	}
	var pos string
	eventually(t, 10*time.Second, "newco's change in the feed", func() bool {
		changes, p, err := c.Changes(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		pos = p
		return len(changes) == 1 && changes[0].ID == "newco" && changes[0].Epoch == 1 && changes[0].Entry != nil && changes[0].Entry.Cell == "cell-b"
	})
	if _, err := c.Remove(ctx, "newco", 1); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "newco's tombstone in the feed", func() bool {
		changes, _, err := c.Changes(ctx, pos)
		if err != nil {
			t.Fatal(err)
		}
		return len(changes) == 1 && changes[0].ID == "newco" && changes[0].Epoch == 2 && changes[0].Removed
	})
	if r := env.do("GET", "/", tenantHeader("newco"), ""); r.status != 404 || r.json(t)["reason"] != "unknown_tenant" {
		t.Fatalf("after the removal: %d %s", r.status, r.body)
	}
}

// (d) Workers KV allows 1,000 operations per Worker invocation: the Worker
// refuses a batch over its maximum before writing anything, serves one at
// its maximum within the limit (counted at the namespaces), and the client
// of `cellfabric tenants import` sends a batch of directory.MaxBatch in
// parts the Worker takes.
func TestRuntimeControlBatchFitsWorkersKV(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := startEdge(t, envOptions{registry: twoCells(t), key: testKey, controlKey: runtimeControlKey})
	limit := directory.MaxBatchWithin(kvOpsPerInvocation-controlReservedOps, 2)
	entries := func(prefix string, n int) []router.Tenant {
		out := make([]router.Tenant, n)
		for i := range out {
			out[i] = router.Tenant{ID: fmt.Sprintf("%s%d", prefix, i), Cell: []string{"cell-a", "cell-b"}[i%2]}
		}
		return out
	}
	var body strings.Builder
	body.WriteString(`{"entries":[`)
	for i, e := range entries("over", limit+1) {
		if i > 0 {
			body.WriteString(",")
		}
		fmt.Fprintf(&body, `{"id":%q,"cell":%q}`, e.ID, e.Cell)
	}
	body.WriteString("]}")
	r := sendControl(t, env, runtimeControlKey, time.Now(), "POST", "/batch", nil, body.String(), body.String(), false)
	if r.status != 400 || r.json(t)["reason"] != directory.ReasonBatchTooLarge {
		t.Fatalf("a batch of %d: %d %s, want 400 %s", limit+1, r.status, r.body, directory.ReasonBatchTooLarge)
	}
	// The refusal names the size the Worker takes, so that the client
	// sends batches of it rather than the halves that first fit.
	if got, _ := r.json(t)["maxBatch"].(float64); int(got) != limit {
		t.Fatalf("the refusal says maxBatch %v, want %d: %s", r.json(t)["maxBatch"], limit, r.body)
	}
	if keys := env.dir.Keys(""); len(keys) != 0 {
		t.Fatalf("the refused batch wrote %d keys", len(keys))
	}

	c := controlClient(t, env)
	before := env.dir.Ops() + env.kv.Ops()
	results, err := c.Batch(ctx, entries("max", limit), directory.ModeIfAbsent)
	if err != nil {
		t.Fatal(err)
	}
	ops := env.dir.Ops() + env.kv.Ops() - before
	for _, res := range results {
		if res.Outcome != directory.OutcomeAdded {
			t.Fatalf("entry %s: %+v", res.ID, res)
		}
	}
	if ops > kvOpsPerInvocation {
		t.Fatalf("the batch of %d made %d KV operations in one invocation, over Workers KV's %d", limit, ops, kvOpsPerInvocation)
	}
	t.Logf("a batch of %d (the Worker's maximum over 2 cells) made %d KV operations", limit, ops)

	results, err = c.Batch(ctx, entries("import", directory.MaxBatch), directory.ModeIfAbsent)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != directory.MaxBatch {
		t.Fatalf("%d results for %d entries", len(results), directory.MaxBatch)
	}
	for i, res := range results {
		if res.ID != fmt.Sprintf("import%d", i) || res.Outcome != directory.OutcomeAdded {
			t.Fatalf("result %d: %+v", i, res)
		}
	}
	if n := len(env.dir.Keys(directory.TenantPrefix)); n != limit+directory.MaxBatch {
		t.Fatalf("%d entries in the directory, want %d", n, limit+directory.MaxBatch)
	}
	if r := env.do("GET", "/kv/x", tenantHeader("import999"), ""); r.header.Get("X-Cell-ID") != "cell-b" {
		t.Fatalf("import999: %d from %q: %s", r.status, r.header.Get("X-Cell-ID"), r.body)
	}
}

// (e) The changes feed served by the Worker stays within Workers KV's
// operations per invocation when a minute of the journal holds more
// records than one answer returns: an import of directory.MaxBatch
// tenants through the Worker, then one answer of the feed.
func TestRuntimeControlChangesFitWorkersKV(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	settle := 0
	env := startEdge(t, envOptions{registry: twoCells(t), key: testKey, controlKey: runtimeControlKey, settleMillis: &settle})
	c := controlClient(t, env)
	entries := make([]router.Tenant, directory.MaxBatch+200)
	for i := range entries {
		entries[i] = router.Tenant{ID: fmt.Sprintf("t%04d", i), Cell: []string{"cell-a", "cell-b"}[i%2]}
	}
	if _, err := c.Batch(ctx, entries, directory.ModeIfAbsent); err != nil {
		t.Fatal(err)
	}
	before := env.dir.Ops() + env.kv.Ops()
	changes, _, err := c.ChangesPage(ctx, "", directory.DefaultChangesLimit)
	if err != nil {
		t.Fatal(err)
	}
	ops := env.dir.Ops() + env.kv.Ops() - before
	if len(changes) != directory.DefaultChangesLimit {
		t.Fatalf("%d changes, want a full answer of %d", len(changes), directory.DefaultChangesLimit)
	}
	if ops > kvOpsPerInvocation {
		t.Fatalf("one answer of the changes feed made %d KV operations, over Workers KV's %d per invocation", ops, kvOpsPerInvocation)
	}
	t.Logf("one answer of %d changes made %d KV operations", len(changes), ops)
	// A listing page likewise.
	before = env.dir.Ops() + env.kv.Ops()
	page, err := c.List(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if ops := env.dir.Ops() + env.kv.Ops() - before; ops > kvOpsPerInvocation || len(page.Entries) != maxControlPage {
		t.Fatalf("a listing page of %d entries made %d KV operations", len(page.Entries), ops)
	}
}
