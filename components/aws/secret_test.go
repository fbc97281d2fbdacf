package aws

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/internal/celltest"
	"github.com/cellfabric/cellfabric/components/recorder"
)

func TestEdgeKeyStaysSecret(t *testing.T) {
	t.Parallel()
	d := deploy(t, baseArgs(), true)
	secretHits := celltest.NoPlainLeak(t, d.Rec, testEdgeKey)
	for _, inv := range d.Rec.Invokes() {
		found, n := recorder.Leaks(resource.NewObjectProperty(inv.Args), testEdgeKey, inv.Token)
		secretHits += n
		for _, p := range found {
			t.Errorf("edge key in plain text at invoke %s", p)
		}
	}
	// The key reaches the secret version and nothing else (its input and
	// the output the engine echoes).
	version := d.One(t, "aws:secretsmanager/secretVersion:SecretVersion")
	if v := version.Inputs["secretString"]; !v.ContainsSecrets() || recorder.Plain(v) != testEdgeKey {
		t.Errorf("secret version input = %v, want the key, secret", v)
	}
	if secretHits != 2 {
		t.Errorf("key found (secret) in %d places, want 2: the secret version's input and output", secretHits)
	}

	// No exported output carries it.
	c := d.Cell
	outs := []pulumi.Output{c.VpcID, c.PrivateSubnetIDs, c.PublicSubnetIDs, c.PrivateRouteTableIDs, c.PublicRouteTableIDs,
		c.TaskSecurityGroupID, c.LoadBalancerSecurityGroupID, c.LoadBalancerDNSName, c.DNSRecords, c.TableName,
		c.EdgeKeySecretARN, c.ClusterName, c.ServiceName, c.LogGroupName}
	for _, o := range c.Outputs().Map() {
		outs = append(outs, o.(pulumi.Output))
	}
	for i, o := range outs {
		aw := await(t, o)
		if strings.Contains(fmt.Sprint(aw.Value), testEdgeKey) {
			t.Errorf("output %d carries the edge key", i)
		}
	}
}

// TestKeyMadeSecretEvenIfPassedPlain checks the cell marks the key secret
// even when a caller forgot to.
func TestKeyMadeSecretEvenIfPassedPlain(t *testing.T) {
	t.Parallel()
	args := baseArgs()
	args.EdgeKey = pulumi.String(testEdgeKey)
	d := deploy(t, args, false)
	version := d.One(t, "aws:secretsmanager/secretVersion:SecretVersion")
	if v := version.Inputs["secretString"]; !v.ContainsSecrets() {
		t.Errorf("secret version input %v is not secret", v)
	}
}
