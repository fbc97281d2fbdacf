package gcp

import (
	"testing"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/workload/state/contract"
)

// TestCloudRunService checks the service's concrete inputs for a few
// capacity and port settings: the image is cell.Args.Image, the port, probes
// and scaling follow the arguments, it runs as the cell's account, egress
// goes through the cell's subnetwork, and ingress is the load balancer's.
func TestCloudRunService(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		min, max int
		port     int
		health   string
		wantPort int
		wantPath string
	}{
		{"scale to zero, defaults", 0, 0, 0, "", 8080, "/healthz"},
		{"warm floor", 2, 6, 9000, "/ready", 9000, "/ready"},
		{"fixed size", 3, 3, 8443, "/live", 8443, "/live"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := baseArgs()
			args.MinInstances, args.MaxInstances, args.Port, args.HealthPath = tc.min, tc.max, tc.port, tc.health
			norm, _, err := args.Normalize("gcp")
			if err != nil {
				t.Fatal(err)
			}
			d := deploy(t, args, false)
			svc := d.One(t, typeService)
			c := container(t, d)
			if c["image"] != testImage {
				t.Errorf("image = %v, want cell.Args.Image %s", c["image"], testImage)
			}
			ports, _ := c["ports"].([]any)
			if len(ports) != 1 || ports[0].(map[string]any)["containerPort"] != float64(tc.wantPort) {
				t.Errorf("ports = %v, want %d", ports, tc.wantPort)
			}
			for _, probe := range []string{"startupProbe", "livenessProbe"} {
				p, _ := c[probe].(map[string]any)
				get, _ := p["httpGet"].(map[string]any)
				if get["path"] != tc.wantPath || get["port"] != float64(tc.wantPort) {
					t.Errorf("%s = %v, want GET %s on %d", probe, p, tc.wantPath, tc.wantPort)
				}
			}
			if got := num(svc, "template", "scaling", "minInstanceCount"); got != float64(norm.MinInstances) {
				t.Errorf("min instances %v, want %d", got, norm.MinInstances)
			}
			if got := num(svc, "template", "scaling", "maxInstanceCount"); got != float64(norm.MaxInstances) {
				t.Errorf("max instances %v, want %d", got, norm.MaxInstances)
			}
			if got := str(svc, "ingress"); got != "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER" {
				t.Errorf("ingress = %q: the service must take traffic from the load balancer only", got)
			}
			if got := str(svc, "location"); got != testRegion {
				t.Errorf("location = %q", got)
			}
			if got, want := str(svc, "template", "serviceAccount"), plainOut(d.One(t, typeAccount), "email"); got != want || got == "" {
				t.Errorf("service account = %q, want the cell's %q", got, want)
			}
			nics := objs(svc, "template", "vpcAccess", "networkInterfaces")
			if len(nics) != 1 || nics[0]["network"] != str(d.One(t, typeNetwork), "name") || nics[0]["subnetwork"] != str(d.One(t, typeSubnetwork), "name") {
				t.Errorf("network interfaces = %v, want the cell's network and subnetwork", nics)
			}
			if got := str(svc, "template", "vpcAccess", "egress"); got != "PRIVATE_RANGES_ONLY" {
				t.Errorf("egress = %q", got)
			}
		})
	}
}

// TestWorkloadEnvironment: the contract's variables with their values,
// cell.Args.Env, no PORT (Cloud Run sets it from the container port), and
// the edge key only as a reference to the cell's secret.
func TestWorkloadEnvironment(t *testing.T) {
	t.Parallel()
	d := deploy(t, baseArgs(), false)
	n := newNames("cellfabric", testStack, "gcp-euw1", testHostname)
	envs, _ := container(t, d)["envs"].([]any)
	plainEnv := map[string]string{}
	var refs []map[string]any
	for _, e := range envs {
		m := e.(map[string]any)
		name := m["name"].(string)
		if src, ok := m["valueSource"]; ok && src != nil {
			if _, hasValue := m["value"]; hasValue {
				t.Errorf("%s has both a value and a source", name)
			}
			refs = append(refs, m)
			continue
		}
		if _, dup := plainEnv[name]; dup {
			t.Errorf("%s set twice", name)
		}
		plainEnv[name] = m["value"].(string)
	}
	want := map[string]string{
		cell.EnvCellID:    "gcp-euw1",
		cell.EnvCloud:     "gcp",
		cell.EnvRegion:    testRegion,
		contract.EnvStore: n.Database,
		// The state port's Firestore adapter finds the database by id
		// and project; the cell's Cloud Logging trace field names the
		// same project.
		contract.EnvKind:    "firestore",
		contract.EnvProject: testProject,
		cell.EnvEdgeKeyID:   "k2",
		"LOG_LEVEL":         "debug",
	}
	for k, v := range want {
		if plainEnv[k] != v {
			t.Errorf("env %s = %q, want %q", k, plainEnv[k], v)
		}
	}
	if len(plainEnv) != len(want) {
		t.Errorf("plain env = %v, want exactly %v", plainEnv, want)
	}
	if _, ok := plainEnv[cell.EnvPort]; ok {
		t.Error("PORT is set in the spec; Cloud Run reserves it")
	}
	if _, ok := plainEnv[cell.EnvEdgeKey]; ok {
		t.Fatal("the edge key is plain environment")
	}
	if len(refs) != 1 || refs[0]["name"] != cell.EnvEdgeKey {
		t.Fatalf("secret references = %v, want only %s", refs, cell.EnvEdgeKey)
	}
	ref := refs[0]["valueSource"].(map[string]any)["secretKeyRef"].(map[string]any)
	if ref["secret"] != n.Secret || ref["version"] != "latest" {
		t.Errorf("edge key reference = %v, want secret %s version latest", ref, n.Secret)
	}
	if got := str(d.One(t, typeSecret), "secretId"); got != n.Secret {
		t.Errorf("the reference names %s but the secret is %s", n.Secret, got)
	}
}

// TestServiceWaitsForItsGrants: the service depends on the secret's value
// and on both IAM grants, so its first revision can read them.
func TestServiceWaitsForItsGrants(t *testing.T) {
	t.Parallel()
	d := deploy(t, baseArgs(), false)
	svc := d.One(t, typeService)
	for _, typ := range []string{typeSecretVersion, typeSecretIAM, typeProjectIAM} {
		dep := d.One(t, typ)
		found := false
		for _, u := range svc.DependsOn {
			found = found || u == dep.URN
		}
		if !found {
			t.Errorf("the service does not depend on %s", typ)
		}
	}
}

// TestInvoker: allUsers may invoke this service (the load balancer does not
// authenticate), and only this one; no other member holds the role.
func TestInvoker(t *testing.T) {
	t.Parallel()
	d := deploy(t, baseArgs(), false)
	inv := d.One(t, typeServiceIAM)
	if str(inv, "role") != "roles/run.invoker" || str(inv, "member") != "allUsers" {
		t.Errorf("invoker binding = %v", inv.Inputs)
	}
	if str(inv, "name") != str(d.One(t, typeService), "name") || str(inv, "location") != testRegion {
		t.Errorf("invoker binding is not on the cell's service: %v", inv.Inputs)
	}
}

// TestNilEnvIsFine: cell.Args.Env is optional.
func TestNilEnvIsFine(t *testing.T) {
	t.Parallel()
	args := baseArgs()
	args.Env = nil
	d := deploy(t, args, false)
	envs, _ := container(t, d)["envs"].([]any)
	if len(envs) != 8 {
		t.Errorf("%d variables, want the 7 contract ones (identity, key id, state store) and the edge key", len(envs))
	}
}
