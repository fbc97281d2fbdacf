package vpn

import (
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/components/recorder"
)

// sideOf returns the cell whose side r is on: the cell of its gateway
// sub-component, or, under a peering, the cell whose network or VPC it
// names. "" for the keys.
func (d *deployment) sideOf(t *testing.T, r *recorder.Resource) string {
	t.Helper()
	comp := d.rec.Component(r)
	if comp == nil {
		return ""
	}
	switch comp.Type {
	case AWSGatewayType, AzureGatewayType, GCPGatewayType:
		return strings.TrimPrefix(comp.Name, testMesh+"-")
	case PeeringType:
		for _, c := range devCells {
			if in(r, "network") == gcpNetwork(c.id) {
				return c.id
			}
		}
		t.Errorf("%s: cannot tell which cell's side it is on", r.Name)
	}
	return ""
}

// TestEveryChildUnderTheMesh checks the component tree: every resource but
// the providers hangs below the mesh, gateway resources below their cell's
// sub-component, and the keys directly under the mesh.
func TestEveryChildUnderTheMesh(t *testing.T) {
	t.Parallel()
	d := dev(t)
	if d.comp == nil {
		t.Fatal("no mesh component")
	}
	below := map[string]bool{}
	for _, r := range d.rec.Descendants(d.comp.URN) {
		below[r.URN] = true
	}
	n := 0
	for _, r := range d.rec.Resources() {
		if r.IsProvider() || r.URN == d.comp.URN {
			continue
		}
		n++
		if !below[r.URN] {
			t.Errorf("%s %s is not under the mesh", r.Type, r.Name)
		}
		if r.Type == tPassword && r.Parent != d.comp.URN {
			t.Errorf("key %s is not a direct child of the mesh", r.Name)
		}
	}
	if n < 100 {
		t.Errorf("only %d resources recorded; the dev mesh has well over 100", n)
	}
	for _, typ := range []string{AWSGatewayType, AzureGatewayType, GCPGatewayType} {
		for _, g := range d.rec.OfType(typ) {
			if g.Parent != d.comp.URN {
				t.Errorf("%s is not a direct child of the mesh", g.Name)
			}
		}
	}
}

// TestEachSideOnItsProvider checks every cloud resource is registered with
// the explicit provider of the cell whose side it is on, and that no
// resource uses a default provider of a cloud.
func TestEachSideOnItsProvider(t *testing.T) {
	t.Parallel()
	d := dev(t)
	for _, r := range d.rec.Resources() {
		if r.IsProvider() || !r.Custom || r.Type == tPassword {
			continue
		}
		side := d.sideOf(t, r)
		p := d.rec.ProviderOf(r)
		if p == nil {
			t.Errorf("%s %s uses a default provider", r.Type, r.Name)
			continue
		}
		if p.Name != providerName(side) {
			t.Errorf("%s %s is on %s, want the provider of %s", r.Type, r.Name, p.Name, side)
		}
	}
}

// TestTags checks every resource that takes tags or labels carries the
// standard cellfabric tags of its side's cell and the extra tags.
func TestTags(t *testing.T) {
	t.Parallel()
	d := dev(t)
	cloudOf := map[string]string{}
	for _, c := range devCells {
		cloudOf[c.id] = string(c.cloud)
	}
	taggable := map[string]string{
		tVGW: "tags", tCGW: "tags", tVPNConn: "tags", tSGIn: "tags", tSGOut: "tags", tPCX: "tags", tPCXAccept: "tags",
		tPIP: "tags", tVNG: "tags", tLNG: "tags", tAzConn: "tags",
		tExtGW: "labels", tTunnel: "labels",
	}
	n := 0
	for _, r := range d.rec.Resources() {
		field, ok := taggable[r.Type]
		if !ok {
			continue
		}
		n++
		side := d.sideOf(t, r)
		want := map[string]string{cell.TagCell: side, cell.TagCloud: cloudOf[side], cell.TagStack: testStack, "team": "platform", "env": "dev"}
		for k, v := range want {
			if got := in(r, field, k); got != v {
				t.Errorf("%s %s: %s[%s] = %q, want %q", r.Type, r.Name, field, k, got, v)
			}
		}
	}
	if n < 50 {
		t.Errorf("only %d taggable resources checked", n)
	}
}
