package edge

import (
	"math"
	"slices"

	"github.com/cellfabric/cellfabric/router"
)

// lbPlan is the load balancer of the shared host, decided from the args
// alone (pure, so it is tested without the engine). Cells are named by id;
// the builder turns them into pool ids.
type lbPlan struct {
	// Default lists the shared-route cells in failover order: heaviest
	// total route weight first, then by id.
	Default []string
	// Fallback is the pool used when every other pool is unhealthy: the
	// first of Default.
	Fallback string
	// Regions (geo steering) send each Cloudflare region with a shared-route
	// cell to its own cells first, then to the rest of Default.
	Regions []regionPools
	// Weights (random steering) are the pools' shares, 0.1–1 in steps of
	// 0.1 (the cell's Weight over the heaviest cell's).
	Weights map[string]float64
}

type regionPools struct {
	Region string
	Cells  []string
}

// planLB plans the load balancer; it needs validated args with at least one
// shared route.
func planLB(a Args) lbPlan {
	cells := map[string]router.Cell{}
	for _, c := range a.routedCells() {
		cells[c.ID] = c
	}
	total := map[string]int{}
	listed := map[string]bool{}
	for _, r := range a.Routing.SharedRoutes {
		for _, wc := range r.Cells {
			listed[wc.Cell] = true
			if lbWeight(cells[wc.Cell]) > 0 {
				total[wc.Cell] += wc.Weight
			}
		}
	}
	var ids []string
	for id := range listed {
		if total[id] > 0 {
			ids = append(ids, id)
		}
	}
	// Routes whose every weight is zero still need somewhere to go.
	if len(ids) == 0 {
		for id := range listed {
			ids = append(ids, id)
		}
	}
	slices.SortFunc(ids, func(x, y string) int {
		if total[x] != total[y] {
			return total[y] - total[x]
		}
		if x < y {
			return -1
		}
		return 1
	})
	p := lbPlan{Default: ids, Fallback: ids[0]}
	switch a.Steering {
	case "geo":
		p.Regions = regionsOf(cells, ids)
	case "random":
		p.Weights = weightsOf(cells, ids)
	}
	return p
}

func regionsOf(cells map[string]router.Cell, order []string) []regionPools {
	var out []regionPools
	for _, region := range LoadBalancerRegions {
		var near, far []string
		for _, id := range order {
			if lbRegion(cells[id]) == region {
				near = append(near, id)
			} else {
				far = append(far, id)
			}
		}
		if len(near) > 0 {
			out = append(out, regionPools{Region: region, Cells: append(near, far...)})
		}
	}
	return out
}

func weightsOf(cells map[string]router.Cell, ids []string) map[string]float64 {
	heaviest := 0
	for _, id := range ids {
		heaviest = max(heaviest, lbWeight(cells[id]))
	}
	out := make(map[string]float64, len(ids))
	for _, id := range ids {
		w := lbWeight(cells[id])
		switch {
		case heaviest == 0 || w == 0:
			out[id] = 0
		default:
			// Cloudflare takes pool weights in tenths; a positive weight
			// never rounds down to nothing.
			out[id] = max(0.1, math.Round(float64(w)/float64(heaviest)*10)/10)
		}
	}
	return out
}
