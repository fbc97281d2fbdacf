package stacks_test

import (
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/stacks"
)

// TestExtraKeyIDAccepted: a valid extra key id passes in every role, with
// or without the edge, and leaves the key id alone.
func TestExtraKeyIDAccepted(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		role  string
		keyID string
		extra string
	}{
		{name: "role all, rotation step 1", role: "all", extra: "k2"},
		{name: "role all, rotation step 2", role: "all", keyID: "k2", extra: "k1"},
		{name: "role cell", role: "cell", extra: "2024-06.rotation_b"},
		{name: "longest id", role: "all", extra: strings.Repeat("x", 32)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			edge := `{"accountId":"a","zoneId":"z","domain":"example.com","extraKeyId":"` + tc.extra + `"`
			if tc.keyID != "" {
				edge += `,"keyId":"` + tc.keyID + `"`
			}
			edge += "}"
			cfg := map[string]string{
				stacks.KeyRole:  tc.role,
				stacks.KeyCells: `[{"id":"aws-use1","cloud":"aws","region":"us-east-1","cidr":"10.10.0.0/16","image":"img:1"}]`,
				stacks.KeyEdge:  edge,
			}
			if tc.role == "cell" {
				cfg[stacks.KeyCell] = "aws-use1"
			}
			topo, err := stacks.FromConfig("p", "s", func(k string) (string, bool) { v, ok := cfg[k]; return v, ok })
			if err != nil {
				t.Fatal(err)
			}
			if topo.Edge.ExtraKeyID != tc.extra {
				t.Errorf("extraKeyId = %q, want %q", topo.Edge.ExtraKeyID, tc.extra)
			}
			want := tc.keyID
			if want == "" {
				want = fabric.DefaultKeyID
			}
			if topo.Edge.KeyID != want {
				t.Errorf("keyId = %q, want %q", topo.Edge.KeyID, want)
			}
		})
	}
}

// TestEdgeExtraKeyIsAKnownSecretKey: a stack file may hold
// cellfabric:edgeExtraKey, and its encrypted value is recognised as secret.
func TestEdgeExtraKeyIsAKnownSecretKey(t *testing.T) {
	t.Parallel()
	sf, err := stacks.ParseStackFile([]byte("config:\n  cellfabric:edgeExtraKey:\n    secure: v1:abcdef\n"))
	if err != nil {
		t.Fatal(err)
	}
	full := stacks.Namespace + ":" + stacks.KeyEdgeExtraKey
	if len(sf.Secrets) != 1 || sf.Secrets[0] != full || sf.Config[full] != stacks.SecretPlaceholder {
		t.Fatalf("secrets %v, config %v", sf.Secrets, sf.Config)
	}
}
