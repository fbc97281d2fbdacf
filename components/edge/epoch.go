package edge

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumiverse/pulumi-time/sdk/go/time"
)

// TimePluginVersion is the `time` provider plugin the epoch's time.Static
// asks for. The pulumiverse Go SDK pins no version itself, so without this
// the engine would take whatever time plugin is installed or newest.
const TimePluginVersion = "0.1.0"

// TriggerRegistry is the trigger key of the epoch's time.Static: the
// registry's content hash.
const TriggerRegistry = "registry"

// registryEpoch returns the registry's epoch: the Unix time at which its
// content last changed. A time.Static keeps a timestamp in the stack's state
// and takes a new one only when its triggers change; the trigger is the hash
// of the document without its epoch. So an unchanged registry keeps its epoch
// (a preview shows no diff, the KV value is not rewritten) and a changed one
// gets the deploy's current time, greater than any earlier epoch as long as
// the clocks of the machines that run `pulumi up` move forward.
func registryEpoch(ctx *pulumi.Context, name string, hash pulumi.StringInput, opts ...pulumi.ResourceOption) (pulumi.IntOutput, error) {
	st, err := time.NewStatic(ctx, name, &time.StaticArgs{
		Triggers: pulumi.StringMap{TriggerRegistry: hash},
	}, append(opts, pulumi.Version(TimePluginVersion))...)
	if err != nil {
		return pulumi.IntOutput{}, fmt.Errorf("registry epoch: %w", err)
	}
	return st.Unix, nil
}
