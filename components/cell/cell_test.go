package cell_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/components/recorder"
	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/workload/state/contract"
)

// validArgs is a Args every cloud accepts; each case below changes one
// thing about its keys.
func validArgs() cell.Args {
	return cell.Args{
		ID:           "aws-use1",
		Region:       "us-east-1",
		CIDR:         "10.10.0.0/16",
		Hostname:     "aws-use1.cells.example.com",
		Image:        pulumi.String("img:1"),
		EdgeKey:      pulumi.ToSecret(pulumi.String("current-secret-0123456789")).(pulumi.StringOutput),
		IngressCIDRs: pulumi.ToStringArray([]string{"173.245.48.0/20", "2400:cb00::/32"}),
	}
}

func secret(s string) pulumi.StringOutput {
	return pulumi.ToSecret(pulumi.String(s)).(pulumi.StringOutput)
}

// TestNormalizeEdgeKeys: the key ids follow stacks' rule, and the extra key
// comes with its id or not at all, under an id of its own.
func TestNormalizeEdgeKeys(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		mutate  func(*cell.Args)
		wantErr string // "" when the args are valid
		extra   bool   // HasExtraEdgeKey after Normalize
	}{
		{name: "one key, default id", mutate: func(*cell.Args) {}},
		{name: "extra key", mutate: func(a *cell.Args) { a.ExtraEdgeKey = secret("next-secret-0123456789"); a.ExtraEdgeKeyID = "k2" }, extra: true},
		{name: "rotation step 2: k2 current, k1 extra", mutate: func(a *cell.Args) {
			a.EdgeKeyID = "k2"
			a.ExtraEdgeKey = secret("old-secret-0123456789")
			a.ExtraEdgeKeyID = "k1"
		}, extra: true},
		{name: "bad key id", mutate: func(a *cell.Args) { a.EdgeKeyID = "k 1" }, wantErr: "EdgeKeyID"},
		{name: "extra id without key", mutate: func(a *cell.Args) { a.ExtraEdgeKeyID = "k2" }, wantErr: "ExtraEdgeKey: missing"},
		{name: "extra key without id", mutate: func(a *cell.Args) { a.ExtraEdgeKey = secret("next-secret-0123456789") }, wantErr: "ExtraEdgeKeyID: missing"},
		{name: "bad extra id", mutate: func(a *cell.Args) { a.ExtraEdgeKey = secret("next-secret-0123456789"); a.ExtraEdgeKeyID = "k2=x" }, wantErr: "ExtraEdgeKeyID"},
		{name: "extra id is the default key id", mutate: func(a *cell.Args) { a.ExtraEdgeKey = secret("next-secret-0123456789"); a.ExtraEdgeKeyID = "k1" }, wantErr: "also EdgeKeyID"},
		{name: "extra id is the explicit key id", mutate: func(a *cell.Args) {
			a.EdgeKeyID = "k7"
			a.ExtraEdgeKey = secret("next-secret-0123456789")
			a.ExtraEdgeKeyID = "k7"
		}, wantErr: "also EdgeKeyID"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := validArgs()
			tc.mutate(&a)
			got, _, err := a.Normalize(fabric.AWS)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("valid args refused: %v", err)
				}
				if got.HasExtraEdgeKey() != tc.extra {
					t.Errorf("HasExtraEdgeKey = %v, want %v", got.HasExtraEdgeKey(), tc.extra)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("want an error containing %q, got %v", tc.wantErr, err)
			}
		})
	}
}

// TestNormalizeHostnameAndIngress: the hostname is checked where the cloud
// certifies it, the edge ranges on every cloud when they are literals.
func TestNormalizeHostnameAndIngress(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		cloud   fabric.Cloud
		mutate  func(*cell.Args)
		wantErr string // "" when the args are valid
	}{
		{name: "aws: no hostname", cloud: fabric.AWS, mutate: func(a *cell.Args) { a.Hostname = "" }, wantErr: "Hostname: missing: cells on aws"},
		{name: "gcp: hostname with scheme", cloud: fabric.GCP, mutate: func(a *cell.Args) { a.Hostname = "https://x.example.com" }, wantErr: "not a lowercase DNS name"},
		{name: "aws: wildcard hostname", cloud: fabric.AWS, mutate: func(a *cell.Args) { a.Hostname = "*.example.com" }, wantErr: "not a lowercase DNS name"},
		{name: "gcp: trailing dot", cloud: fabric.GCP, mutate: func(a *cell.Args) { a.Hostname = "x.example.com." }, wantErr: "not a lowercase DNS name"},
		{name: "azure: hostname is informational", cloud: fabric.Azure, mutate: func(a *cell.Args) { a.Hostname = "Not A Host" }},
		{name: "azure: no ingress", cloud: fabric.Azure, mutate: func(a *cell.Args) { a.IngressCIDRs = nil }, wantErr: "IngressCIDRs: missing"},
		{name: "gcp: open ingress", cloud: fabric.GCP, mutate: func(a *cell.Args) { a.IngressCIDRs = pulumi.ToStringArray([]string{"0.0.0.0/0"}) }, wantErr: "IngressCIDRs: ingressCIDRs[0]: 0.0.0.0/0 is too broad"},
		{name: "aws: ingress as an Output waits for deploy time", cloud: fabric.AWS, mutate: func(a *cell.Args) {
			a.IngressCIDRs = pulumi.ToStringArray([]string{"0.0.0.0/0"}).ToStringArrayOutput()
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := validArgs()
			tc.mutate(&a)
			_, _, err := a.Normalize(tc.cloud)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("valid args refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("want an error containing %q, got %v", tc.wantErr, err)
			}
		})
	}
}

