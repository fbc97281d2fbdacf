package aws

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
)

// splitIngress resolves the edge ranges at deploy time. A bad list fails the
// security group that uses it, so the deployment stops before anything opens.
func splitIngress(in pulumi.StringArrayInput) (v4, v6 pulumi.StringArrayOutput) {
	family := func(pick func(cell.IngressRanges) []string) pulumi.StringArrayOutput {
		return in.ToStringArrayOutput().ApplyT(func(cidrs []string) ([]string, error) {
			r, err := cell.ParseIngress(cidrs)
			if err != nil {
				return nil, fmt.Errorf("checking the cell's ingress ranges: %w", err)
			}
			return nonNil(pick(r)), nil
		}).(pulumi.StringArrayOutput)
	}
	return family(func(r cell.IngressRanges) []string { return r.V4 }), family(func(r cell.IngressRanges) []string { return r.V6 })
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
