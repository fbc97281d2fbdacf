package edge

import (
	"fmt"
	"net/url"
	"strconv"

	"github.com/pulumi/pulumi-cloudflare/sdk/v5/go/cloudflare"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/router"
)

// buildLoadBalancer registers one monitor and one pool per cell and the load
// balancer of the shared host.
//
// The provider's trap: Cloudflare refuses to delete a pool (or monitor) that
// a load balancer still references (error 1005). Pulumi replaces
// create-before-delete and deletes removed resources only after every update
// of the run, so the load balancer already points at the new pools when the
// old ones go, as long as nothing here asks for delete-before-replace. So:
// no DeleteBeforeReplace on pools or monitors, and logical names built from
// the cell id alone (never from a position in a list), so that adding or
// removing a cell never re-creates the others' pools.
func (b *builder) buildLoadBalancer() error {
	a := b.args
	pools := map[string]pulumi.StringOutput{}
	for _, c := range a.routedCells() {
		id, err := b.cellPool(c)
		if err != nil {
			return err
		}
		pools[c.ID] = id
	}
	plan := planLB(a)
	ids := func(cells []string) pulumi.StringArray {
		out := make(pulumi.StringArray, len(cells))
		for i, c := range cells {
			out[i] = pools[c]
		}
		return out
	}
	args := &cloudflare.LoadBalancerArgs{
		ZoneId:          pulumi.String(a.ZoneID),
		Name:            pulumi.String(a.SharedHost),
		Description:     pulumi.String("cellfabric shared routes of " + a.SharedHost + "; the Worker runs in front"),
		Proxied:         pulumi.Bool(true), // Worker routes run only on proxied hosts
		SteeringPolicy:  pulumi.String(a.Steering),
		SessionAffinity: pulumi.String("none"),
		DefaultPoolIds:  ids(plan.Default),
		FallbackPoolId:  pools[plan.Fallback],
	}
	if len(plan.Regions) > 0 {
		var regions cloudflare.LoadBalancerRegionPoolArray
		for _, rp := range plan.Regions {
			regions = append(regions, cloudflare.LoadBalancerRegionPoolArgs{Region: pulumi.String(rp.Region), PoolIds: ids(rp.Cells)})
		}
		args.RegionPools = regions
	}
	if plan.Weights != nil {
		weights := make([]any, 0, len(plan.Default))
		for _, c := range plan.Default {
			weights = append(weights, pools[c])
		}
		byPool := pulumi.All(weights...).ApplyT(func(v []any) map[string]float64 {
			out := make(map[string]float64, len(v))
			for i, id := range v {
				out[id.(string)] = plan.Weights[plan.Default[i]]
			}
			return out
		}).(pulumi.Float64MapOutput)
		args.RandomSteerings = cloudflare.LoadBalancerRandomSteeringArray{
			cloudflare.LoadBalancerRandomSteeringArgs{PoolWeights: byPool, DefaultWeight: pulumi.Float64(0)},
		}
	}
	if _, err := cloudflare.NewLoadBalancer(b.ctx, b.name+"-lb", args, b.opts()...); err != nil {
		return fmt.Errorf("load balancer %s: %w", a.SharedHost, err)
	}
	b.edge.LoadBalancerHost = pulumi.String(a.SharedHost).ToStringOutput()
	return nil
}

// cellPool registers a cell's monitor and pool and returns the pool id.
func (b *builder) cellPool(c router.Cell) (pulumi.StringOutput, error) {
	a := b.args
	endpoint, health := a.CellOutputs.Endpoints(c.ID)
	origin := endpoint.ApplyT(func(s string) (string, error) {
		u, err := url.Parse(s)
		if err != nil || u.Hostname() == "" {
			return "", fmt.Errorf("cells.%s.endpoint: %q is not a URL with a host: check the cell's outputs", c.ID, s)
		}
		return u.Hostname(), nil
	}).(pulumi.StringOutput)
	path := health.ApplyT(func(s string) (string, error) {
		u, err := parseHealthURL(c.ID, s)
		if err != nil {
			return "", err
		}
		if p := u.EscapedPath(); p != "" {
			return p, nil
		}
		return "/", nil
	}).(pulumi.StringOutput)
	scheme := health.ApplyT(func(s string) (string, error) {
		u, err := parseHealthURL(c.ID, s)
		if err != nil {
			return "", err
		}
		return u.Scheme, nil
	}).(pulumi.StringOutput)
	port := health.ApplyT(func(s string) (*int, error) {
		u, err := parseHealthURL(c.ID, s)
		if err != nil {
			return nil, err
		}
		if n, err := strconv.Atoi(u.Port()); err == nil {
			return &n, nil
		}
		return nil, nil
	}).(pulumi.IntPtrOutput)
	host := pulumi.StringArray{origin}

	mon, err := cloudflare.NewLoadBalancerMonitor(b.ctx, b.name+"-monitor-"+c.ID, &cloudflare.LoadBalancerMonitorArgs{
		AccountId:       pulumi.String(a.AccountID),
		Description:     pulumi.String("cellfabric " + a.Name + " cell " + c.ID + " health"),
		Type:            scheme,
		Method:          pulumi.String("GET"),
		Path:            path,
		Port:            port,
		ExpectedCodes:   pulumi.String(DefaultExpectedCodes),
		FollowRedirects: pulumi.Bool(false),
		AllowInsecure:   pulumi.Bool(false),
		Interval:        pulumi.Int(DefaultMonitorInterval),
		Timeout:         pulumi.Int(DefaultMonitorTimeout),
		Retries:         pulumi.Int(DefaultMonitorRetries),
		Headers: cloudflare.LoadBalancerMonitorHeaderArray{
			cloudflare.LoadBalancerMonitorHeaderArgs{Header: pulumi.String("Host"), Values: host},
		},
	}, b.opts()...)
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("cell %s: health monitor: %w", c.ID, err)
	}
	regions := defaultCheckRegions
	if r := lbRegion(c); r != "" {
		regions = []string{r}
	}
	pool, err := cloudflare.NewLoadBalancerPool(b.ctx, b.name+"-pool-"+c.ID, &cloudflare.LoadBalancerPoolArgs{
		AccountId:      pulumi.String(a.AccountID),
		Name:           pulumi.String(poolName(a.Name, c.ID)),
		Description:    pulumi.String("cellfabric cell " + c.ID),
		Enabled:        pulumi.Bool(true),
		MinimumOrigins: pulumi.Int(1),
		Monitor:        mon.ID().ToStringOutput(),
		CheckRegions:   pulumi.ToStringArray(regions),
		Origins: cloudflare.LoadBalancerPoolOriginArray{
			cloudflare.LoadBalancerPoolOriginArgs{
				Name:    pulumi.String(c.ID),
				Address: origin,
				Enabled: pulumi.Bool(true),
				Weight:  pulumi.Float64(1),
				// The cell's own host: its TLS certificate and its cloud's
				// routing (Cloud Run, Container Apps) expect it.
				Headers: cloudflare.LoadBalancerPoolOriginHeaderArray{
					cloudflare.LoadBalancerPoolOriginHeaderArgs{Header: pulumi.String("Host"), Values: host},
				},
			},
		},
	}, b.opts()...)
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("cell %s: pool: %w", c.ID, err)
	}
	return pool.ID().ToStringOutput(), nil
}

// parseHealthURL reads a cell's health URL: http or https, with a host.
func parseHealthURL(cell, s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Hostname() == "" {
		return nil, fmt.Errorf("cells.%s.healthUrl: %q is not an http(s) URL: check the cell's outputs", cell, s)
	}
	return u, nil
}
