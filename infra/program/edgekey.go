package program

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/stacks"
)

// EdgeKeyLength is the length of a generated edge signing key: 64 characters
// from [A-Za-z0-9], about 380 bits.
const EdgeKeyLength = 64

// edgeSigningKey returns the secret the edge signs forwarded requests with
// and every cell verifies. A stack that holds both sides (role all) generates
// it; split stacks (cell, edge) must share one value, so they read it from
// the secret config key cellfabric:edgeSigningKey.
//
// In the roles that build cells it checks the extra key's config
// (cellfabric:edgeExtraKey with edge.extraKeyId) first, so that a stack with
// a half-done rotation fails before it registers anything, naming every
// problem with the signing key and the extra key together.
func edgeSigningKey(ctx *pulumi.Context, topo *stacks.Topology) (pulumi.StringOutput, error) {
	var extraErr error
	if topo.Role == stacks.RoleAll || topo.Role == stacks.RoleCell {
		_, _, extraErr = edgeExtraKey(ctx, topo)
	}
	key := stacks.Namespace + ":" + stacks.KeyEdgeSigningKey
	if v, ok := ctx.GetConfig(key); ok && v != "" {
		if !ctx.IsConfigSecret(key) {
			return pulumi.StringOutput{}, errors.Join(fmt.Errorf("%s is set in plain text: set it again with `pulumi config set --secret %s <value>`", key, key), extraErr)
		}
		// The placeholder of a tool that cannot decrypt (synth) says
		// nothing about the key's length.
		if v != stacks.SecretPlaceholder && len(v) < cell.MinEdgeKeyBytes {
			return pulumi.StringOutput{}, errors.Join(fmt.Errorf("%s is %d bytes; cells refuse keys shorter than %d: `pulumi config set --secret %s $(openssl rand -hex 32)` with the same value on every cell and edge stack", key, len(v), cell.MinEdgeKeyBytes, key), extraErr)
		}
		if extraErr != nil {
			return pulumi.StringOutput{}, extraErr
		}
		return pulumi.ToSecret(pulumi.String(v)).(pulumi.StringOutput), nil
	}
	if topo.Role != stacks.RoleAll {
		return pulumi.StringOutput{}, errors.Join(fmt.Errorf("role %s needs the edge signing key shared with the other stacks: `pulumi config set --secret %s $(openssl rand -hex 32)` with the same value on every cell and edge stack", topo.Role, key), extraErr)
	}
	if extraErr != nil {
		return pulumi.StringOutput{}, extraErr
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

// edgeExtraKey returns the extra key the cells accept besides the signing
// key, from the secret config key cellfabric:edgeExtraKey, and whether the
// stack sets one. The key and edge.extraKeyId come together or not at all;
// the key must be secret config and long enough for the cells to take it.
// Only the cells use it: the edge signs with the signing key alone.
func edgeExtraKey(ctx *pulumi.Context, topo *stacks.Topology) (pulumi.StringOutput, bool, error) {
	key := stacks.Namespace + ":" + stacks.KeyEdgeExtraKey
	idPath := stacks.Namespace + ":" + stacks.KeyEdge + ".extraKeyId"
	v, ok := ctx.GetConfig(key)
	set := ok && v != ""
	id := topo.Edge.ExtraKeyID
	var errs []error
	switch {
	case set && id == "":
		errs = append(errs, fmt.Errorf("%s is set but edge.extraKeyId is not: name the key with `pulumi config set --path %s <its id, e.g. k2>`, or drop it with `pulumi config rm %s`", key, idPath, key))
	case !set && id != "":
		errs = append(errs, fmt.Errorf("edge.extraKeyId is %s but %s is not set: `pulumi config set --secret %s <the secret of %s>`, or drop the id with `pulumi config rm --path %s`", id, key, key, id, idPath))
	}
	if set && !ctx.IsConfigSecret(key) {
		errs = append(errs, fmt.Errorf("%s is set in plain text: set it again with `pulumi config set --secret %s <value>`", key, key))
	}
	// A tool that cannot decrypt the stack's config (synth) passes a
	// placeholder, whose length says nothing about the key.
	if set && v != stacks.SecretPlaceholder && len(v) < cell.MinEdgeKeyBytes {
		errs = append(errs, fmt.Errorf("%s is %d bytes; cells refuse keys shorter than %d: `pulumi config set --secret %s $(openssl rand -hex 32)`", key, len(v), cell.MinEdgeKeyBytes, key))
	}
	if err := errors.Join(errs...); err != nil {
		return pulumi.StringOutput{}, false, err
	}
	if !set {
		return pulumi.StringOutput{}, false, nil
	}
	return pulumi.ToSecret(pulumi.String(v)).(pulumi.StringOutput), true, nil
}
