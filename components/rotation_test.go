package components_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/components/internal/celltest"
	"github.com/cellfabric/cellfabric/components/recorder"
	"github.com/cellfabric/cellfabric/fabric"
)

// extraKeySecret is the extra edge key's secret in the rotation cases.
const extraKeySecret = "rotation-next-key-5c2e81f0a9d4b7"

// keyFacts is what a cell did with its edge keys, read from the recorded
// resources the same way on every cloud.
type keyFacts struct {
	entries   int                    // secret-store entries (secrets) under the cell
	extra     *recorder.Resource     // the entry named for the extra key; nil when absent
	value     resource.PropertyValue // the value stored in that entry
	ref       string                 // what a workload reference to that entry names
	grantee   string                 // what an access grant on that entry names
	plainEnv  map[string]string      // workload variables with a plain value
	secretEnv map[string]string      // workload variables read from the store: name → reference
	readable  []string               // the store entries the workload identity may read
}

// TestExtraEdgeKey runs every cloud's cell with and without an extra edge
// key: with one, a second secret-store entry holds "k2=<secret>" as a
// secret, the workload reads it as CELLFABRIC_EDGE_KEYS by reference and
// its identity may read that entry; without one, none of it exists.
func TestExtraEdgeKey(t *testing.T) {
	t.Parallel()
	for _, c := range clouds {
		for _, withExtra := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/extra=%v", c.cloud, withExtra), func(t *testing.T) {
				t.Parallel()
				args := commonArgs(c.region)
				if withExtra {
					args.ExtraEdgeKey = pulumi.ToSecret(pulumi.String(extraKeySecret)).(pulumi.StringOutput)
					args.ExtraEdgeKeyID = "k2"
				}
				rec := c.setup().Deploy(t, args).Rec
				f := keyFactsOf[c.cloud](t, rec)
				if _, ok := f.secretEnv[cell.EnvEdgeKey]; !ok {
					t.Errorf("%s is not read from the secret store", cell.EnvEdgeKey)
				}
				if _, ok := f.plainEnv[cell.EnvEdgeKeys]; ok {
					t.Errorf("%s is plain environment", cell.EnvEdgeKeys)
				}
				celltest.NoPlainLeak(t, rec, extraKeySecret)
				if !withExtra {
					if f.extra != nil || f.entries != 1 {
						t.Errorf("without an extra key: %d store entries, extra entry %v", f.entries, f.extra != nil)
					}
					if _, ok := f.secretEnv[cell.EnvEdgeKeys]; ok {
						t.Errorf("%s is set without an extra key", cell.EnvEdgeKeys)
					}
					if len(f.readable) != 1 {
						t.Errorf("the identity may read %d store entries, want the edge key's only: %v", len(f.readable), f.readable)
					}
					return
				}
				if f.extra == nil || f.entries != 2 {
					t.Fatalf("with an extra key: %d store entries, extra entry %v; want 2 and the extra one", f.entries, f.extra != nil)
				}
				if !f.value.IsSecret() {
					t.Error("the extra key's stored value is not a secret")
				} else if v := f.value.SecretValue().Element; !v.IsString() || v.StringValue() != "k2="+extraKeySecret {
					t.Error(`the extra key's stored value is not "k2=" and the secret`)
				}
				if got := f.secretEnv[cell.EnvEdgeKeys]; f.ref == "" || got != f.ref {
					t.Errorf("%s references %q, want the extra entry %q", cell.EnvEdgeKeys, got, f.ref)
				}
				if f.secretEnv[cell.EnvEdgeKey] == f.ref {
					t.Errorf("%s references the extra entry", cell.EnvEdgeKey)
				}
				if f.grantee == "" || !slices.Contains(f.readable, f.grantee) || len(f.readable) != 2 {
					t.Errorf("the identity may read %v, want the edge key's entry and %q", f.readable, f.grantee)
				}
			})
		}
	}
}

// at walks into a property value by object keys and array indexes
// (recorder.At); str reads the string there.
var (
	at  = recorder.At
	str = recorder.String
)

func obj(m resource.PropertyMap) resource.PropertyValue { return resource.NewObjectProperty(m) }