// TestExtraEdgeKeyEntry: the stored entry is "id=secret", secret even when
// the caller passed a plain value, and it is what edgeauth reads from
// CELLFABRIC_EDGE_KEYS.
func TestExtraEdgeKeyEntry(t *testing.T) {
	t.Parallel()
	const value = "next-secret-0123456789"
	cases := []struct {
		name string
		key  pulumi.StringInput
	}{
		{name: "secret input", key: secret(value)},
		{name: "plain input is made secret", key: pulumi.String(value)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := validArgs()
			a.ExtraEdgeKey, a.ExtraEdgeKeyID = tc.key, "k2"
			aw, err := recorder.Await(a.ExtraEdgeKeyEntry())
			if err != nil {
				t.Fatal(err)
			}
			if !aw.Secret {
				t.Fatal("the extra key entry is not secret")
			}
			if aw.Value != "k2="+value {
				t.Fatalf("entry does not hold k2 and the secret")
			}
			keys, err := edgeauth.KeysFromEnv(func(name string) string {
				return map[string]string{cell.EnvEdgeKey: "current-secret-0123456789", cell.EnvEdgeKeys: aw.Value.(string)}[name]
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) != 2 || keys[0].ID != fabric.DefaultKeyID || keys[1].ID != "k2" || string(keys[1].Secret) != value {
				t.Fatalf("a cell would accept %v", keys)
			}
		})
	}
}

// TestEnvNamesMatchEdgeauth: the contract may not import router/edgeauth,
// so its variable names and key limits are its own constants; they must be
// the ones edgeauth applies.
func TestEnvNamesMatchEdgeauth(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, contract, edgeauth string }{
		{"key", cell.EnvEdgeKey, edgeauth.EnvKey},
		{"key id", cell.EnvEdgeKeyID, edgeauth.EnvKeyID},
		{"extra keys", cell.EnvEdgeKeys, edgeauth.EnvKeys},
		{"default id", fabric.DefaultKeyID, edgeauth.DefaultKeyID},
		{"shortest secret", fmt.Sprint(cell.MinEdgeKeyBytes), fmt.Sprint(edgeauth.MinSecretBytes)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.contract != tc.edgeauth {
				t.Errorf("contract says %q, edgeauth reads %q", tc.contract, tc.edgeauth)
			}
		})
	}
}

// TestCheckEnv: a name of ReservedEnv or of the cloud's own list is
// refused with who sets it, every clash at once in name order; other
// names pass.
func TestCheckEnv(t *testing.T) {
	t.Parallel()
	own := map[string]string{"K_SERVICE": "set by Cloud Run", cell.EnvPort: "set by Cloud Run from the container port"}
	cases := []struct {
		name  string
		names []string
		want  string // "" when accepted
	}{
		{name: "none", names: nil},
		{name: "free names", names: []string{"LOG_LEVEL", "A"}},
		{name: "reserved", names: []string{cell.EnvCellID}, want: cell.EnvCellID + " is set by the cell; remove it from cell.Args.Env"},
		{name: "state store", names: []string{"X", contract.EnvStore}, want: contract.EnvStore + " is set by the cell"},
		{name: "the cloud's own", names: []string{"K_SERVICE"}, want: "K_SERVICE is set by Cloud Run;"},
		{name: "own says it for a reserved name", names: []string{cell.EnvPort}, want: "PORT is set by Cloud Run from the container port;"},
		{name: "every clash, sorted", names: []string{cell.EnvRegion, "OK", cell.EnvCloud}, want: cell.EnvCloud + " is set by the cell; remove it from cell.Args.Env\n" + cell.EnvRegion + " is set by the cell"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := cell.CheckEnv(tc.names, own)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an error containing %q, got %v", tc.want, err)
			}
		})
	}
}
