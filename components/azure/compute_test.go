package azure

import (
	"slices"
	"strings"
	"testing"

	app "github.com/pulumi/pulumi-azure-native-sdk/app/v2/v20240301"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/workload/state/contract"
)

// TestContainerApp checks the app's concrete inputs: the contract's image,
// environment, health probes, autoscaling, ingress and identity.
func TestContainerApp(t *testing.T) {
	t.Parallel()
	r := mustShared(t)
	ca := r.One(t, tApp)
	env := r.One(t, tEnv)
	identity := r.One(t, tIdentity)

	if got := s(ca, "template", "containers", 0, "image"); got != testImage {
		t.Errorf("image = %q, want cell.Args.Image %q", got, testImage)
	}
	if n := len(in(ca, "template", "containers").ArrayValue()); n != 1 {
		t.Errorf("%d containers, want 1", n)
	}
	if got := s(ca, "environmentId"); got != env.ID {
		t.Errorf("environmentId = %q, want %q", got, env.ID)
	}
	if got := s(ca, "containerAppName"); got != "ca-azure-weu" {
		t.Errorf("containerAppName = %q", got)
	}
	if got := s(ca, "workloadProfileName"); got != workloadProfile {
		t.Errorf("workloadProfileName = %q", got)
	}

	vars := map[string]string{}
	for _, e := range in(ca, "template", "containers", 0, "env").ArrayValue() {
		if v := at(e, "value"); v.IsString() {
			vars[at(e, "name").StringValue()] = v.StringValue()
		}
	}
	account := r.One(t, tAccount)
	wantVars := map[string]string{
		cell.EnvCellID:       "azure-weu",
		cell.EnvCloud:        "azure",
		cell.EnvRegion:       "westeurope",
		contract.EnvStore:    s(r.One(t, tTable), "tableName"),
		cell.EnvEdgeKeyID:    "k1",
		cell.EnvPort:         "8080",
		contract.EnvEndpoint: out(account, "primaryEndpoints", "table").StringValue(),
		EnvAzureClientID:     out(identity, "clientId").StringValue(),
		"LOG_LEVEL":          "debug",
	}
	for k, want := range wantVars {
		if vars[k] != want || want == "" {
			t.Errorf("env %s = %q, want %q", k, vars[k], want)
		}
	}
	if _, ok := vars[cell.EnvEdgeKey]; ok {
		t.Errorf("env %s has a plain value", cell.EnvEdgeKey)
	}

	kinds := []string{}
	for i := range in(ca, "template", "containers", 0, "probes").ArrayValue() {
		p := in(ca, "template", "containers", 0, "probes", i)
		kinds = append(kinds, at(p, "type").StringValue())
		if got := at(p, "httpGet", "path").StringValue(); got != "/healthz" {
			t.Errorf("%s probe path = %q", at(p, "type").StringValue(), got)
		}
		if got := at(p, "httpGet", "port"); !got.IsNumber() || got.NumberValue() != 8080 {
			t.Errorf("%s probe port = %v", at(p, "type").StringValue(), got)
		}
	}
	slices.Sort(kinds)
	if !slices.Equal(kinds, []string{"Liveness", "Readiness"}) {
		t.Errorf("probes = %v, want Liveness and Readiness", kinds)
	}

	if got := in(ca, "template", "scale", "minReplicas"); got.NumberValue() != 1 {
		t.Errorf("minReplicas = %v, want 1", got)
	}
	if got := in(ca, "template", "scale", "maxReplicas"); got.NumberValue() != 5 {
		t.Errorf("maxReplicas = %v, want 5", got)
	}
	if got := s(ca, "template", "scale", "rules", 0, "http", "metadata", "concurrentRequests"); got != "50" {
		t.Errorf("http scale rule concurrentRequests = %q", got)
	}

	ing := in(ca, "configuration", "ingress")
	if !at(ing, "external").BoolValue() || at(ing, "allowInsecure").BoolValue() {
		t.Errorf("ingress external/allowInsecure = %v/%v", at(ing, "external"), at(ing, "allowInsecure"))
	}
	if at(ing, "targetPort").NumberValue() != 8080 || at(ing, "transport").StringValue() != "http" {
		t.Errorf("ingress targetPort/transport = %v/%v", at(ing, "targetPort"), at(ing, "transport"))
	}

	if got := s(ca, "identity", "type"); got != "UserAssigned" {
		t.Errorf("identity type = %q", got)
	}
	if got := strs(in(ca, "identity", "userAssignedIdentities")); !slices.Equal(got, []string{identity.ID}) {
		t.Errorf("userAssignedIdentities = %v, want [%s]", got, identity.ID)
	}
	// The Key Vault reference needs the role assignments first.
	for _, ra := range r.Rec.OfType(tRole) {
		if !slices.Contains(ca.DependsOn, ra.URN) {
			t.Errorf("the app does not depend on role assignment %s", ra.Name)
		}
	}
}

