package aws

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/acm"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/secretsmanager"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/stacks"
)

// builder carries one NewCell call's inputs and the resources made so far;
// each step (one file each) adds its part.
type builder struct {
	ctx   *pulumi.Context
	name  string
	args  cell.Args
	plan  stacks.NetworkPlan
	tags  map[string]string
	names names
	comp  *Cell

	// account
	region    string
	accountID string

	// network
	vpc          *ec2.Vpc
	public       []*ec2.Subnet // by zone
	private      []*ec2.Subnet // by zone
	publicRT     *ec2.RouteTable
	privateRTs   []*ec2.RouteTable // by zone
	zoneNames    []string
	natGateways  []*ec2.NatGateway
	internetGate *ec2.InternetGateway

	// state
	table  *dynamodb.Table
	secret *secretsmanager.Secret
	// keyVersion holds the edge key's value; the service waits for it.
	keyVersion *secretsmanager.SecretVersion
	// extraSecret and extraVersion hold the extra edge key; nil without one.
	extraSecret  *secretsmanager.Secret
	extraVersion *secretsmanager.SecretVersion
	logGroup     *cloudwatch.LogGroup

	// identity
	taskRole, execRole     *iam.Role
	taskPolicy, execPolicy *iam.RolePolicy

	// security groups
	albSG, taskSG *ec2.SecurityGroup
	taskRules     []pulumi.Resource

	// certificate
	cert       *acm.Certificate
	validation *acm.CertificateValidation
	dnsRecords []cell.DNSRecord

	// load balancer
	alb      *lb.LoadBalancer
	tg       *lb.TargetGroup
	listener *lb.Listener
	origin   pulumi.Resource // the origin DNS record, when args.DNS made one

	// compute
	clusterName, serviceName pulumi.StringOutput
}

// opts returns the options every child takes: the cell as parent (children
// inherit its provider) plus extra.
func (b *builder) opts(extra ...pulumi.ResourceOption) []pulumi.ResourceOption {
	return append([]pulumi.ResourceOption{pulumi.Parent(b.comp)}, extra...)
}

// tagged returns the standard tags plus a Name tag for the console.
func (b *builder) tagged(part string) pulumi.StringMap {
	m := pulumi.StringMap{"Name": pulumi.String(b.name + "-" + part)}
	for k, v := range b.tags {
		m[k] = pulumi.String(v)
	}
	return m
}

// account reads the region and account of the provider the cell inherits.
// The invokes take the cell as parent, so they ask that same provider.
func (b *builder) account() error {
	reg, err := aws.GetRegion(b.ctx, &aws.GetRegionArgs{}, pulumi.Parent(b.comp))
	if err != nil {
		return err
	}
	// An empty answer only comes from a mock without a region; trust the
	// cell's region then.
	if reg.Name != "" && reg.Name != b.args.Region {
		return fmt.Errorf("the aws provider is for region %s but the cell is in %s: pass a provider for %s", reg.Name, b.args.Region, b.args.Region)
	}
	b.region = b.args.Region
	who, err := aws.GetCallerIdentity(b.ctx, &aws.GetCallerIdentityArgs{}, pulumi.Parent(b.comp))
	if err != nil {
		return err
	}
	b.accountID = who.AccountId
	return nil
}

// fill sets the cell's outputs from the built resources.
func (b *builder) fill(c *Cell) {
	ids := func(subnets []*ec2.Subnet) pulumi.StringArrayOutput {
		var arr pulumi.StringArray
		for _, s := range subnets {
			arr = append(arr, s.ID())
		}
		return arr.ToStringArrayOutput()
	}
	var privRTs pulumi.StringArray
	for _, rt := range b.privateRTs {
		privRTs = append(privRTs, rt.ID())
	}
	c.VpcID = b.vpc.ID().ToStringOutput()
	c.PrivateSubnetIDs = ids(b.private)
	c.PublicSubnetIDs = ids(b.public)
	c.PrivateRouteTableIDs = privRTs.ToStringArrayOutput()
	c.PublicRouteTableIDs = pulumi.StringArray{b.publicRT.ID()}.ToStringArrayOutput()
	c.TaskSecurityGroupID = b.taskSG.ID().ToStringOutput()
	c.LoadBalancerSecurityGroupID = b.albSG.ID().ToStringOutput()
	c.LoadBalancerDNSName = b.alb.DnsName
	c.DNSRecords = cell.DNSRecordsOutput(b.dnsRecords)
	c.TableName = b.table.Name
	c.EdgeKeySecretARN = b.secret.Arn
	c.ClusterName = b.clusterName
	c.ServiceName = b.serviceName
	c.LogGroupName = b.logGroup.Name

	// The endpoint appears once the HTTPS listener exists (and the origin
	// record, when the cell made it), so the edge never registers a cell
	// that cannot answer yet.
	ready := []any{b.listener.Arn}
	if b.origin != nil {
		ready = append(ready, b.origin.URN())
	}
	endpoint := "https://" + b.args.Hostname
	c.outputs = cell.Outputs{
		ID:       pulumi.String(b.args.ID).ToStringOutput(),
		Cloud:    pulumi.String(string(fabric.AWS)).ToStringOutput(),
		Region:   pulumi.String(b.args.Region).ToStringOutput(),
		Endpoint: pulumi.All(ready...).ApplyT(func([]any) string { return endpoint }).(pulumi.StringOutput),
		HealthURL: pulumi.All(ready...).ApplyT(func([]any) string {
			return endpoint + b.args.HealthPath
		}).(pulumi.StringOutput),
		NetworkID:        c.VpcID,
		CIDR:             pulumi.String(b.plan.CIDR.String()).ToStringOutput(),
		StateStoreID:     b.table.Arn,
		WorkloadIdentity: b.taskRole.Arn,
	}
}
