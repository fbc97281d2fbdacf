package azure

import (
	"fmt"

	"github.com/pulumi/pulumi-azure-native-sdk/network/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/stacks"
)

// Subnet names from stacks.PlanNetwork. Azure requires the gateway subnet to
// be called exactly "GatewaySubnet".
const (
	appsSubnet    = "apps"
	gatewaySubnet = "GatewaySubnet"
)

// containerAppsDelegation is the service a workload-profiles environment's
// subnet must be delegated to.
const containerAppsDelegation = "Microsoft.App/environments"

// Ports of a workload-profiles environment that edge traffic arriving
// through the VNet uses: 443 and the environment edge proxy's 31443 behind
// the internal load balancer; Azure Load Balancer probes 30000-32767
// (learn.microsoft.com/azure/container-apps/firewall-integration).
var (
	edgeHTTPSPorts = []string{"443", "31443"}
	lbProbePorts   = "30000-32767"
)

// NSG rule priorities: the edge rule first, the load balancer's probes
// next. Azure's defaults (AllowVnetInBound 65000, AllowAzureLoadBalancerInBound
// 65001, DenyAllInBound 65500) stay below them: VNet traffic, including the
// VPN mesh a later issue adds, keeps flowing, and everything else is dropped.
const (
	priorityEdge   = 100
	priorityLBPing = 110
)

// network is what cellNetwork builds.
type cellNetwork struct {
	vnet    *network.VirtualNetwork
	nsg     *network.NetworkSecurityGroup
	apps    *network.Subnet
	gateway *network.Subnet
}

