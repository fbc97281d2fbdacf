//go:build !(js && wasm)

package main

import (
	"testing"

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
