package azure

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/fabric"
)

// ComponentType is the type token of the Azure cell component.
const ComponentType = "cellfabric:azure:Cell"

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
var Constructor = cell.ConstructorFor(NewCell)

// Outputs returns the contract's outputs.
func (c *Cell) Outputs() cell.Outputs { return c.outputs }

// NewCell builds a cell on Azure. It checks args first and registers
// nothing when they are bad. It creates no provider: pass the Azure Native
// provider in opts (pulumi.Provider or pulumi.Providers); every child, and
// every invoke, goes through it. args.DNS is not called: the Container
// App's own HTTPS host is the endpoint, with a certificate Azure manages.
func NewCell(ctx *pulumi.Context, name string, args cell.Args, opts ...pulumi.ResourceOption) (*Cell, error) {
	args, plan, err := args.Normalize(fabric.Azure)
	n := deriveNames(ctx.Project(), ctx.Stack(), args.ID)
	if err := errors.Join(err, checkArgs(args, n)); err != nil {
		return nil, fmt.Errorf("azure cell %s: %w", name, err)
	}
	c := &Cell{Location: args.Region}
	b := &builder{
		ctx:   ctx,
		name:  name,
		args:  args,
		plan:  plan,
		names: n,
		tags:  pulumi.ToStringMap(cell.StandardTags(args, fabric.Azure, ctx.Stack())),
		comp:  c,
	}
	err = cell.Build(ctx, cell.Component{
		Cloud: fabric.Azure, Type: ComponentType, Name: name, Resource: c,
		Steps: []cell.Step{
			{What: "reading the subscription", Run: b.subscription},
			{What: "building the resource group", Run: b.resourceGroup},
			{What: "building the network", Run: b.network},
			{What: "building the log workspace", Run: b.logs},
			{What: "building the workload identity", Run: b.identity},
			{What: "building the state store", Run: b.state},
			{What: "building the edge key secret", Run: b.secret},
			{What: "granting the workload identity access", Run: b.access},
			{What: "building the audit logs", Run: b.audit},
			{What: "building the Container App", Run: b.compute},
		},
		Fill:  func() { b.fill(c) },
		Extra: pulumi.Map{"location": pulumi.String(c.Location)},
	}, opts...)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// checkArgs checks what Normalize leaves to Azure: an IPv4 block among
// the edge ranges and extra environment that would shadow what the cell
// sets (when the program gives them as literals; an Output is checked when
// it resolves), and the names derived from a valid id.
func checkArgs(a cell.Args, n names) error {
	var errs []error
	if env, ok := a.Env.(pulumi.StringMap); ok {
		if err := cell.CheckEnv(slices.Collect(maps.Keys(env)), platformEnv); err != nil {
			errs = append(errs, fmt.Errorf("cell %q: Env: %w", a.ID, err))
		}
	}
	if cidrs, known := cell.LiteralStrings(a.IngressCIDRs); known {
		if r, err := cell.ParseIngress(cidrs); err == nil && len(r.V4) == 0 {
			errs = append(errs, fmt.Errorf("cell %q: %w", a.ID, errNoIPv4))
		}
	}
	if fabric.ValidCellID(a.ID) {
		// A failure here is a bug in the derivation, reported before
		// Azure would reject the name.
		if err := n.validate(); err != nil {
			errs = append(errs, fmt.Errorf("cell %q: %w", a.ID, err))
		}
	}
	return errors.Join(errs...)
}