// TestManagedEnvironment: VNet-integrated on the apps subnet, external,
// Consumption workload profile.
func TestManagedEnvironment(t *testing.T) {
	t.Parallel()
	r := mustShared(t)
	env := r.One(t, tEnv)
	apps := r.Named(t, tSubnet, "cell-apps")
	if got := s(env, "vnetConfiguration", "infrastructureSubnetId"); got != apps.ID {
		t.Errorf("infrastructureSubnetId = %q, want %q", got, apps.ID)
	}
	if v := in(env, "vnetConfiguration", "internal"); !v.IsBool() || v.BoolValue() {
		t.Errorf("internal = %v, want false", v)
	}
	if got := s(env, "workloadProfiles", 0, "name"); got != "Consumption" {
		t.Errorf("workload profile name = %q", got)
	}
	if got := s(env, "workloadProfiles", 0, "workloadProfileType"); got != "Consumption" {
		t.Errorf("workload profile type = %q", got)
	}
	gw := r.Named(t, tSubnet, "cell-gateway")
	if !slices.Contains(env.DependsOn, gw.URN) {
		t.Error("the environment does not wait for the gateway subnet (concurrent VNet updates fail)")
	}
}

// TestZoneRedundancy: zone-redundant environment and storage where the
// region has zones, regional and geo-redundant elsewhere.
func TestZoneRedundancy(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, region string
		zoned        bool
		sku          string
	}{
		{"zones and a pair", "westeurope", true, "Standard_GZRS"},
		{"no zones", "westus", false, "Standard_GRS"},
		{"zones, no pair", "italynorth", true, "Standard_ZRS"},
		{"unknown region", "atlantis", false, "Standard_GRS"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := validArgs()
			args.Region = tc.region
			r := runCell(args)
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			if got := in(r.One(t, tEnv), "zoneRedundant"); !got.IsBool() || got.BoolValue() != tc.zoned {
				t.Errorf("zoneRedundant = %v, want %v", got, tc.zoned)
			}
			if got := s(r.One(t, tAccount), "sku", "name"); got != tc.sku {
				t.Errorf("storage sku = %q, want %q", got, tc.sku)
			}
		})
	}
}

// TestEnvClash: cell.Args.Env may not set what the cell sets, above all the
// edge key in plain text.
func TestEnvClash(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		extra map[string]string
		bad   []string
	}{
		{"edge key in plain text", map[string]string{cell.EnvEdgeKey: "oops"}, []string{cell.EnvEdgeKey}},
		{"port and region", map[string]string{cell.EnvPort: "1", cell.EnvRegion: "x", "OK": "1"}, []string{cell.EnvPort, cell.EnvRegion}},
		{"client id", map[string]string{EnvAzureClientID: "x"}, []string{EnvAzureClientID}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := containerEnv(workloadEnv{CellID: "c", Extra: tc.extra})
			if err == nil {
				t.Fatal("no error")
			}
			for _, b := range tc.bad {
				if !strings.Contains(err.Error(), b) {
					t.Errorf("error %q does not name %s", err, b)
				}
			}
		})
	}
	ok, err := containerEnv(workloadEnv{CellID: "c", Port: 8080, Extra: map[string]string{"Z": "1", "A": "2"}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.IsSortedFunc(ok, func(a, b app.EnvironmentVar) int { return strings.Compare(*a.Name, *b.Name) }) {
		t.Error("environment is not sorted by name")
	}
}