// newNetwork builds the cell's VNet over its whole CIDR, the "apps" subnet
// for the Container Apps environment (delegated, with the NSG and a storage
// service endpoint) and the GatewaySubnet kept free for the VPN gateway.
func newNetwork(ctx *pulumi.Context, name string, n names, rg pulumi.StringInput, location string,
	plan stacks.NetworkPlan, edge pulumi.StringArrayOutput, tags pulumi.StringMap, opts ...pulumi.ResourceOption) (*cellNetwork, error) {
	apps, ok := plan.Subnet(appsSubnet)
	gw, ok2 := plan.Subnet(gatewaySubnet)
	if !ok || !ok2 {
		return nil, fmt.Errorf("azure network plan for %s lacks the %q or %q subnet: stacks.PlanNetwork changed; update components/azure", plan.CIDR, appsSubnet, gatewaySubnet)
	}
	vnet, err := network.NewVirtualNetwork(ctx, name+"-vnet", &network.VirtualNetworkArgs{
		VirtualNetworkName: pulumi.String(n.VNet),
		ResourceGroupName:  rg,
		Location:           pulumi.String(location),
		AddressSpace:       &network.AddressSpaceArgs{AddressPrefixes: pulumi.StringArray{pulumi.String(plan.CIDR.String())}},
		Tags:               tags,
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("creating virtual network: %w", err)
	}
	// No inline rules: the rules are separate SecurityRule resources, so
	// that other components (the VPN mesh) can add theirs to the same NSG.
	// Azure Native treats rules missing from an inline list as drift and
	// deletes them on the next update (pulumi/pulumi-azure-native#3359).
	nsg, err := network.NewNetworkSecurityGroup(ctx, name+"-nsg", &network.NetworkSecurityGroupArgs{
		NetworkSecurityGroupName: pulumi.String(n.NSG),
		ResourceGroupName:        rg,
		Location:                 pulumi.String(location),
		Tags:                     tags,
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("creating network security group: %w", err)
	}
	var ruleRes []pulumi.Resource
	for _, rule := range nsgRules(edge, apps.CIDR.String()) {
		rule.ResourceGroupName = rg
		rule.NetworkSecurityGroupName = nsg.Name
		r, err := network.NewSecurityRule(ctx, name+"-nsg-"+rule.logical, &rule.SecurityRuleArgs, opts...)
		if err != nil {
			return nil, fmt.Errorf("creating NSG rule %s: %w", rule.logical, err)
		}
		ruleRes = append(ruleRes, r)
	}
	appsNet, err := network.NewSubnet(ctx, name+"-apps", &network.SubnetArgs{
		SubnetName:         pulumi.String(appsSubnet),
		ResourceGroupName:  rg,
		VirtualNetworkName: vnet.Name,
		AddressPrefix:      pulumi.String(apps.CIDR.String()),
		Delegations: network.DelegationArray{network.DelegationArgs{
			Name:        pulumi.String("container-apps"),
			ServiceName: pulumi.String(containerAppsDelegation),
		}},
		NetworkSecurityGroup: &network.NetworkSecurityGroupTypeArgs{Id: nsg.ID()},
		// The workload reaches its table through the storage firewall,
		// which admits this subnet only.
		ServiceEndpoints: network.ServiceEndpointPropertiesFormatArray{
			network.ServiceEndpointPropertiesFormatArgs{Service: pulumi.String("Microsoft.Storage")},
		},
	}, append(opts, pulumi.DependsOn(ruleRes))...)
	if err != nil {
		return nil, fmt.Errorf("creating apps subnet: %w", err)
	}
	// Azure serialises changes to one VNet; creating both subnets at once
	// fails with AnotherOperationInProgress, so the gateway subnet waits.
	// No NSG: Azure doesn't support one on a GatewaySubnet.
	gwNet, err := network.NewSubnet(ctx, name+"-gateway", &network.SubnetArgs{
		SubnetName:         pulumi.String(gatewaySubnet),
		ResourceGroupName:  rg,
		VirtualNetworkName: vnet.Name,
		AddressPrefix:      pulumi.String(gw.CIDR.String()),
	}, append(opts, pulumi.DependsOn([]pulumi.Resource{appsNet}))...)
	if err != nil {
		return nil, fmt.Errorf("creating gateway subnet: %w", err)
	}
	return &cellNetwork{vnet: vnet, nsg: nsg, apps: appsNet, gateway: gwNet}, nil
}

// nsgRule is one inbound rule of the apps subnet's NSG.
type nsgRule struct {
	logical string
	network.SecurityRuleArgs
}

// nsgRules are the inbound rules of the apps subnet: HTTPS from the edge's
// IPv4 ranges (the VNet is IPv4-only, and an NSG rule can't mix families)
// and Azure Load Balancer's probes. Nothing admits "*" or Internet.
func nsgRules(edgeV4 pulumi.StringArrayOutput, appsCIDR string) []nsgRule {
	return []nsgRule{
		{"edge-https", network.SecurityRuleArgs{
			SecurityRuleName:         pulumi.String("allow-edge-https"),
			Description:              pulumi.String("HTTPS from the edge's egress ranges only"),
			Direction:                pulumi.String("Inbound"),
			Access:                   pulumi.String("Allow"),
			Protocol:                 pulumi.String("Tcp"),
			Priority:                 pulumi.Int(priorityEdge),
			SourceAddressPrefixes:    edgeV4,
			SourcePortRange:          pulumi.String("*"),
			DestinationAddressPrefix: pulumi.String(appsCIDR),
			DestinationPortRanges:    pulumi.ToStringArray(edgeHTTPSPorts),
		}},
		{"azure-lb", network.SecurityRuleArgs{
			SecurityRuleName:         pulumi.String("allow-azure-load-balancer"),
			Description:              pulumi.String("Azure Load Balancer health probes of the environment"),
			Direction:                pulumi.String("Inbound"),
			Access:                   pulumi.String("Allow"),
			Protocol:                 pulumi.String("Tcp"),
			Priority:                 pulumi.Int(priorityLBPing),
			SourceAddressPrefix:      pulumi.String("AzureLoadBalancer"),
			SourcePortRange:          pulumi.String("*"),
			DestinationAddressPrefix: pulumi.String(appsCIDR),
			DestinationPortRange:     pulumi.String(lbProbePorts),
		}},
	}
}
