package vpn

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/components/recorder"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// keyRe is what every cloud accepts (AWS's rule): letters, digits, '.' and
// '_', 8–64 long, not starting with '0'.
var keyRe = regexp.MustCompile(`^[A-Za-z0-9._]{8,64}$`)

// TestKeysSecretEverywhere takes every generated key and checks it appears
// only under a secret marker in every recorded input and output, exactly at
// the two ends of its tunnel (each end's input and the output the engine
// echoes) and in its own password resource, and nowhere in Network.
func TestKeysSecretEverywhere(t *testing.T) {
	t.Parallel()
	d := dev(t)
	pws := d.rec.OfType(tPassword)
	if len(pws) != len(d.allTunnels()) {
		t.Fatalf("%d keys for %d tunnels", len(pws), len(d.allTunnels()))
	}
	network := await(t, d.mesh.Network)
	if network.Secret || !network.Known {
		t.Errorf("Network is secret %v, known %v; want a plain, known value", network.Secret, network.Known)
	}
	netJSON, err := json.Marshal(network.Value)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, pw := range pws {
		key := out(pw, "result")
		if v := pw.Outputs["result"]; !v.IsSecret() {
			t.Errorf("%s: result is not secret", pw.Name)
		}
		if len(key) != KeyLength || !keyRe.MatchString(key) || key[0] == '0' {
			t.Errorf("%s: key of %d characters does not meet every cloud's rule", pw.Name, len(key))
		}
		if seen[key] {
			t.Errorf("%s: key reused", pw.Name)
		}
		seen[key] = true
		hits := 0
		for _, r := range d.rec.Resources() {
			for what, m := range map[string]resource.PropertyMap{"input": r.Inputs, "output": r.Outputs} {
				found, n := recorder.Leaks(resource.NewObjectProperty(m), key, r.Type+" "+r.Name+" "+what)
				hits += n
				for _, p := range found {
					t.Errorf("key of %s in plain text at %s", pw.Name, p)
				}
			}
		}
		// The password's result, and each of the two ends' input and echoed
		// output.
		if hits != 5 {
			t.Errorf("key of %s found (secret) in %d places, want 5: its result and both ends' input and output", pw.Name, hits)
		}
		if strings.Contains(string(netJSON), key) {
			t.Errorf("key of %s in the Network output", pw.Name)
		}
	}
}

// TestKeyArgs checks the generator's settings, which the recorder's fake
// does not fully model: 48 characters, no digit (so never a leading '0'),
// '.' and '_' the only punctuation.
func TestKeyArgs(t *testing.T) {
	t.Parallel()
	d := dev(t)
	for _, pw := range d.rec.OfType(tPassword) {
		want := map[string]any{"length": float64(48), "numeric": false, "special": true, "overrideSpecial": "._", "upper": true, "lower": true}
		for k, v := range want {
			if got := at(pw.Inputs, k); got != v {
				t.Errorf("%s: %s = %v, want %v", pw.Name, k, got, v)
			}
		}
		if p := d.rec.ProviderOf(pw); p != nil {
			t.Errorf("%s uses provider %s; keys use the random provider passed in opts or the default", pw.Name, p.Name)
		}
	}
}
