package vpn

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Keys of the Network output besides the planner's summary (plan.Summary's
// JSON names: ikeVersion, azureGcpTunnels, tunnels, peerings, pools).
const (
	// NetworkPublicIP is added to each tunnel end (tunnels[i].a, .b): the
	// end's public IP.
	NetworkPublicIP = "publicIp"
	// NetworkCounts holds plan.Mesh.Counts: per cloud, the gateways,
	// tunnels and other billable things.
	NetworkCounts = "counts"
)

// network builds Mesh.Network: the plan's summary with every tunnel end's
// public IP filled in. Only public IPs are awaited, so the map is neither
// secret nor able to hold a key.
func (b *builder) network() error {
	summary, err := b.plan.Summary().Map()
	if err != nil {
		return err
	}
	counts, err := toJSONShape(b.plan.Counts())
	if err != nil {
		return err
	}
	ips := pulumi.StringMap{}
	for _, p := range b.plan.Pairs {
		for _, t := range p.Tunnels {
			ips[t.ID+"/a"] = b.endIP(t.A)
			ips[t.ID+"/b"] = b.endIP(t.B)
		}
	}
	b.comp.Network = ips.ToStringMapOutput().ApplyT(func(ip map[string]string) (map[string]any, error) {
		// summary is shared by every resolution of this closure; the
		// engine resolves it once, but copy anyway to stay pure.
		out, err := toJSONShape(summary)
		if err != nil {
			return nil, err
		}
		m := out.(map[string]any)
		tunnels, _ := m["tunnels"].([]any)
		for _, raw := range tunnels {
			t, ok := raw.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("mesh summary: a tunnel is %T, not an object", raw)
			}
			id, _ := t["id"].(string)
			for _, side := range []string{"a", "b"} {
				end, ok := t[side].(map[string]any)
				if !ok {
					return nil, fmt.Errorf("mesh summary: tunnel %s has no end %s", id, side)
				}
				end[NetworkPublicIP] = ip[id+"/"+side]
			}
		}
		m[NetworkCounts] = counts
		return m, nil
	}).(pulumi.MapOutput)
	return nil
}

// toJSONShape returns v as encoding/json decodes it (maps, slices, float64
// numbers): the shape a Pulumi map output carries, and a deep copy.
func toJSONShape(v any) (any, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encoding the mesh description: %w", err)
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("decoding the mesh description: %w", err)
	}
	return out, nil
}
