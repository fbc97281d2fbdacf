package program

import (
	"fmt"

	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/stacks"
)

// EdgeKeyLength is the length of a generated edge signing key: 64 characters
// from [A-Za-z0-9], about 380 bits.
const EdgeKeyLength = 64

// edgeSigningKey returns the secret the edge signs forwarded requests with
// and every cell verifies. A stack that holds both sides (role all) generates
// it; split stacks (cell, edge) must share one value, so they read it from
// the secret config key cellfabric:edgeSigningKey.
func edgeSigningKey(ctx *pulumi.Context, topo *stacks.Topology) (pulumi.StringOutput, error) {
	key := stacks.Namespace + ":" + stacks.KeyEdgeSigningKey
	if v, ok := ctx.GetConfig(key); ok && v != "" {
		if !ctx.IsConfigSecret(key) {
			return pulumi.StringOutput{}, fmt.Errorf("%s is set in plain text: set it again with `pulumi config set --secret %s <value>`", key, key)
		}
		return pulumi.ToSecret(pulumi.String(v)).(pulumi.StringOutput), nil
	}
	if topo.Role != stacks.RoleAll {
		return pulumi.StringOutput{}, fmt.Errorf("role %s needs the edge signing key shared with the other stacks: `pulumi config set --secret %s $(openssl rand -hex 32)` with the same value on every cell and edge stack", topo.Role, key)
	}
	comp := &edgeKeyComponent{}
	if err := ctx.RegisterComponentResource("cellfabric:stack:EdgeSigningKey", "edge-signing-key", comp); err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("edge signing key: %w", err)
	}
	pw, err := random.NewRandomPassword(ctx, "edge-signing-key", &random.RandomPasswordArgs{
		Length:  pulumi.Int(EdgeKeyLength),
		Special: pulumi.Bool(false),
	}, pulumi.Parent(comp))
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("edge signing key: %w", err)
	}
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{}); err != nil {
		return pulumi.StringOutput{}, err
	}
	return pw.Result, nil
}

// edgeKeyComponent groups the generated key, so that every resource of the
// stack hangs under a component.
type edgeKeyComponent struct {
	pulumi.ResourceState
}
