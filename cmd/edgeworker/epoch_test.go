//go:build !(js && wasm)

package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/router/edgeauth"
)

// entryAt is a directory value at a placement epoch.
func entryAt(id, cell string, epoch int64, extra string) []byte {
	return []byte(fmt.Sprintf(`{"id":%q,"cell":%q,"epoch":%d%s}`, id, cell, epoch, extra))
}

// Every attempt is signed with the placement epoch of the decision it is
// made on: a directory tenant's entry's (v2, X-Tenant-Epoch), none for a
// tenant of the registry (v1), as the cell verifies it.
func TestAttemptsCarryTheEpoch(t *testing.T) {
	t.Parallel()
	v, err := edgeauth.NewVerifier([]edgeauth.Key{unitKey}, edgeauth.VerifierOptions{Now: newClock().now})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, tenant string
		dir          []byte // t/<tenant> in the directory, nil: none
		epoch        int64
		version      string
	}{
		{name: "directory tenant", tenant: "acme", dir: entryAt("acme", "cell-b", 7, ""), epoch: 7, version: "v2,"},
		{name: "directory tenant at epoch 0", tenant: "acme", dir: entryAt("acme", "cell-b", 0, ""), epoch: 0, version: "v1,"},
		{name: "registry tenant", tenant: "solo", epoch: 0, version: "v1,"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, _, _ := newTestEdge(t, "")
			e.signer, _ = edgeauth.NewSigner(unitKey, newClock().now)
			if tt.dir != nil {
				dirOf(e).set("t/"+tt.tenant, tt.dir)
			}
			up := &fakeUpstream{}
			res := e.serve(inbound{Method: "GET", URL: "https://edge.example/x", Header: headers{"X-Tenant-Id": tt.tenant}}, up)
			if res.Refusal != nil || len(up.attempts) != 1 {
				t.Fatalf("refusal %+v, %d attempts", res.Refusal, len(up.attempts))
			}
			a := up.attempts[0]
			if a.Epoch != tt.epoch || !strings.HasPrefix(a.Signature, tt.version) {
				t.Fatalf("attempt epoch %d signature %q, want epoch %d signed %s", a.Epoch, a.Signature, tt.epoch, tt.version)
			}
			got, err := cellChecks(v, "GET", a)
			if err != nil || got.Tenant != tt.tenant || got.Epoch != tt.epoch {
				t.Fatalf("the cell verifies %+v, %v; want tenant %q epoch %d", got, err, tt.tenant, tt.epoch)
			}
		})
	}
}
