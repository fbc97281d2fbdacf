package program

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/aws"
	"github.com/cellfabric/cellfabric/components/azure"
	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/components/gcp"
	"github.com/cellfabric/cellfabric/components/vpn"
	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/stacks"
)

// Keys of one cell's entry in the `networks` output.
const (
	netVpcID              = "vpcId"
	netPrivateRouteTables = "privateRouteTableIds"
	netPublicRouteTables  = "publicRouteTableIds"
	netTaskSecurityGroup  = "taskSecurityGroupId"
	netResourceGroup      = "resourceGroupName"
	netVnetName           = "vnetName"
	netVnetID             = "vnetId"
	netGatewaySubnetID    = "gatewaySubnetId"
	netNsgName            = "nsgName"
	netNetworkSelfLink    = "networkSelfLink"
	netProject            = "project"
)

// networkAttachments is the `networks` export: per cell, what the VPN mesh
// attaches to. The mesh reads its inputs from this map in every role, so a
// network stack (reading it through StackReferences) and an all-in-one
// stack take exactly the same path.
func networkAttachments(cells map[string]cell.Cell) pulumi.Map {
	out := pulumi.Map{}
	for id, c := range cells {
		switch x := c.(type) {
		case *aws.Cell:
			out[id] = pulumi.Map{
				netVpcID:              x.VpcID,
				netPrivateRouteTables: x.PrivateRouteTableIDs,
				netPublicRouteTables:  x.PublicRouteTableIDs,
				netTaskSecurityGroup:  x.TaskSecurityGroupID,
			}
		case *azure.Cell:
			out[id] = pulumi.Map{
				netResourceGroup:   x.ResourceGroupName,
				netVnetName:        x.VnetName,
				netVnetID:          x.VnetID,
				netGatewaySubnetID: x.GatewaySubnetID,
				netNsgName:         x.NsgName,
			}
		case *gcp.Cell:
			out[id] = pulumi.Map{
				netNetworkSelfLink: x.NetworkSelfLink,
				netProject:         x.Project,
			}
		}
	}
	return out
}

// meshArgs is the mesh of the topology as far as the topology alone
// decides it: every cell's id, cloud, region, CIDR and ASN, in topology
// order, and the tunnel options. buildMesh adds the providers and network
// attachments; Check hands it to the planner before anything is built.
func meshArgs(topo *stacks.Topology) vpn.MeshArgs {
	args := vpn.MeshArgs{
		AzureGCPTunnels: topo.Network.AzureGCPTunnels,
		IKEVersion:      topo.Network.IKEVersion,
		Tags:            topo.Tags,
	}
	for _, c := range topo.Cells {
		args.Cells = append(args.Cells, vpn.CellNetwork{
			ID: c.ID, Cloud: c.Cloud, Region: c.Region, CIDR: c.CIDR, ASN: c.ASN,
		})
	}
	return args
}

// buildMesh builds the VPN mesh between every cell of the topology from the
// cells' network attachments (cell id → the map networkAttachments makes)
// and a provider per cell, and returns the `network` output.
func buildMesh(ctx *pulumi.Context, topo *stacks.Topology, attachments pulumi.MapOutput, providers map[string]pulumi.ProviderResource) (pulumi.MapOutput, error) {
	args := meshArgs(topo)
	for i, c := range topo.Cells {
		cn := &args.Cells[i]
		cn.Provider = providers[c.ID]
		str := func(key string) pulumi.StringOutput { return attachmentString(attachments, c.ID, key) }
		switch c.Cloud {
		case fabric.AWS:
			tables := attachmentStrings(attachments, c.ID, netPrivateRouteTables, c.Zones)
			tables = append(tables, attachmentStrings(attachments, c.ID, netPublicRouteTables, 1)...)
			cn.AWS = &vpn.AWSNetwork{
				VpcID:            str(netVpcID),
				RouteTableIDs:    tables,
				SecurityGroupIDs: []pulumi.StringInput{str(netTaskSecurityGroup)},
			}
		case fabric.Azure:
			cn.Azure = &vpn.AzureNetwork{
				ResourceGroupName: str(netResourceGroup),
				VnetName:          str(netVnetName),
				VnetID:            str(netVnetID),
				GatewaySubnetID:   str(netGatewaySubnetID),
				NsgName:           str(netNsgName),
				NoZones:           !azure.HasZones(c.Region),
			}
		case fabric.GCP:
			cn.GCP = &vpn.GCPNetwork{
				NetworkSelfLink: str(netNetworkSelfLink),
				Project:         str(netProject),
			}
		}
	}
	mesh, err := vpn.NewMesh(ctx, "mesh", args)
	if err != nil {
		// NewMesh's errors name the mesh already ("vpn mesh: ...").
		return pulumi.MapOutput{}, err
	}
	return mesh.Network, nil
}

