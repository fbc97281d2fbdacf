package gcp

import (
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/cloudrunv2"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/compute"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/firestore"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/logging"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/organizations"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/secretmanager"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/serviceaccount"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/stacks"
)

// builder holds what one NewCell call has built so far; each step adds its
// resources and the next steps read them.
type builder struct {
	ctx    *pulumi.Context
	name   string
	args   cell.Args
	plan   stacks.NetworkPlan
	labels map[string]string
	names  names
	comp   *Cell

	projectID pulumi.StringOutput

	net    *compute.Network
	subnet *compute.Subnetwork

	db *firestore.Database

	secretRes     *secretmanager.Secret
	secretVersion *secretmanager.SecretVersion
	// extraSecret and extraVersion hold the extra edge key; nil without one.
	extraSecret  *secretmanager.Secret
	extraVersion *secretmanager.SecretVersion

	sa     *serviceaccount.Account
	grants []pulumi.Resource // IAM bindings the workload needs before it starts

	service *cloudrunv2.Service

	address    *compute.GlobalAddress
	dnsRecords []cell.DNSRecord

	logBucket *logging.ProjectBucketConfig
}

// child returns the options of a child resource: parented to the cell, so
// it inherits the caller's provider, plus extra.
func (b *builder) child(extra ...pulumi.ResourceOption) []pulumi.ResourceOption {
	return append([]pulumi.ResourceOption{pulumi.Parent(b.comp)}, extra...)
}

// lbl returns the cell's labels as an input.
func (b *builder) lbl() pulumi.StringMap { return pulumi.ToStringMap(b.labels) }

// project learns the project from the caller's provider: the IAM condition
// and the log bucket need it spelled out.
func (b *builder) project() error {
	cfg := organizations.GetClientConfigOutput(b.ctx, pulumi.Parent(b.comp))
	b.projectID = cfg.Project()
	return nil
}

// fill sets the cell's outputs from what the steps built.
func (b *builder) fill(c *Cell) {
	endpoint := pulumi.String("https://" + b.args.Hostname).ToStringOutput()
	c.outputs = cell.Outputs{
		ID:               pulumi.String(b.args.ID).ToStringOutput(),
		Cloud:            pulumi.String(string(fabric.GCP)).ToStringOutput(),
		Region:           pulumi.String(b.args.Region).ToStringOutput(),
		Endpoint:         endpoint,
		HealthURL:        pulumi.String("https://" + b.args.Hostname + b.args.HealthPath).ToStringOutput(),
		NetworkID:        b.net.ID().ToStringOutput(),
		CIDR:             pulumi.String(b.plan.CIDR.String()).ToStringOutput(),
		StateStoreID:     b.db.ID().ToStringOutput(),
		WorkloadIdentity: b.sa.Email,
	}
	c.NetworkName = b.net.Name
	c.NetworkSelfLink = b.net.SelfLink
	c.SubnetworkSelfLink = b.subnet.SelfLink
	c.Project = b.projectID
	c.LoadBalancerIP = b.address.Address
	c.DNSRecords = cell.DNSRecordsOutput(b.dnsRecords)
	c.ServiceName = b.service.Name
	c.DatabaseName = b.db.Name
	c.EdgeKeySecretID = b.secretRes.SecretId
	c.LogBucketID = b.logBucket.BucketId
}
