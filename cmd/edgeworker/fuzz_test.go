//go:build !(js && wasm)

package main

import (
	"slices"
	"testing"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
)

// FuzzServe: whatever URL and tenant a client sends, the Worker refuses the
// request or forwards it signed for exactly the URL it sends, which the cell
// verifies.
func FuzzServe(f *testing.F) {
	for _, s := range [][2]string{
		{"https://edge.example/orders?x=1", "acme"}, {"https://edge.example/t/hooli/a%2Fb?q=%20", ""},
		{"https://edge.example/caf%C3%A9;x=1", "acme"}, {"https://edge.example//double//slash", "acme"},
		{"http://edge.example:8080/", "solo"}, {"https://edge.example/%zz", "acme"}, {"https://edge.example/t/", ""},
	} {
		f.Add(s[0], s[1])
	}
	e, _, clk := newTestEdge(f, `{"tenantModes":["header","path"]}`)
	v, err := edgeauth.NewVerifier([]edgeauth.Key{unitKey}, edgeauth.VerifierOptions{Now: clk.now})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, rawURL, tenantID string) {
		up := &fakeUpstream{}
		res := e.serve(inbound{Method: "GET", URL: rawURL, Header: headers{"X-Tenant-Id": tenantID}}, up)
		if res.Refusal != nil {
			if res.Refusal.Status < 400 || res.Refusal.Reason == "" {
				t.Fatalf("refusal %+v", *res.Refusal)
			}
			return
		}
		if len(up.attempts) == 0 {
			t.Fatal("forwarded without an attempt")
		}
		a := up.attempts[0]
		got, err := cellVerifies(v, "GET", a)
		if err != nil || got != res.Tenant {
			t.Fatalf("%q (tenant %q): attempt %q is not verified by the cell: %q, %v", rawURL, tenantID, a.URL, got, err)
		}
	})
}

// FuzzDecodeEntry: whatever a directory value holds, decodeEntry never
// panics, and an entry it accepts is one DecideFor can use: it names the
// tenant it is stored under, valid cells, at most MaxFailover distinct
// failovers other than the primary, and a known state.
func FuzzDecodeEntry(f *testing.F) {
	for _, s := range []string{
		`{"id":"acme","cell":"cell-a"}`,
		`{"id":"acme","cell":"cell-a","failover":["cell-b","cell-c"],"state":"readonly","residency":"eu","epoch":3}`,
		`{"id":"acme","cell":"cell-a","cell":"cell-b"}`, `{"id":"acme"}`, `null`, `[]`, `{"id":"acme","cell":"cell-a"}x`,
	} {
		f.Add("acme", []byte(s))
	}
	snap := testSnapshot(f)
	f.Fuzz(func(t *testing.T, id string, data []byte) {
		tn, err := decodeEntry(id, data)
		if err != nil {
			return
		}
		if tn.ID != id || !fabric.ValidCellID(tn.Cell) || len(tn.Failover) > router.MaxFailover || !tn.State.Valid() || tn.Epoch < 0 {
			t.Fatalf("accepted %q for %q: %+v", data, id, tn)
		}
		for i, c := range tn.Failover {
			if c == tn.Cell || slices.Contains(tn.Failover[:i], c) || !fabric.ValidCellID(c) {
				t.Fatalf("accepted failovers %v", tn.Failover)
			}
		}
		intern(tn, snap)
		_ = snap.DecideFor(router.Request{Method: "GET", Tenant: id}, tn, nil)
	})
}
