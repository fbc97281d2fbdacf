package program

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	azurenative "github.com/pulumi/pulumi-azure-native-sdk/v2"
	"github.com/pulumi/pulumi-cloudflare/sdk/v5/go/cloudflare"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/stacks"
)

// cellProvider creates the explicit provider a cell's resources use: its
// cloud, in its region. Credentials come from the environment as each
// provider documents (see the README's deployment section); nothing here
// reads or logs them.
func cellProvider(ctx *pulumi.Context, topo *stacks.Topology, c stacks.Cell) (pulumi.ProviderResource, error) {
	name := "provider-" + c.ID
	switch c.Cloud {
	case fabric.AWS:
		return aws.NewProvider(ctx, name, &aws.ProviderArgs{
			Region: pulumi.String(c.Region),
			// Default tags reach every taggable resource, even ones a
			// component forgets; the components tag explicitly too.
			DefaultTags: &aws.ProviderDefaultTagsArgs{Tags: pulumi.ToStringMap(map[string]string{
				cell.TagCell: c.ID, cell.TagCloud: string(c.Cloud), cell.TagStack: topo.Stack,
			})},
		})
	case fabric.Azure:
		return azurenative.NewProvider(ctx, name, &azurenative.ProviderArgs{
			Location: pulumi.String(c.Region),
		})
	case fabric.GCP:
		// The project defaults to the stack's gcp:project in
		// stacks.SetDefaults, and Check reports a cell left without one;
		// this guards Build called on an unchecked topology.
		if c.Project == "" {
			return nil, fmt.Errorf("cell %s: no GCP project: set its project or `pulumi config set gcp:project <id>`", c.ID)
		}
		return gcp.NewProvider(ctx, name, &gcp.ProviderArgs{Region: pulumi.String(c.Region), Project: pulumi.String(c.Project)})
	}
	return nil, fmt.Errorf("cell %s: unknown cloud %q", c.ID, c.Cloud)
}

// cloudflareProvider is the one Cloudflare provider of the stack. Its API
// token comes from CLOUDFLARE_API_TOKEN or the secret config
// cloudflare:apiToken.
func cloudflareProvider(ctx *pulumi.Context) (*cloudflare.Provider, error) {
	p, err := cloudflare.NewProvider(ctx, "cloudflare", &cloudflare.ProviderArgs{})
	if err != nil {
		return nil, fmt.Errorf("cloudflare provider: %w", err)
	}
	return p, nil
}
