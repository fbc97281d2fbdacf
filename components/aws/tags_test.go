package aws

import (
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/acm"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/appautoscaling"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecs"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/secretsmanager"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/components/internal/celltest"
	"github.com/cellfabric/cellfabric/components/recorder"
)

// tagLists are the resource types the cell uses that take tags and the ones
// that do not. Every AWS type the cell records must be in one list.
var tagLists = celltest.TagLists{
	Field: "Tags",
	Tagged: map[string]any{
		"aws:ec2/vpc:Vpc":                                           ec2.VpcArgs{},
		"aws:ec2/subnet:Subnet":                                     ec2.SubnetArgs{},
		"aws:ec2/internetGateway:InternetGateway":                   ec2.InternetGatewayArgs{},
		"aws:ec2/eip:Eip":                                           ec2.EipArgs{},
		"aws:ec2/natGateway:NatGateway":                             ec2.NatGatewayArgs{},
		"aws:ec2/routeTable:RouteTable":                             ec2.RouteTableArgs{},
		"aws:ec2/vpcEndpoint:VpcEndpoint":                           ec2.VpcEndpointArgs{},
		"aws:ec2/securityGroup:SecurityGroup":                       ec2.SecurityGroupArgs{},
		"aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": vpc.SecurityGroupIngressRuleArgs{},
		"aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule":   vpc.SecurityGroupEgressRuleArgs{},
		"aws:dynamodb/table:Table":                                  dynamodb.TableArgs{},
		"aws:secretsmanager/secret:Secret":                          secretsmanager.SecretArgs{},
		"aws:cloudwatch/logGroup:LogGroup":                          cloudwatch.LogGroupArgs{},
		"aws:iam/role:Role":                                         iam.RoleArgs{},
		"aws:acm/certificate:Certificate":                           acm.CertificateArgs{},
		"aws:lb/loadBalancer:LoadBalancer":                          lb.LoadBalancerArgs{},
		"aws:lb/targetGroup:TargetGroup":                            lb.TargetGroupArgs{},
		"aws:lb/listener:Listener":                                  lb.ListenerArgs{},
		"aws:ecs/cluster:Cluster":                                   ecs.ClusterArgs{},
		"aws:ecs/taskDefinition:TaskDefinition":                     ecs.TaskDefinitionArgs{},
		"aws:ecs/service:Service":                                   ecs.ServiceArgs{},
		"aws:appautoscaling/target:Target":                          appautoscaling.TargetArgs{},
	},
	Untagged: map[string]any{
		"aws:ec2/route:Route": ec2.RouteArgs{},
		"aws:ec2/routeTableAssociation:RouteTableAssociation": ec2.RouteTableAssociationArgs{},
		"aws:iam/rolePolicy:RolePolicy":                       iam.RolePolicyArgs{},
		"aws:secretsmanager/secretVersion:SecretVersion":      secretsmanager.SecretVersionArgs{},
		"aws:acm/certificateValidation:CertificateValidation": acm.CertificateValidationArgs{},
		"aws:appautoscaling/policy:Policy":                    appautoscaling.PolicyArgs{},
	},
}

// TestTaggableListsMatchTheSDK keeps the lists honest: a type is taggable
// exactly when its SDK Args have a Tags field.
func TestTaggableListsMatchTheSDK(t *testing.T) {
	t.Parallel()
	tagLists.MatchSDK(t)
}

func TestEveryTaggableResourceIsTagged(t *testing.T) {
	t.Parallel()
	d := deploy(t, baseArgs(), true)
	want := cell.StandardTags(baseArgs(), "aws", testStack)
	want["team"] = "platform"
	// DNS records belong to the caller's DNS function: only aws: types.
	tagLists.Check(t, d.Rec.Descendants(d.Comp.URN), "aws:", func(r *recorder.Resource, taggable bool) {
		if !taggable {
			return
		}
		tags, _ := in(r, "tags").(map[string]any)
		for k, v := range want {
			if tags[k] != v {
				t.Errorf("%s %s: tag %s = %v, want %q", r.Type, r.Name, k, tags[k], v)
			}
		}
	})
	svc := d.One(t, "aws:ecs/service:Service")
	if str(svc, "propagateTags") != "SERVICE" {
		t.Error("tasks do not inherit the service's tags")
	}
}
