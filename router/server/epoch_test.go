package server

import (
	"encoding/json"
	"testing"

	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
)

// TestEpochSentToCell: the router sends the placement epoch of the
// directory entry it forwarded on, signed (v2), and none for a tenant of
// the registry (v1); a client's X-Tenant-Epoch never reaches the cell. The
// cells verify with edgeauth, so an epoch that arrives was signed.
func TestEpochSentToCell(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		a, b := newTestCell(t, "cell-a", "aws"), newTestCell(t, "cell-b", "gcp")
		reg := registry(1, []router.Cell{a.cell(), b.cell()}, router.Tenant{ID: "seeded", Cell: "cell-a"})
		f := newMemFeed(router.Tenant{ID: "moved", Cell: "cell-a"})
		f.put(router.Tenant{ID: "moved", Cell: "cell-b"})
		moved := f.put(router.Tenant{ID: "moved", Cell: "cell-b", Failover: []string{"cell-a"}})
		if moved.Epoch != 3 {
			t.Fatalf("feed epoch %d, want 3", moved.Epoch)
		}
		h := startRouter(t, reg, withFeed(f))
		f.await(t, "the first load", func() bool { return f.loads >= 1 })
		f.nextPolls(t)

		tests := []struct {
			name, tenant, method, body string
			wantCell                   string
			wantEpoch                  int64
		}{
			{name: "directory tenant", tenant: "moved", method: "GET", wantCell: "cell-b", wantEpoch: 3},
			{name: "directory tenant, write with a body", tenant: "moved", method: "PUT", body: "v", wantCell: "cell-b", wantEpoch: 3},
			{name: "registry tenant", tenant: "seeded", method: "PUT", body: "v", wantCell: "cell-a", wantEpoch: 0},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				for _, spoof := range []string{"", "999", "0", "junk"} {
					hdr := map[string]string{"X-Tenant-ID": tt.tenant}
					if spoof != "" {
						hdr[edgeauth.EpochHeader] = spoof
					}
					resp, body := h.do(t, tt.method, "/kv/k", hdr, tt.body)
					var e echo
					if resp.StatusCode != 200 || json.Unmarshal(body, &e) != nil {
						t.Fatalf("client epoch %q: %d %s", spoof, resp.StatusCode, body)
					}
					if e.Cell != tt.wantCell || e.Tenant != tt.tenant || e.Epoch != tt.wantEpoch {
						t.Errorf("client epoch %q: cell %s got tenant %q epoch %d, want %s, %q, %d", spoof, e.Cell, e.Tenant, e.Epoch, tt.wantCell, tt.tenant, tt.wantEpoch)
					}
				}
			})
		}
		// A change of placement raises the epoch the cell sees.
		f.put(router.Tenant{ID: "moved", Cell: "cell-a"})
		f.nextPolls(t)
		resp, body := h.do(t, "GET", "/kv/k", map[string]string{"X-Tenant-ID": "moved"}, "")
		var e echo
		if resp.StatusCode != 200 || json.Unmarshal(body, &e) != nil || e.Cell != "cell-a" || e.Epoch != 4 {
			t.Errorf("after the move: %d %s, want cell-a with epoch 4", resp.StatusCode, body)
		}
	})
}
