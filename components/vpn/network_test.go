package vpn

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/cellfabric/cellfabric/internal/testkit"
)

// TestNetworkOutput checks the `network` description: the planner's summary
// unchanged, each tunnel end's actual public IP added, the per-cloud counts,
// and the whole of it as in testdata/dev-network.golden.json.
func TestNetworkOutput(t *testing.T) {
	t.Parallel()
	d := dev(t)
	aw := await(t, d.mesh.Network)
	if aw.Secret || !aw.Known {
		t.Fatalf("Network: secret %v, known %v", aw.Secret, aw.Known)
	}
	// The golden file holds the output as exported.
	testkit.Golden(t, filepath.Join("testdata", "dev-network.golden.json"), mustJSON(t, aw.Value))
	// Work on a copy: the awaited value is shared with other tests.
	cp, err := toJSONShape(aw.Value)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := cp.(map[string]any)
	if !ok {
		t.Fatalf("Network is %T, want a map", aw.Value)
	}
	tunnels, _ := got["tunnels"].([]any)
	if len(tunnels) != len(d.allTunnels()) {
		t.Fatalf("%d tunnels described, %d planned", len(tunnels), len(d.allTunnels()))
	}
	// Each end's public IP is the one its side actually has.
	for i, tun := range d.allTunnels() {
		desc, _ := tunnels[i].(map[string]any)
		for side, e := range map[string]view{"a": d.view(t, tun, tun.A), "b": d.view(t, tun, tun.B)} {
			end, _ := desc[side].(map[string]any)
			if end[NetworkPublicIP] != e.ownIP || e.ownIP == "" {
				t.Errorf("%s end %s: publicIp %v, the gateway's is %q", tun.ID, side, end[NetworkPublicIP], e.ownIP)
			}
			delete(end, NetworkPublicIP)
		}
	}
	// Without the IPs and counts, it is the planner's summary.
	counts := got[NetworkCounts]
	delete(got, NetworkCounts)
	want, err := d.mesh.Plan.Summary().Map()
	if err != nil {
		t.Fatal(err)
	}
	if a, b := mustJSON(t, got), mustJSON(t, want); !bytes.Equal(a, b) {
		t.Errorf("Network without public IPs differs from the plan's summary:\n%s\nwant\n%s", a, b)
	}
	wantCounts, err := toJSONShape(d.mesh.Plan.Counts())
	if err != nil {
		t.Fatal(err)
	}
	if a, b := mustJSON(t, counts), mustJSON(t, wantCounts); !bytes.Equal(a, b) {
		t.Errorf("counts %s, want %s", a, b)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}
