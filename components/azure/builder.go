package azure

import (
	"fmt"

	app "github.com/pulumi/pulumi-azure-native-sdk/app/v2/v20240301"
	"github.com/pulumi/pulumi-azure-native-sdk/authorization/v2"
	"github.com/pulumi/pulumi-azure-native-sdk/managedidentity/v2"
	"github.com/pulumi/pulumi-azure-native-sdk/resources/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/stacks"
)

// builder holds what one NewCell call has built so far; each step adds its
// resources and the next steps read them.
type builder struct {
	ctx   *pulumi.Context
	name  string
	args  cell.Args
	plan  stacks.NetworkPlan
	names names
	tags  pulumi.StringMap
	comp  *Cell

	client authorization.GetClientConfigResultOutput

	rg *resources.ResourceGroup
	// edgeV4 are the edge's IPv4 ranges, checked when they resolve.
	edgeV4 pulumi.StringArrayOutput

	net      *cellNetwork
	logging  *cellLogs
	workload *managedidentity.UserAssignedIdentity
	store    *cellState
	keys     *cellSecret

	// grants are the role assignments the app waits for.
	grants []pulumi.Resource
	// extraURI is the extra edge key's secret URI; zero without one.
	extraURI pulumi.StringOutput

	app *app.ContainerApp
}

// child returns the options of a child resource: parented to the cell, so
// it inherits the caller's provider.
func (b *builder) child() pulumi.ResourceOption { return pulumi.Parent(b.comp) }

// subscription reads the subscription and tenant ids through the cell's
// provider.
func (b *builder) subscription() error {
	b.client = authorization.GetClientConfigOutput(b.ctx, pulumi.Parent(b.comp))
	return nil
}

// resourceGroup creates the group that holds every resource of the cell,
// and checks the edge's ranges as they resolve.
func (b *builder) resourceGroup() error {
	rg, err := resources.NewResourceGroup(b.ctx, b.name+"-rg", &resources.ResourceGroupArgs{
		ResourceGroupName: pulumi.String(b.names.ResourceGroup),
		Location:          pulumi.String(b.args.Region),
		Tags:              b.tags,
	}, b.child())
	if err != nil {
		return err
	}
	b.rg = rg
	id := b.args.ID
	b.edgeV4 = b.args.IngressCIDRs.ToStringArrayOutput().ApplyT(func(cidrs []string) ([]string, error) {
		r, err := parseIngress(cidrs)
		if err != nil {
			return nil, fmt.Errorf("cell %q: %w", id, err)
		}
		return r.V4, nil
	}).(pulumi.StringArrayOutput)
	return nil
}

func (b *builder) network() (err error) {
	b.net, err = newNetwork(b.ctx, b.name, b.names, b.rg.Name, b.args.Region, b.plan, b.edgeV4, b.tags, b.child())
	return err
}

func (b *builder) logs() (err error) {
	b.logging, err = newLogs(b.ctx, b.comp, b.name, b.names, b.rg.Name, b.args.Region, b.tags, b.child())
	return err
}

func (b *builder) identity() (err error) {
	b.workload, err = newIdentity(b.ctx, b.name, b.names, b.rg.Name, b.args.Region, b.tags, b.child())
	return err
}

func (b *builder) state() (err error) {
	b.store, err = newState(b.ctx, b.name, b.names, b.rg.Name, b.args.Region, b.net.apps.ID(), b.tags, b.child())
	return err
}

func (b *builder) secret() (err error) {
	b.keys, err = newSecret(b.ctx, b.name, b.names, b.rg.Name, b.args.Region, b.client.TenantId(), b.args, b.tags, b.child())
	return err
}

