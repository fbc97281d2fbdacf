//go:build !(js && wasm)

package main

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/router/edgeauth"
)

// signedCellState is a request to the cell state route signed with key at
// now, as stateapi's edge client signs it.
func signedCellState(t *testing.T, key edgeauth.Key, now time.Time, method, path string, q url.Values, body []byte) controlRequest {
	t.Helper()
	s, err := edgeauth.NewSigner(key, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	header, raw := directory.SignControl(s, method, "edge.example", path, q, body)
	u, err := url.Parse("https://edge.example" + path + "?" + raw)
	if err != nil {
		t.Fatal(err)
	}
	return controlRequest{Method: method, URL: u, Signature: header, Body: body}
}

func TestIsCellState(t *testing.T) {
	t.Parallel()
	for path, want := range map[string]bool{
		CellStatePrefix + "cell-a/state/acme/meta": true,
		"/_cellfabric/v1/cells":                    false,
		"/_cellfabric/v1/cellsx/a/state/acme/meta": false,
		directory.BasePath + "/cells/a/placement":  false,
		"/kv/x": false,
	} {
		if got := isCellState(&url.URL{Path: path}); got != want {
			t.Errorf("isCellState(%s) = %v, want %v", path, got, want)
		}
	}
}

// TestCellStateTarget: a verified request goes to the cell's endpoint at
// the state API's path, with its query, signed with the control key for
// the cell's host, path and body; what fails verification or names no
// cell of the registry is refused and goes nowhere.
func TestCellStateTarget(t *testing.T) {
	t.Parallel()
	e, clk := newControlEdge(t)
	body := []byte(`{"id":"m1"}`)
	q := url.Values{"since": {"5"}, "limit": {"10"}}
	tg, refusal := e.cellState(signedCellState(t, unitControlKey, clk.now(), "POST", CellStatePrefix+"cell-b/state/acme/lock/renew", q, body))
	if refusal != nil {
		t.Fatalf("refused %d: %s", refusal.Status, refusal.Body)
	}
	u, err := url.Parse(tg.URL)
	if err != nil {
		t.Fatal(err)
	}
	if tg.Cell != "cell-b" || u.Host != "b.cells.example:8443" || u.EscapedPath() != "/_cellfabric/v1/state/acme/lock/renew" || u.Query().Get("since") != "5" || u.Query().Get("limit") != "10" {
		t.Fatalf("target %+v", tg)
	}
	ctl, err := edgeauth.NewVerifier([]edgeauth.Key{unitControlKey}, edgeauth.VerifierOptions{Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	if err := directory.VerifyControl(ctl, "POST", u.Host, u.EscapedPath(), u.RawQuery, tg.Signature, body); err != nil {
		t.Fatalf("the cell would refuse the forwarded request: %v", err)
	}
	if err := directory.VerifyControl(ctl, "POST", u.Host, u.EscapedPath(), u.RawQuery, tg.Signature, []byte(`{"id":"m2"}`)); err == nil {
		t.Fatal("the forwarded signature does not cover the body")
	}

	tests := []struct {
		name       string
		key        edgeauth.Key
		path       string
		wantStatus int
		wantReason string
		wantMsg    string
	}{
		{name: "edge key", key: unitKey, path: CellStatePrefix + "cell-a/state/acme/meta", wantStatus: 401, wantReason: directory.AuthUnknownKey},
		{name: "unknown cell", key: unitControlKey, path: CellStatePrefix + "cell-z/state/acme/meta", wantStatus: 404, wantReason: ReasonUnknownCell, wantMsg: "cell-a, cell-b, cell-c"},
		{name: "no op", key: unitControlKey, path: CellStatePrefix + "cell-a/state/acme", wantStatus: 404, wantReason: directory.ReasonNoRoute},
		{name: "not state", key: unitControlKey, path: CellStatePrefix + "cell-a/kv/acme/x", wantStatus: 404, wantReason: directory.ReasonNoRoute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg, r := e.cellState(signedCellState(t, tt.key, clk.now(), "GET", tt.path, nil, nil))
			if r == nil || r.Status != tt.wantStatus || errorReason(t, *r) != tt.wantReason || !strings.Contains(string(r.Body), tt.wantMsg) || tg.URL != "" {
				t.Fatalf("target %+v, refusal %+v, want %d %s", tg, r, tt.wantStatus, tt.wantReason)
			}
		})
	}
	t.Run("no control key", func(t *testing.T) {
		off := newTestEdgeForCellState(t)
		_, r := off.cellState(signedCellState(t, unitControlKey, clk.now(), "GET", CellStatePrefix+"cell-a/state/acme/meta", nil, nil))
		if r == nil || r.Status != 404 || errorReason(t, *r) != ReasonControlNotConfigured {
			t.Fatalf("refusal %+v", r)
		}
	})
}

// newTestEdgeForCellState is an edge with no control key bound.
func newTestEdgeForCellState(t *testing.T) *edge {
	t.Helper()
	kv := newFakeKV()
	kv.set("registry", unitRegistry(t, 1))
	e, err := newEdge(bindings{Key: string(unitKey.Secret), KeyID: unitKey.ID}, kv, newFakeKV(), newClock().now, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e
}