// keyFactsOf reads keyFacts on each cloud.
var keyFactsOf = map[fabric.Cloud]func(*testing.T, *recorder.Recorder) keyFacts{
	fabric.AWS: func(t *testing.T, rec *recorder.Recorder) keyFacts {
		f := keyFacts{entries: len(rec.OfType("aws:secretsmanager/secret:Secret")), plainEnv: map[string]string{}, secretEnv: map[string]string{}}
		if f.extra = rec.Get("aws:secretsmanager/secret:Secret", "conf-cell-edge-key-extra"); f.extra != nil {
			f.ref = str(obj(f.extra.Outputs), "arn")
			f.grantee = f.ref
			if v := rec.Get("aws:secretsmanager/secretVersion:SecretVersion", "conf-cell-edge-key-extra"); v != nil && str(obj(v.Inputs), "secretId") == f.extra.ID {
				f.value = v.Inputs["secretString"]
			}
		}
		var defs []struct {
			Environment []struct{ Name, Value string }
			Secrets     []struct{ Name, ValueFrom string }
		}
		task := rec.OfType("aws:ecs/taskDefinition:TaskDefinition")
		if len(task) != 1 || json.Unmarshal([]byte(str(obj(task[0].Inputs), "containerDefinitions")), &defs) != nil || len(defs) != 1 {
			t.Fatal("no single container definition")
		}
		for _, e := range defs[0].Environment {
			f.plainEnv[e.Name] = e.Value
		}
		for _, e := range defs[0].Secrets {
			f.secretEnv[e.Name] = e.ValueFrom
		}
		// ECS reads the task's secrets with the execution role.
		var policy struct {
			Statement []struct {
				Action   []string
				Resource []string
			}
		}
		if err := json.Unmarshal([]byte(str(obj(rec.Get("aws:iam/rolePolicy:RolePolicy", "conf-cell-exec").Inputs), "policy")), &policy); err != nil {
			t.Fatal(err)
		}
		for _, st := range policy.Statement {
			if slices.Contains(st.Action, "secretsmanager:GetSecretValue") {
				f.readable = append(f.readable, st.Resource...)
			}
		}
		return f
	},
	fabric.Azure: func(t *testing.T, rec *recorder.Recorder) keyFacts {
		f := keyFacts{entries: len(rec.OfType("azure-native:keyvault:Secret")), plainEnv: map[string]string{}, secretEnv: map[string]string{}}
		if f.extra = rec.Get("azure-native:keyvault:Secret", "conf-cell-edge-key-extra"); f.extra != nil {
			f.value = at(obj(f.extra.Inputs), "properties", "value")
			f.ref = str(obj(f.extra.Outputs), "properties", "secretUri")
			f.grantee = f.extra.ID
		}
		apps := rec.OfType("azure-native:app/v20240301:ContainerApp")
		identities := rec.OfType("azure-native:managedidentity:UserAssignedIdentity")
		if len(apps) != 1 || len(identities) != 1 {
			t.Fatalf("%d container apps, %d identities", len(apps), len(identities))
		}
		app, identity := obj(apps[0].Inputs), identities[0]
		// An env secretRef names an app secret, which is a Key Vault
		// reference read with the cell's identity.
		vaultRefs := map[string]string{}
		for _, s := range at(app, "configuration", "secrets").ArrayValue() {
			if str(s, "identity") != identity.ID || str(s, "value") != "" {
				t.Errorf("app secret %s is not a Key Vault reference read by the cell's identity", str(s, "name"))
			}
			vaultRefs[str(s, "name")] = str(s, "keyVaultUrl")
		}
		for _, e := range at(app, "template", "containers", 0, "env").ArrayValue() {
			if ref := str(e, "secretRef"); ref != "" {
				f.secretEnv[str(e, "name")] = vaultRefs[ref]
			} else {
				f.plainEnv[str(e, "name")] = str(e, "value")
			}
		}
		principal := str(obj(identity.Outputs), "principalId")
		for _, ra := range rec.OfType("azure-native:authorization:RoleAssignment") {
			in := obj(ra.Inputs)
			if str(in, "principalId") == principal && strings.HasSuffix(str(in, "roleDefinitionId"), "/4633458b-17de-408a-b874-0445c86b69e6") {
				f.readable = append(f.readable, str(in, "scope"))
			}
		}
		return f
	},
	fabric.GCP: func(t *testing.T, rec *recorder.Recorder) keyFacts {
		f := keyFacts{entries: len(rec.OfType("gcp:secretmanager/secret:Secret")), plainEnv: map[string]string{}, secretEnv: map[string]string{}}
		if f.extra = rec.Get("gcp:secretmanager/secret:Secret", "conf-cell-edge-key-extra"); f.extra != nil {
			f.ref = str(obj(f.extra.Outputs), "secretId")
			f.grantee = f.extra.ID
			if v := rec.Get("gcp:secretmanager/secretVersion:SecretVersion", "conf-cell-edge-key-extra-version"); v != nil && str(obj(v.Inputs), "secret") == f.extra.ID {
				f.value = v.Inputs["secretData"]
			}
		}
		svc := rec.OfType("gcp:cloudrunv2/service:Service")
		accounts := rec.OfType("gcp:serviceaccount/account:Account")
		if len(svc) != 1 || len(accounts) != 1 {
			t.Fatalf("%d services, %d service accounts", len(svc), len(accounts))
		}
		for _, e := range at(obj(svc[0].Inputs), "template", "containers", 0, "envs").ArrayValue() {
			if ref := str(e, "valueSource", "secretKeyRef", "secret"); ref != "" {
				f.secretEnv[str(e, "name")] = ref
			} else {
				f.plainEnv[str(e, "name")] = str(e, "value")
			}
		}
		member := str(obj(accounts[0].Outputs), "member")
		for _, m := range rec.OfType("gcp:secretmanager/secretIamMember:SecretIamMember") {
			in := obj(m.Inputs)
			if str(in, "member") == member && str(in, "role") == "roles/secretmanager.secretAccessor" {
				f.readable = append(f.readable, str(in, "secretId"))
			}
		}
		return f
	},
}
