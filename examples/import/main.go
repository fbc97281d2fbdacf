// Command import is an example Pulumi program that uses cellfabric's
// components from another project: two cells of a "payments" service, one on
// AWS and one on Azure, sharing one edge signing key, each with its own
// explicit provider. `pulumi up` in this directory deploys them;
// main_test.go runs the same program against cellfabric's recording engine.
package main

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	azurenative "github.com/pulumi/pulumi-azure-native-sdk/v2"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	cfaws "github.com/cellfabric/cellfabric/components/aws"
	cfazure "github.com/cellfabric/cellfabric/components/azure"
	"github.com/cellfabric/cellfabric/components/cell"
)

// edgeRanges are the addresses the cells accept traffic from. A real program
// reads them from the edge provider (cloudflare.GetIpRanges), as
// cellfabric's own program does.
var edgeRanges = []string{"173.245.48.0/20", "103.21.244.0/22", "2400:cb00::/32"}

func program(ctx *pulumi.Context) error {
	key, err := random.NewRandomPassword(ctx, "edge-key", &random.RandomPasswordArgs{
		Length: pulumi.Int(64), Special: pulumi.Bool(false),
	})
	if err != nil {
		return err
	}
	common := func(id, region, cidr string) cell.Args {
		return cell.Args{
			ID: id, Region: region, CIDR: cidr,
			Hostname:     id + ".cells.payments.example.com",
			Image:        pulumi.String("ghcr.io/acme/payments:1.4.2"),
			MinInstances: 1, MaxInstances: 6,
			Tags:         map[string]string{"service": "payments"},
			EdgeKey:      key.Result,
			IngressCIDRs: pulumi.ToStringArray(edgeRanges),
		}
	}

	awsProvider, err := aws.NewProvider(ctx, "aws-use1", &aws.ProviderArgs{Region: pulumi.String("us-east-1")})
	if err != nil {
		return err
	}
	use1, err := cfaws.NewCell(ctx, "pay-use1", common("pay-use1", "us-east-1", "10.50.0.0/16"), pulumi.Providers(awsProvider))
	if err != nil {
		return err
	}

	azProvider, err := azurenative.NewProvider(ctx, "azure-weu", &azurenative.ProviderArgs{Location: pulumi.String("westeurope")})
	if err != nil {
		return err
	}
	weu, err := cfazure.NewCell(ctx, "pay-weu", common("pay-weu", "westeurope", "10.60.0.0/16"), pulumi.Providers(azProvider))
	if err != nil {
		return err
	}

	// The same contract on both clouds: export the same outputs.
	ctx.Export("cells", pulumi.Map{
		"pay-use1": use1.Outputs().Map(),
		"pay-weu":  weu.Outputs().Map(),
	})
	return nil
}

func main() {
	pulumi.Run(program)
}
