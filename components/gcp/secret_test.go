package gcp

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/recorder"
)

// TestSecretStaysInTheRegion: the edge key's secret replicates to the
// cell's region only (user-managed, one replica), never automatically.
func TestSecretStaysInTheRegion(t *testing.T) {
	t.Parallel()
	for _, region := range []string{"europe-west1", "us-central1", "europe-west3"} {
		t.Run(region, func(t *testing.T) {
			t.Parallel()
			args := baseArgs()
			args.Region = region
			d := deploy(t, args, false)
			s := d.One(t, typeSecret)
			repl, _ := in(s, "replication").(map[string]any)
			if _, auto := repl["auto"]; auto {
				t.Fatal("automatic replication may store the key in any region")
			}
			replicas := objs(s, "replication", "userManaged", "replicas")
			if len(replicas) != 1 || replicas[0]["location"] != region {
				t.Errorf("replicas = %v, want exactly [%s]", replicas, region)
			}
		})
	}
}

// TestSecretVersionHoldsTheKeyAsSecret: the version belongs to the cell's
// secret and its data is the edge key, marked secret.
func TestSecretVersionHoldsTheKeyAsSecret(t *testing.T) {
	t.Parallel()
	d := deploy(t, baseArgs(), false)
	v := d.One(t, typeSecretVersion)
	if str(v, "secret") != d.One(t, typeSecret).ID {
		t.Errorf("version of %q, want the cell's secret %q", str(v, "secret"), d.One(t, typeSecret).ID)
	}
	data := v.Inputs["secretData"]
	if !isSecret(data) {
		t.Fatal("secretData is not marked secret")
	}
	if recorder.Plain(data) != testEdgeKey {
		t.Errorf("secretData = %v, want the edge key", recorder.Plain(data))
	}
}

// TestEdgeKeyNeverInTheClear: every recorded input and output that carries
// the edge key is secret, the key appears nowhere in the clear (resources,
// invokes, the cell's outputs), and only the secret version holds it.
func TestEdgeKeyNeverInTheClear(t *testing.T) {
	t.Parallel()
	d := deploy(t, baseArgs(), true)
	holders := map[string]bool{}
	for _, r := range d.Rec.Resources() {
		for what, m := range map[string]resource.PropertyMap{"input": r.Inputs, "output": r.Outputs} {
			for _, leak := range clearLeaks(resource.NewObjectProperty(m), "", false) {
				t.Errorf("%s %s %s %s carries the edge key in the clear", r.Type, r.Name, what, leak)
			}
			if strings.Contains(fmt.Sprint(recorder.Plain(resource.NewObjectProperty(m))), testEdgeKey) {
				holders[r.Type] = true
			}
		}
	}
	if len(holders) != 1 || !holders[typeSecretVersion] {
		t.Errorf("the key reaches %v; want only %s", holders, typeSecretVersion)
	}
	for _, inv := range d.Rec.Invokes() {
		if len(clearLeaks(resource.NewObjectProperty(inv.Args), "", false)) > 0 {
			t.Errorf("invoke %s carries the key", inv.Token)
		}
	}
	c := d.Cell
	for _, o := range []pulumi.Output{c.NetworkName, c.NetworkSelfLink, c.SubnetworkSelfLink, c.Project,
		c.LoadBalancerIP, c.DNSRecords, c.ServiceName, c.DatabaseName, c.EdgeKeySecretID, c.LogBucketID,
		c.Outputs().Map().ToMapOutput()} {
		aw := await(t, o)
		if strings.Contains(fmt.Sprint(aw.Value), testEdgeKey) {
			t.Errorf("an output of the cell carries the key: %v", aw.Value)
		}
	}
}

// clearLeaks returns the paths where the edge key appears outside a secret.
func clearLeaks(v resource.PropertyValue, path string, secret bool) []string {
	switch {
	case v.IsSecret():
		return clearLeaks(v.SecretValue().Element, path, true)
	case v.IsOutput():
		return clearLeaks(v.OutputValue().Element, path, secret || v.OutputValue().Secret)
	case v.IsArray():
		var out []string
		for i, e := range v.ArrayValue() {
			out = append(out, clearLeaks(e, fmt.Sprintf("%s[%d]", path, i), secret)...)
		}
		return out
	case v.IsObject():
		var out []string
		for k, e := range v.ObjectValue() {
			out = append(out, clearLeaks(e, path+"."+string(k), secret)...)
		}
		return out
	case v.IsString():
		if !secret && strings.Contains(v.StringValue(), testEdgeKey) {
			return []string{path}
		}
	}
	return nil
}

func isSecret(v resource.PropertyValue) bool {
	return v.IsSecret() || (v.IsOutput() && v.OutputValue().Secret)
}

// TestClearLeaksDetector: the detector above finds the key in the clear and
// accepts it inside a secret, so TestEdgeKeyNeverInTheClear can fail.
func TestClearLeaksDetector(t *testing.T) {
	t.Parallel()
	key := resource.NewStringProperty("prefix " + testEdgeKey)
	cases := []struct {
		name  string
		v     resource.PropertyValue
		leaks int
	}{
		{"plain", resource.NewObjectProperty(resource.PropertyMap{"env": resource.NewArrayProperty([]resource.PropertyValue{key})}), 1},
		{"secret", resource.NewObjectProperty(resource.PropertyMap{"data": resource.MakeSecret(key)}), 0},
		{"secret output", resource.NewObjectProperty(resource.PropertyMap{"data": resource.NewOutputProperty(resource.Output{Element: key, Known: true, Secret: true})}), 0},
		{"absent", resource.NewObjectProperty(resource.PropertyMap{"x": resource.NewStringProperty("y")}), 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := len(clearLeaks(tc.v, "", false)); got != tc.leaks {
				t.Errorf("%d leaks, want %d", got, tc.leaks)
			}
		})
	}
}
