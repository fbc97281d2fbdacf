package program

import (
	"fmt"

	"github.com/pulumi/pulumi-cloudflare/sdk/v5/go/cloudflare"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/stacks"
)

// buildCells creates the cells this stack deploys, each with its own explicit
// provider. Every cell gets the edge signing key and, during a rotation, the
// extra key (cellfabric:edgeExtraKey, edge.extraKeyId).
func buildCells(ctx *pulumi.Context, topo *stacks.Topology, opts Options, edgeKey pulumi.StringOutput, cf *cloudflare.Provider) (map[string]cell.Cell, map[string]pulumi.ProviderResource, error) {
	extra, hasExtra, err := edgeExtraKey(ctx, topo)
	if err != nil {
		return nil, nil, err
	}
	keys := cellKeys{key: edgeKey, keyID: topo.Edge.KeyID}
	if hasExtra {
		keys.extra, keys.extraID = extra, topo.Edge.ExtraKeyID
	}

	// The edge's egress ranges: the only sources a cell accepts.
	ranges, err := cloudflare.GetIpRanges(ctx, pulumi.Provider(cf))
	if err != nil {
		return nil, nil, fmt.Errorf("reading Cloudflare's IP ranges: %w", err)
	}
	ingress := pulumi.ToStringArray(append(append([]string{}, ranges.Ipv4CidrBlocks...), ranges.Ipv6CidrBlocks...))

	var dns cell.DNSRecordFunc
	if !topo.Edge.Disabled {
		dns = cloudflareDNS(topo.Edge.ZoneID)
	}

	cells := map[string]cell.Cell{}
	providers := map[string]pulumi.ProviderResource{}
	for _, c := range topo.DeployedCells() {
		build, ok := opts.Cells[c.Cloud]
		if !ok {
			return nil, nil, fmt.Errorf("cell %s: no cell component for cloud %s", c.ID, c.Cloud)
		}
		prov, err := cellProvider(ctx, topo, c)
		if err != nil {
			return nil, nil, err
		}
		built, err := build(ctx, c.ID, cellArgs(topo, c, keys, ingress, dns), pulumi.Providers(prov, cf))
		if err != nil {
			return nil, nil, fmt.Errorf("cell %s: %w", c.ID, err)
		}
		cells[c.ID], providers[c.ID] = built, prov
	}
	return cells, providers, nil
}

// cellsOutput is the `cells` export: cell id → cell.Outputs.
func cellsOutput(cells map[string]cell.Cell) pulumi.Map {
	out := pulumi.Map{}
	for id, c := range cells {
		out[id] = c.Outputs().Map()
	}
	return out
}

// cellKeys are the edge keys every cell of the stack accepts: the signing
// key and, during a rotation, one extra key (extra is nil without one).
type cellKeys struct {
	key     pulumi.StringOutput
	keyID   string
	extra   pulumi.StringInput
	extraID string
}

// cellArgs maps a topology cell onto the cell contract.
func cellArgs(topo *stacks.Topology, c stacks.Cell, keys cellKeys, ingress pulumi.StringArrayInput, dns cell.DNSRecordFunc) cell.Args {
	tags := map[string]string{}
	for k, v := range topo.Tags {
		tags[k] = v
	}
	for k, v := range c.Tags {
		tags[k] = v
	}
	tenants := []string{}
	for _, t := range topo.Tenants {
		if t.Cell == c.ID {
			tenants = append(tenants, t.ID)
		}
	}
	return cell.Args{
		ID:             c.ID,
		Region:         c.Region,
		CIDR:           c.CIDR,
		Zones:          c.Zones,
		Hostname:       c.Hostname,
		Image:          pulumi.String(c.Image),
		Port:           c.Port,
		HealthPath:     c.HealthPath,
		Env:            pulumi.ToStringMap(c.Env),
		MinInstances:   *c.MinInstances,
		MaxInstances:   c.MaxInstances,
		Tenants:        tenants,
		Tags:           tags,
		EdgeKey:        keys.key,
		EdgeKeyID:      keys.keyID,
		ExtraEdgeKey:   keys.extra,
		ExtraEdgeKeyID: keys.extraID,
		IngressCIDRs:   ingress,
		DNS:            dns,
	}
}

// cloudflareDNS returns the DNSRecordFunc that creates a cell's records in
// the edge's Cloudflare zone, unproxied (origin and validation records must
// resolve to the cloud, not to the edge).
func cloudflareDNS(zoneID string) cell.DNSRecordFunc {
	return func(ctx *pulumi.Context, name string, rec cell.DNSRecord, opts ...pulumi.ResourceOption) (pulumi.Resource, error) {
		return cloudflare.NewRecord(ctx, name, &cloudflare.RecordArgs{
			ZoneId:  pulumi.String(zoneID),
			Name:    rec.Name,
			Type:    pulumi.String(rec.Type),
			Content: rec.Value,
			Proxied: pulumi.Bool(false),
			Ttl:     pulumi.Int(300),
			Comment: pulumi.String("cellfabric " + rec.Purpose),
		}, opts...)
	}
}
