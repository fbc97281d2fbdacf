package gcp

import (
	"github.com/cellfabric/cellfabric/components/cell"

	"fmt"

	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/compute"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// srcIPsV1 is Cloud Armor's preconfigured "source address in these ranges"
// match.
const srcIPsV1 = "SRC_IPS_V1"

// securityPolicy builds the Cloud Armor policy of the cell's backend
// service: allow rules for the edge's ranges, at most ten ranges per rule
// (Cloud Armor's limit) in priority order, and a default rule that denies
// everything else with 403.
//
// Cloud Armor matches the address that connected to Google's front end, the
// edge's egress address here. The policy sets no user-IP request header:
// one would let any client choose the address Cloud Armor checks.
func (b *builder) securityPolicy() (*compute.SecurityPolicy, error) {
	rules := b.args.IngressCIDRs.ToStringArrayOutput().ApplyT(func(cidrs []string) ([]compute.SecurityPolicyRuleType, error) {
		r, err := armorRules(cidrs)
		if err != nil {
			return nil, fmt.Errorf("cell %q: IngressCIDRs: %w", b.args.ID, err)
		}
		return r, nil
	}).(compute.SecurityPolicyRuleTypeArrayOutput)
	return compute.NewSecurityPolicy(b.ctx, b.name+"-edge-only", &compute.SecurityPolicyArgs{
		Name:        pulumi.String(b.names.SecurityPolicy),
		Description: pulumi.String("cellfabric cell " + b.args.ID + ": admit the edge's ranges only"),
		Type:        pulumi.String("CLOUD_ARMOR"),
		Rules:       rules,
	}, b.child()...)
}

// armorRules turns the edge's ranges into Cloud Armor rules: one allow rule
// per chunk of at most armorRangesPerRule ranges, priorities counting up
// from armorFirstAllowPriority, then the default deny rule.
func armorRules(cidrs []string) ([]compute.SecurityPolicyRuleType, error) {
	parsed, err := cell.ParseIngress(cidrs)
	if err != nil {
		return nil, err
	}
	ranges := parsed.All()
	var rules []compute.SecurityPolicyRuleType
	for i := 0; i < len(ranges); i += armorRangesPerRule {
		chunk := ranges[i:min(i+armorRangesPerRule, len(ranges))]
		n := len(rules)
		rules = append(rules, compute.SecurityPolicyRuleType{
			Action:      "allow",
			Priority:    armorFirstAllowPriority + n,
			Description: pulumi.StringRef(fmt.Sprintf("edge ranges %d-%d", i+1, i+len(chunk))),
			Match: compute.SecurityPolicyRuleMatch{
				VersionedExpr: pulumi.StringRef(srcIPsV1),
				Config:        &compute.SecurityPolicyRuleMatchConfig{SrcIpRanges: chunk},
			},
		})
	}
	rules = append(rules, compute.SecurityPolicyRuleType{
		Action:      armorDeny,
		Priority:    armorDefaultPriority,
		Description: pulumi.StringRef("everything but the edge"),
		Match: compute.SecurityPolicyRuleMatch{
			VersionedExpr: pulumi.StringRef(srcIPsV1),
			Config:        &compute.SecurityPolicyRuleMatchConfig{SrcIpRanges: []string{"*"}},
		},
	})
	return rules, nil
}
