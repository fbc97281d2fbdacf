package router

import (
	"encoding/json"
	"testing"
)

// TestTenantChangeWire: the journal's JSON round-trips, a removal carries
// no entry, and only a higher epoch replaces what a reader holds.
func TestTenantChangeWire(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		in   string
		want TenantChange
	}{
		{"entry", `{"id":"newco","epoch":3,"entry":{"id":"newco","cell":"aws-use1","epoch":3}}`,
			TenantChange{ID: "newco", Epoch: 3, Entry: &Tenant{ID: "newco", Cell: "aws-use1", Epoch: 3}}},
		{"removal", `{"id":"newco","epoch":4,"removed":true}`, TenantChange{ID: "newco", Epoch: 4, Removed: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got TenantChange
			if err := json.Unmarshal([]byte(tt.in), &got); err != nil {
				t.Fatal(err)
			}
			if got.ID != tt.want.ID || got.Epoch != tt.want.Epoch || got.Removed != tt.want.Removed ||
				(got.Entry == nil) != (tt.want.Entry == nil) || (got.Entry != nil && got.Entry.Cell != tt.want.Entry.Cell) {
				t.Fatalf("decoded %+v, want %+v", got, tt.want)
			}
			out, _ := json.Marshal(got)
			if string(out) != tt.in {
				t.Errorf("encoded %s, want %s", out, tt.in)
			}
		})
	}
	c := TenantChange{ID: "newco", Epoch: 5}
	if !c.Newer(0) || !c.Newer(4) || c.Newer(5) || c.Newer(6) {
		t.Error("Newer must hold only for a held epoch below the change's")
	}
}