// buildNetworkRole is the network stack: a provider per cell in this stack,
// the cells' attachments read from the cell stacks' `networks` outputs, and
// the mesh between them.
func buildNetworkRole(ctx *pulumi.Context, topo *stacks.Topology) (pulumi.MapOutput, error) {
	providers := map[string]pulumi.ProviderResource{}
	for _, c := range topo.Cells {
		p, err := cellProvider(ctx, topo, c)
		if err != nil {
			return pulumi.MapOutput{}, err
		}
		providers[c.ID] = p
	}
	attachments, err := readCellStacks(ctx, topo, OutputNetworks)
	if err != nil {
		return pulumi.MapOutput{}, err
	}
	return buildMesh(ctx, topo, attachments, providers)
}

// readCellStacks reads one output (a map keyed by cell id) from every cell
// stack and merges them. A cell of the topology that no cell stack exports,
// or that two stacks both export, fails the deployment with a message naming
// the stacks to check.
func readCellStacks(ctx *pulumi.Context, topo *stacks.Topology, output string) (pulumi.MapOutput, error) {
	var outs []any
	for i, name := range topo.CellStacks {
		ref, err := pulumi.NewStackReference(ctx, fmt.Sprintf("cell-stack-%d", i), &pulumi.StackReferenceArgs{Name: pulumi.String(name)})
		if err != nil {
			return pulumi.MapOutput{}, fmt.Errorf("stack reference %s: %w", name, err)
		}
		outs = append(outs, ref.GetOutput(pulumi.String(output)))
	}
	stackNames := slices.Clone(topo.CellStacks)
	var want []string
	for _, c := range topo.Cells {
		want = append(want, c.ID)
	}
	merged := pulumi.All(outs...).ApplyT(func(vs []any) (map[string]any, error) {
		out := map[string]any{}
		from := map[string]string{}
		for i, v := range vs {
			m, _ := v.(map[string]any)
			for id, val := range m {
				if prev, dup := from[id]; dup {
					return nil, fmt.Errorf("cell %s is exported by two cell stacks, %s and %s: each cell belongs to one stack", id, prev, stackNames[i])
				}
				from[id], out[id] = stackNames[i], val
			}
		}
		var missing []string
		for _, id := range want {
			if _, ok := out[id]; !ok {
				missing = append(missing, id)
			}
		}
		if len(missing) > 0 {
			return nil, fmt.Errorf("no cell stack exports %q for cell(s) %s: deploy their cell stacks first, and list them in cellfabric:cellStacks (now: %s)",
				output, strings.Join(missing, ", "), strings.Join(stackNames, ", "))
		}
		return out, nil
	}).(pulumi.MapOutput)
	return merged, nil
}

// attachmentString reads one string of one cell's attachment.
func attachmentString(m pulumi.MapOutput, cellID, key string) pulumi.StringOutput {
	return m.ApplyT(func(all map[string]any) (string, error) {
		v, err := attachmentValue(all, cellID, key)
		if err != nil {
			return "", err
		}
		s, ok := v.(string)
		if !ok || s == "" {
			return "", fmt.Errorf("cell %s: network attachment %s is %v, not a non-empty string", cellID, key, v)
		}
		return s, nil
	}).(pulumi.StringOutput)
}

// attachmentStrings reads the first n elements of one string list of one
// cell's attachment (n is known from the topology, e.g. the zone count).
func attachmentStrings(m pulumi.MapOutput, cellID, key string, n int) []pulumi.StringInput {
	list := m.ApplyT(func(all map[string]any) ([]string, error) {
		v, err := attachmentValue(all, cellID, key)
		if err != nil {
			return nil, err
		}
		var out []string
		switch xs := v.(type) {
		case []string:
			out = xs
		case []any:
			for _, x := range xs {
				s, _ := x.(string)
				out = append(out, s)
			}
		}
		if len(out) < n {
			return nil, fmt.Errorf("cell %s: network attachment %s has %d entries, want %d", cellID, key, len(out), n)
		}
		return out, nil
	}).(pulumi.StringArrayOutput)
	return vpn.StringInputs(list, n)
}

func attachmentValue(all map[string]any, cellID, key string) (any, error) {
	cm, ok := all[cellID].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("cell %s: no network attachment (the cell stack's %q output lacks it)", cellID, OutputNetworks)
	}
	v, ok := cm[key]
	if !ok {
		return nil, fmt.Errorf("cell %s: network attachment lacks %s", cellID, key)
	}
	return v, nil
}
