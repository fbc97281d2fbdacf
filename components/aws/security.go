package aws

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// httpsPort is the only port the load balancer listens on.
const httpsPort = 443

// securityGroups builds the two security groups.
//
// The load balancer's group has inline rules only: HTTPS in from the edge's
// ranges (IPv4 and IPv6 blocks in one rule, so a change to the list is an
// in-place update of that rule) and out to the task group on the container
// port. The task group has no inline rules; its rules are separate resources
// (in from the load balancer's group, out on 443 for the image registry,
// Secrets Manager, CloudWatch Logs and DynamoDB), which breaks the cycle
// between the two groups and lets the VPN mesh add rules of its own. No group
// mixes inline rules with rule resources, which the provider would fight
// over.
func (b *builder) securityGroups() error {
	var err error
	b.taskSG, err = ec2.NewSecurityGroup(b.ctx, b.name+"-task", &ec2.SecurityGroupArgs{
		VpcId:       b.vpc.ID(),
		Description: pulumi.String("cellfabric cell " + b.args.ID + " tasks"),
		Tags:        b.tagged("task"),
	}, b.opts()...)
	if err != nil {
		return err
	}

	v4, v6 := splitIngress(b.args.IngressCIDRs)
	b.albSG, err = ec2.NewSecurityGroup(b.ctx, b.name+"-alb", &ec2.SecurityGroupArgs{
		VpcId:       b.vpc.ID(),
		Description: pulumi.String("cellfabric cell " + b.args.ID + " load balancer"),
		Ingress: ec2.SecurityGroupIngressArray{ec2.SecurityGroupIngressArgs{
			Description:    pulumi.String("HTTPS from the edge"),
			Protocol:       pulumi.String("tcp"),
			FromPort:       pulumi.Int(httpsPort),
			ToPort:         pulumi.Int(httpsPort),
			CidrBlocks:     v4,
			Ipv6CidrBlocks: v6,
		}},
		Egress: ec2.SecurityGroupEgressArray{ec2.SecurityGroupEgressArgs{
			Description:    pulumi.String("to the tasks"),
			Protocol:       pulumi.String("tcp"),
			FromPort:       pulumi.Int(b.args.Port),
			ToPort:         pulumi.Int(b.args.Port),
			SecurityGroups: pulumi.StringArray{b.taskSG.ID()},
		}},
		Tags: b.tagged("alb"),
	}, b.opts()...)
	if err != nil {
		return err
	}

	in, err := vpc.NewSecurityGroupIngressRule(b.ctx, b.name+"-task-from-alb", &vpc.SecurityGroupIngressRuleArgs{
		SecurityGroupId:           b.taskSG.ID(),
		Description:               pulumi.String("from the load balancer"),
		IpProtocol:                pulumi.String("tcp"),
		FromPort:                  pulumi.Int(b.args.Port),
		ToPort:                    pulumi.Int(b.args.Port),
		ReferencedSecurityGroupId: b.albSG.ID(),
		Tags:                      b.tagged("task-from-alb"),
	}, b.opts()...)
	if err != nil {
		return err
	}
	out, err := vpc.NewSecurityGroupEgressRule(b.ctx, b.name+"-task-https-out", &vpc.SecurityGroupEgressRuleArgs{
		SecurityGroupId: b.taskSG.ID(),
		Description:     pulumi.String("HTTPS to AWS APIs and the image registry"),
		IpProtocol:      pulumi.String("tcp"),
		FromPort:        pulumi.Int(httpsPort),
		ToPort:          pulumi.Int(httpsPort),
		CidrIpv4:        pulumi.String("0.0.0.0/0"),
		Tags:            b.tagged("task-https-out"),
	}, b.opts()...)
	if err != nil {
		return err
	}
	b.taskRules = []pulumi.Resource{in, out}
	return nil
}
