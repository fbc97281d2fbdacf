package azure

import (
	"errors"
	"fmt"
	"maps"

	"github.com/pulumi/pulumi-azure-native-sdk/authorization/v2"
	"github.com/pulumi/pulumi-azure-native-sdk/resources/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/stacks"
)

// componentType is the cell's Pulumi type token.
const componentType = "cellfabric:azure:Cell"

// Cell is one cell on Azure: a resource group holding the cell's VNet,
// Container Apps environment and app, storage table, Key Vault, identity
// and logs.
type Cell struct {
	pulumi.ResourceState

	// ResourceGroupName is the resource group that holds every resource of
	// the cell; the VPN gateway goes there too.
	ResourceGroupName pulumi.StringOutput `pulumi:"resourceGroupName"`
	// VnetName and VnetID name the cell's virtual network (the contract's
	// NetworkID is VnetID).
	VnetName pulumi.StringOutput `pulumi:"vnetName"`
	VnetID   pulumi.StringOutput `pulumi:"vnetId"`
	// GatewaySubnetID is the subnet named GatewaySubnet, left empty for the
	// VPN gateway.
	GatewaySubnetID pulumi.StringOutput `pulumi:"gatewaySubnetId"`
	// AppsSubnetID is the Container Apps environment's subnet.
	AppsSubnetID pulumi.StringOutput `pulumi:"appsSubnetId"`
	// NsgName is the network security group of the apps subnet.
	NsgName pulumi.StringOutput `pulumi:"nsgName"`
	// Location is the Azure region, cell.Args.Region.
	Location string

	outputs cell.Outputs
}

var _ cell.Cell = (*Cell)(nil)

// Constructor adapts NewCell to cell.Constructor (used by the infra program
// and the conformance test).
var Constructor cell.Constructor = func(ctx *pulumi.Context, name string, args cell.Args, opts ...pulumi.ResourceOption) (cell.Cell, error) {
	return NewCell(ctx, name, args, opts...)
}

// Outputs returns the contract's outputs.
func (c *Cell) Outputs() cell.Outputs { return c.outputs }

