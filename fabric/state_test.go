package fabric

import "testing"

func TestStates(t *testing.T) {
	t.Parallel()
	for _, s := range CellStates {
		if !s.Valid() || s.OrDefault() != s {
			t.Errorf("cell state %q: Valid %v, OrDefault %q", s, s.Valid(), s.OrDefault())
		}
	}
	for _, s := range TenantStates {
		if !s.Valid() || s.OrDefault() != s {
			t.Errorf("tenant state %q: Valid %v, OrDefault %q", s, s.Valid(), s.OrDefault())
		}
	}
	for _, p := range Policies {
		if !p.Valid() || p.OrDefault() != p {
			t.Errorf("policy %q: Valid %v, OrDefault %q", p, p.Valid(), p.OrDefault())
		}
	}
	if CellState("").OrDefault() != CellActive || TenantState("").OrDefault() != TenantActive || Policy("").OrDefault() != PolicyReject {
		t.Error("the empty value does not default to active / active / reject")
	}
	for _, bad := range []string{"Active", "up", "migrate", " active"} {
		if CellState(bad).Valid() || TenantState(bad).Valid() || Policy(bad).Valid() {
			t.Errorf("%q is accepted as a state or policy", bad)
		}
	}
	for _, c := range Clouds {
		if !c.Valid() {
			t.Errorf("cloud %q is not valid", c)
		}
	}
	if Cloud("oracle").Valid() || Cloud("").Valid() || Cloud("AWS").Valid() {
		t.Error("an unknown cloud is valid")
	}
	if AWS.Rank() != 0 || GCP.Rank() != 2 || Cloud("x").Rank() != -1 {
		t.Error("cloud ranks are not the canonical order")
	}
}