// access lets the workload identity use the table's data and read the edge
// keys. Least privilege: the state role (exactly the adapter's data
// actions) on the one table, secret contents of each secret, the narrowest
// scopes Azure RBAC offers.
func (b *builder) access() error {
	type roleGrant struct {
		name  string
		role  pulumi.StringInput // the role definition's GUID
		scope pulumi.StringOutput
	}
	stateRole, err := newStateRole(b.ctx, b.name+"-state-role", b.names, b.args.ID, b.rg.ID().ToStringOutput(), b.child())
	if err != nil {
		return err
	}
	secretsUser := pulumi.String(roleKeyVaultSecretsUser)
	grants := []roleGrant{
		// The role's name output is its GUID: the assignment waits for it.
		{b.name + "-table-access", stateRole.Name, b.store.table.ID().ToStringOutput()},
		{b.name + "-secret-access", secretsUser, b.keys.secret.ID().ToStringOutput()},
	}
	if b.keys.extra != nil {
		// The extra key is granted exactly like the first: on its own
		// secret, nothing wider.
		grants = append(grants, roleGrant{b.name + "-extra-secret-access", secretsUser, b.keys.extra.ID().ToStringOutput()})
		b.extraURI = pulumi.Unsecret(b.keys.extra.Properties.SecretUri()).(pulumi.StringOutput)
	}
	for _, g := range grants {
		r, err := grant(b.ctx, g.name, b.client.SubscriptionId(), g.role, g.scope, b.workload.PrincipalId, b.child())
		if err != nil {
			return err
		}
		b.grants = append(b.grants, r)
	}
	return nil
}

// audit sends the vault's and the table service's audit logs to the
// workspace.
func (b *builder) audit() error {
	if err := auditTo(b.ctx, b.name+"-vault-audit", b.keys.vault.ID(), b.logging.workspace, b.child()); err != nil {
		return err
	}
	tableService := pulumi.Sprintf("%s/tableServices/default", b.store.account.ID())
	return auditTo(b.ctx, b.name+"-table-audit", tableService, b.logging.workspace, b.child())
}

func (b *builder) compute() (err error) {
	b.app, err = newCompute(b.ctx, b.name, computeInputs{
		args:       b.args,
		names:      b.names,
		rg:         b.rg.Name,
		location:   b.args.Region,
		appsSubnet: b.net.apps.ID(),
		after:      []pulumi.Resource{b.net.gateway},
		logs:       b.logging,
		identity:   b.workload,
		// The secret's URI names no secret material; unwrapping it keeps
		// the app's configuration, and the endpoint read from it, plain.
		secretURI:      pulumi.Unsecret(b.keys.secret.Properties.SecretUri()).(pulumi.StringOutput),
		extraSecretURI: b.extraURI,
		stateEndpoint:  b.store.account.PrimaryEndpoints.Table(),
		edgeV4:         b.edgeV4,
		grants:         b.grants,
		tags:           b.tags,
	}, b.child())
	return err
}

// fill sets the cell's outputs from what the steps built.
func (b *builder) fill(c *Cell) {
	appName := b.names.App
	endpoint := b.app.Configuration.Ingress().Fqdn().ApplyT(func(fqdn *string) (string, error) {
		if fqdn == nil || *fqdn == "" {
			return "", fmt.Errorf("container app %s has no ingress host name", appName)
		}
		return "https://" + *fqdn, nil
	}).(pulumi.StringOutput)

	c.ResourceGroupName = b.rg.Name
	c.VnetName = b.net.vnet.Name
	c.VnetID = b.net.vnet.ID().ToStringOutput()
	c.GatewaySubnetID = b.net.gateway.ID().ToStringOutput()
	c.AppsSubnetID = b.net.apps.ID().ToStringOutput()
	c.NsgName = b.net.nsg.Name
	c.outputs = cell.Outputs{
		ID:               pulumi.String(b.args.ID).ToStringOutput(),
		Cloud:            pulumi.String(string(fabric.Azure)).ToStringOutput(),
		Region:           pulumi.String(b.args.Region).ToStringOutput(),
		Endpoint:         endpoint,
		HealthURL:        pulumi.Sprintf("%s%s", endpoint, b.args.HealthPath),
		NetworkID:        c.VnetID,
		CIDR:             pulumi.String(b.plan.CIDR.String()).ToStringOutput(),
		StateStoreID:     b.store.table.ID().ToStringOutput(),
		WorkloadIdentity: b.workload.PrincipalId,
	}
}
