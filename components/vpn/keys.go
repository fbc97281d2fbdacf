package vpn

import (
	"fmt"

	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// keyArgs are the settings of every pre-shared key.
//
// The clouds' rules meet in AWS's: 8–64 characters, letters, digits, '.'
// and '_' only, not starting with '0' (Azure documents no rule; GCP takes
// any printable ASCII). RandomPassword has no "first character" option, so
// the key has no digit at all (Numeric false): it cannot start with '0' by
// construction, stays the resource's own result (no derived value to keep
// in sync), and 48 characters from the 54 of [A-Za-z._] are still about 276
// bits. Special with OverrideSpecial "._" keeps the punctuation to the two
// AWS accepts.
func keyArgs() *random.RandomPasswordArgs {
	return &random.RandomPasswordArgs{
		Length:          pulumi.Int(KeyLength),
		Upper:           pulumi.Bool(true),
		Lower:           pulumi.Bool(true),
		Numeric:         pulumi.Bool(false),
		Special:         pulumi.Bool(true),
		OverrideSpecial: pulumi.String(KeySpecials),
		MinUpper:        pulumi.Int(1),
		MinLower:        pulumi.Int(1),
	}
}

// preSharedKeys generates one key per tunnel, named after Tunnel.KeyName.
// The same secret Output goes to both ends of the tunnel.
func (b *builder) preSharedKeys() error {
	for _, p := range b.plan.Pairs {
		for _, t := range p.Tunnels {
			pw, err := random.NewRandomPassword(b.ctx, b.res(t.KeyName), keyArgs(), pulumi.Parent(b.comp))
			if err != nil {
				return fmt.Errorf("tunnel %s: %w", t.ID, err)
			}
			// The provider marks result secret; ToSecret makes sure of it
			// whatever provider version runs.
			b.keys[t.ID] = pulumi.ToSecret(pw.Result).(pulumi.StringOutput)
		}
	}
	return nil
}
