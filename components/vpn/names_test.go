package vpn

import (
	"regexp"
	"strings"
	"testing"
)

var gcpNameRe = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)

func TestGCPName(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("abcdefghij", 4) + "-to-" + strings.Repeat("klmnopqrst", 2) + "-t3-bgp"
	tests := []struct {
		name, scope, stem string
		prefix            string // the name must start with it
	}{
		{name: "short", scope: "p\x00dev\x00mesh", stem: "gcp-euw1-router", prefix: "gcp-euw1-router-"},
		{name: "longest cell ids", scope: "p\x00dev\x00mesh", stem: long, prefix: long[:40]},
		{name: "cut at a hyphen", scope: "p\x00dev\x00mesh", stem: strings.Repeat("a", 55) + "-b-tunnel", prefix: strings.Repeat("a", 55) + "-"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n := gcpName(tc.scope, tc.stem)
			if len(n) > maxGCPName || !gcpNameRe.MatchString(n) || strings.Contains(n, "--") || !strings.HasPrefix(n, tc.prefix) {
				t.Errorf("gcpName = %q (%d chars): want a valid name of at most 63 starting %q", n, len(n), tc.prefix)
			}
			if gcpName(tc.scope, tc.stem) != n {
				t.Error("not deterministic")
			}
			if gcpName(tc.scope+"x", tc.stem) == n {
				t.Error("another stack or mesh gets the same name")
			}
		})
	}
}

// TestPhysicalNamesValid checks every GCP and Azure name the dev mesh sets.
func TestPhysicalNamesValid(t *testing.T) {
	t.Parallel()
	d := dev(t)
	azureNameRe := regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,78}[A-Za-z0-9_]$`)
	seen := map[string]string{}
	for _, r := range d.rec.Resources() {
		var name string
		switch {
		case strings.HasPrefix(r.Type, "gcp:compute/"):
			name = in(r, "name")
			if !gcpNameRe.MatchString(name) || len(name) > maxGCPName {
				t.Errorf("%s: GCP name %q", r.Name, name)
			}
		case strings.HasPrefix(r.Type, "azure-native:network:"):
			for _, k := range []string{"publicIpAddressName", "virtualNetworkGatewayName", "localNetworkGatewayName", "virtualNetworkGatewayConnectionName", "securityRuleName", "virtualNetworkPeeringName"} {
				if v := in(r, k); v != "" {
					name = v
				}
			}
			if !azureNameRe.MatchString(name) {
				t.Errorf("%s: Azure name %q", r.Name, name)
			}
		default:
			continue
		}
		key := r.Type + " " + name
		if prev, dup := seen[key]; dup {
			t.Errorf("%s and %s share the name %q", prev, r.Name, name)
		}
		seen[key] = r.Name
	}
}

func TestGCPLabels(t *testing.T) {
	t.Parallel()
	tg := tagger{cell: "gcp-euw1", stack: "Prod.EU", cloud: "gcp", extra: map[string]string{"Cost Centre": "R&D", "cellfabric-cell": "spoofed"}}
	got := tg.gcpLabels()
	want := map[string]string{"cellfabric-cell": "gcp-euw1", "cellfabric-cloud": "gcp", "cellfabric-stack": "prod_eu", "cost_centre": "r_d"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("label %s = %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("labels %v, want %v", got, want)
	}
}

func TestArmSubscription(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, id, want string
		ok             bool
	}{
		{name: "subnet id", id: "/subscriptions/abc/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/GatewaySubnet", want: "abc", ok: true},
		{name: "any case", id: "/SUBSCRIPTIONS/abc/resourceGroups/rg", want: "abc", ok: true},
		{name: "empty", id: ""},
		{name: "a name, not an id", id: "GatewaySubnet"},
		{name: "no subscription", id: "/subscriptions//resourceGroups/rg"},
		{name: "another scope", id: "/providers/Microsoft.Management/managementGroups/x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := armSubscription(tc.id)
			if (err == nil) != tc.ok || got != tc.want {
				t.Errorf("armSubscription(%q) = %q, %v; want %q, ok %v", tc.id, got, err, tc.want, tc.ok)
			}
		})
	}
}

// FuzzArmSubscription: the id comes from outside (a StackReference, an
// operator's config); the parser never panics and returns a bare segment.
func FuzzArmSubscription(f *testing.F) {
	for _, s := range []string{"/subscriptions/x/resourceGroups/y", "", "/", "subscriptions/a", "/subscriptions/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		sub, err := armSubscription(id)
		if err == nil && (sub == "" || strings.Contains(sub, "/")) {
			t.Errorf("armSubscription(%q) = %q without error", id, sub)
		}
	})
}
