package program

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/edge"
	"github.com/cellfabric/cellfabric/stacks"
)

// ControlKeyLength is the length of a generated control key: 64 characters
// from [A-Za-z0-9], as the edge key.
const ControlKeyLength = 64

// OutputControlKey is the secret stack output holding the control key, the
// key `cellfabric tenants` signs its control API requests with:
// `pulumi stack output --show-secrets controlKey`.
const OutputControlKey = "controlKey"

// controlKey returns the key the tenant directory's control API (served by
// the Worker) verifies: the secret config key cellfabric:controlKey, or,
// without it, a generated one. It is never the edge signing key: a holder
// of the key every cell holds must not be able to move tenants. Only the
// roles that build the edge (all, edge) call it.
//
// Like the edge key, a configured control key must be secret config and at
// least edge.MinControlKeyBytes long; both checks, and the comparison with
// the edge key, are skipped for a value a tool could not decrypt (synth's
// placeholder).
func controlKey(ctx *pulumi.Context) (pulumi.StringOutput, error) {
	key := stacks.Namespace + ":" + stacks.KeyControlKey
	v, ok := ctx.GetConfig(key)
	if !ok || v == "" {
		return generatedControlKey(ctx)
	}
	var errs []error
	if !ctx.IsConfigSecret(key) {
		errs = append(errs, fmt.Errorf("%s is set in plain text: set it again with `pulumi config set --secret %s <value>`", key, key))
	}
	if v != stacks.SecretPlaceholder {
		if len(v) < edge.MinControlKeyBytes {
			errs = append(errs, fmt.Errorf("%s is %d bytes; the control API refuses keys shorter than %d: `pulumi config set --secret %s $(openssl rand -hex 32)`", key, len(v), edge.MinControlKeyBytes, key))
		}
		edgeKey := stacks.Namespace + ":" + stacks.KeyEdgeSigningKey
		if ek, ok := ctx.GetConfig(edgeKey); ok && ek == v {
			errs = append(errs, fmt.Errorf("%s is the same as %s: the control key must be a secret of its own (whoever holds the edge key must not be able to write the tenant directory): `pulumi config set --secret %s $(openssl rand -hex 32)`", key, edgeKey, key))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return pulumi.StringOutput{}, err
	}
	return pulumi.ToSecret(pulumi.String(v)).(pulumi.StringOutput), nil
}

// generatedControlKey generates the control key, under a component of its
// own as the generated edge key is.
func generatedControlKey(ctx *pulumi.Context) (pulumi.StringOutput, error) {
	comp := &controlKeyComponent{}
	if err := ctx.RegisterComponentResource("cellfabric:stack:ControlKey", "control-key", comp); err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("control key: %w", err)
	}
	pw, err := random.NewRandomPassword(ctx, "control-key", &random.RandomPasswordArgs{
		Length:  pulumi.Int(ControlKeyLength),
		Special: pulumi.Bool(false),
	}, pulumi.Parent(comp))
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("control key: %w", err)
	}
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{}); err != nil {
		return pulumi.StringOutput{}, err
	}
	return pulumi.ToSecret(pw.Result).(pulumi.StringOutput), nil
}

// controlKeyComponent groups the generated control key.
type controlKeyComponent struct {
	pulumi.ResourceState
}