// NewCell builds a cell on Azure. It checks args first and registers
// nothing when they are bad. It creates no provider: pass the Azure Native
// provider in opts (pulumi.Provider or pulumi.Providers); every child, and
// every invoke, goes through it. args.DNS is not called: the Container
// App's own HTTPS host is the endpoint, with a certificate Azure manages.
func NewCell(ctx *pulumi.Context, name string, args cell.Args, opts ...pulumi.ResourceOption) (*Cell, error) {
	a, plan, err := args.Normalize(fabric.Azure)
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	if a.IngressCIDRs == nil {
		errs = append(errs, fmt.Errorf("cell %q: IngressCIDRs: missing: an Azure cell admits only the edge's ranges (e.g. cloudflare.GetIpRanges)", a.ID))
	} else if cidrs, known := cell.LiteralStrings(a.IngressCIDRs); known {
		if _, err := parseIngress(cidrs); err != nil {
			errs = append(errs, fmt.Errorf("cell %q: %w", a.ID, err))
		}
	}
	n := deriveNames(ctx.Project(), ctx.Stack(), a.ID)
	if err == nil {
		// Names derive from a valid id; a failure here is a bug in the
		// derivation, reported before Azure would reject the name.
		if err := n.validate(); err != nil {
			errs = append(errs, fmt.Errorf("cell %q: %w", a.ID, err))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	comp := &Cell{Location: a.Region}
	if err := ctx.RegisterComponentResource(componentType, name, comp, opts...); err != nil {
		return nil, fmt.Errorf("registering azure cell %s: %w", name, err)
	}
	if err := comp.build(ctx, name, a, plan, n); err != nil {
		return nil, fmt.Errorf("azure cell %s: %w", a.ID, err)
	}
	outs := comp.outputs.Map()
	maps.Copy(outs, cell.OutputMap(comp))
	outs["location"] = pulumi.String(comp.Location)
	if err := ctx.RegisterResourceOutputs(comp, outs); err != nil {
		return nil, fmt.Errorf("registering outputs of azure cell %s: %w", name, err)
	}
	return comp, nil
}

// build creates the cell's resources under c and fills its outputs.
func (c *Cell) build(ctx *pulumi.Context, name string, a cell.Args, plan stacks.NetworkPlan, n names) error {
	child := pulumi.Parent(c)
	tags := pulumi.ToStringMap(cell.StandardTags(a, fabric.Azure, ctx.Stack()))
	// Subscription and tenant ids, through the cell's provider.
	client := authorization.GetClientConfigOutput(ctx, pulumi.Parent(c))

	rg, err := resources.NewResourceGroup(ctx, name+"-rg", &resources.ResourceGroupArgs{
		ResourceGroupName: pulumi.String(n.ResourceGroup),
		Location:          pulumi.String(a.Region),
		Tags:              tags,
	}, child)
	if err != nil {
		return fmt.Errorf("creating resource group: %w", err)
	}
	edgeV4 := a.IngressCIDRs.ToStringArrayOutput().ApplyT(func(cidrs []string) ([]string, error) {
		r, err := parseIngress(cidrs)
		if err != nil {
			return nil, fmt.Errorf("cell %q: %w", a.ID, err)
		}
		return r.V4, nil
	}).(pulumi.StringArrayOutput)

	net, err := newNetwork(ctx, name, n, rg.Name, a.Region, plan, edgeV4, tags, child)
	if err != nil {
		return err
	}
	logs, err := newLogs(ctx, c, name, n, rg.Name, a.Region, tags, child)
	if err != nil {
		return err
	}
	identity, err := newIdentity(ctx, name, n, rg.Name, a.Region, tags, child)
	if err != nil {
		return err
	}
	state, err := newState(ctx, name, n, rg.Name, a.Region, net.apps.ID(), tags, child)
	if err != nil {
		return err
	}
	sec, err := newSecret(ctx, name, n, rg.Name, a.Region, client.TenantId(), a, tags, child)
	if err != nil {
		return err
	}
	// Least privilege: table data on the one table, secret contents of the
	// one secret. Both are the narrowest scopes Azure RBAC offers.
	tableGrant, err := grant(ctx, name+"-table-access", client.SubscriptionId(), roleTableDataContributor,
		state.table.ID().ToStringOutput(), identity.PrincipalId, child)
	if err != nil {
		return err
	}
	secretGrant, err := grant(ctx, name+"-secret-access", client.SubscriptionId(), roleKeyVaultSecretsUser,
		sec.secret.ID().ToStringOutput(), identity.PrincipalId, child)
	if err != nil {
		return err
	}
	grants := []pulumi.Resource{tableGrant, secretGrant}
	var extraURI pulumi.StringOutput
	if sec.extra != nil {
		// The extra key is granted exactly like the first: on its own
		// secret, nothing wider.
		extraGrant, err := grant(ctx, name+"-extra-secret-access", client.SubscriptionId(), roleKeyVaultSecretsUser,
			sec.extra.ID().ToStringOutput(), identity.PrincipalId, child)
		if err != nil {
			return err
		}
		grants = append(grants, extraGrant)
		extraURI = pulumi.Unsecret(sec.extra.Properties.SecretUri()).(pulumi.StringOutput)
	}
	if err := auditTo(ctx, name+"-vault-audit", sec.vault.ID(), logs.workspace, child); err != nil {
		return err
	}
	tableService := pulumi.Sprintf("%s/tableServices/default", state.account.ID())
	if err := auditTo(ctx, name+"-table-audit", tableService, logs.workspace, child); err != nil {
		return err
	}

	ca, err := newCompute(ctx, name, computeInputs{
		args:       a,
		names:      n,
		rg:         rg.Name,
		location:   a.Region,
		appsSubnet: net.apps.ID(),
		after:      []pulumi.Resource{net.gateway},
		logs:       logs,
		identity:   identity,
		// The secret's URI names no secret material; unwrapping it keeps
		// the app's configuration, and the endpoint read from it, plain.
		secretURI:      pulumi.Unsecret(sec.secret.Properties.SecretUri()).(pulumi.StringOutput),
		extraSecretURI: extraURI,
		stateEndpoint:  state.account.PrimaryEndpoints.Table(),
		edgeV4:         edgeV4,
		grants:         grants,
		tags:           tags,
	}, child)
	if err != nil {
		return err
	}

	endpoint := ca.Configuration.Ingress().Fqdn().ApplyT(func(fqdn *string) (string, error) {
		if fqdn == nil || *fqdn == "" {
			return "", fmt.Errorf("container app %s has no ingress host name", n.App)
		}
		return "https://" + *fqdn, nil
	}).(pulumi.StringOutput)

	c.ResourceGroupName = rg.Name
	c.VnetName = net.vnet.Name
	c.VnetID = net.vnet.ID().ToStringOutput()
	c.GatewaySubnetID = net.gateway.ID().ToStringOutput()
	c.AppsSubnetID = net.apps.ID().ToStringOutput()
	c.NsgName = net.nsg.Name
	c.outputs = cell.Outputs{
		ID:               pulumi.String(a.ID).ToStringOutput(),
		Cloud:            pulumi.String(string(fabric.Azure)).ToStringOutput(),
		Region:           pulumi.String(a.Region).ToStringOutput(),
		Endpoint:         endpoint,
		HealthURL:        pulumi.Sprintf("%s%s", endpoint, a.HealthPath),
		NetworkID:        c.VnetID,
		CIDR:             pulumi.String(plan.CIDR.String()).ToStringOutput(),
		StateStoreID:     state.table.ID().ToStringOutput(),
		WorkloadIdentity: identity.PrincipalId,
	}
	return nil
}
