package router

import (
	"math"
	"time"
)

// decideShared picks a cell of a shared route at random in proportion to its
// (possibly latency-scaled) weight among the eligible cells; the other
// eligible cells follow as retry candidates in route order.
func (s *Snapshot) decideShared(d *Decision, r *compiledRoute, rnd uint64, h HealthView) {
	d.Route = r.route.Prefix
	var lv LatencyView
	if r.route.Balance == BalanceLatency {
		lv, _ = h.(LatencyView)
	}
	// The fastest eligible cell's latency is the reference: a cell twice as
	// slow gets half its weight. Cells with no measurement yet count as the
	// reference.
	var ref time.Duration
	if lv != nil {
		for j, wc := range r.route.Cells {
			c := &s.reg.Cells[r.cells[j]]
			if !eligible(c, wc.Weight, h) {
				continue
			}
			if l := lv.Latency(c.ID); l > 0 && (ref == 0 || l < ref) {
				ref = l
			}
		}
	}
	weight := func(j int) float64 {
		w := float64(r.route.Cells[j].Weight)
		if ref > 0 {
			if l := lv.Latency(s.reg.Cells[r.cells[j]].ID); l > ref {
				w *= float64(ref) / float64(l)
			}
		}
		return w
	}
	total := 0.0
	for j, wc := range r.route.Cells {
		if eligible(&s.reg.Cells[r.cells[j]], wc.Weight, h) {
			total += weight(j)
		}
	}
	if total <= 0 {
		d.Status, d.Reason = statusUnavailable, ReasonNoHealthyCell
		return
	}
	// 53 random bits give a uniform float in [0, 1).
	x := float64(rnd>>11) / (1 << 53) * total
	chosen := -1
	last := -1
	for j, wc := range r.route.Cells {
		if !eligible(&s.reg.Cells[r.cells[j]], wc.Weight, h) {
			continue
		}
		last = j
		x -= weight(j)
		if x < 0 {
			chosen = j
			break
		}
	}
	if chosen < 0 { // rounding left x at the very top
		chosen = last
	}
	d.Via = ViaShared
	d.cells[0] = r.cells[chosen]
	d.n = 1
	for j, wc := range r.route.Cells {
		if d.n == MaxCandidates {
			break
		}
		if j != chosen && eligible(&s.reg.Cells[r.cells[j]], wc.Weight, h) {
			d.cells[d.n] = r.cells[j]
			d.n++
		}
	}
}

// place chooses cells for a tenant the registry does not list, by weighted
// rendezvous hashing over the active, healthy cells: each cell scores
// -weight/ln(u), u being a uniform number drawn from the hash of tenant and
// cell, and the best scores win. Every router computes the same order, a
// tenant moves only when its cell leaves the set, and a cell's share of
// tenants follows its weight.
func (s *Snapshot) place(d *Decision, tenant string, h HealthView) {
	th := hashString(tenant)
	var scores [MaxCandidates]float64
	for i := range s.reg.Cells {
		c := &s.reg.Cells[i]
		if !eligible(c, c.Weight, h) {
			continue
		}
		u := unitFloat(mix(th ^ s.cellHash[i]))
		score := -float64(c.Weight) / math.Log(u)
		// Insert into the sorted top list.
		k := int(d.n)
		if k == MaxCandidates {
			if score <= scores[k-1] {
				continue
			}
			k--
		} else {
			d.n++
		}
		for k > 0 && scores[k-1] < score {
			scores[k] = scores[k-1]
			d.cells[k] = d.cells[k-1]
			k--
		}
		scores[k] = score
		d.cells[k] = uint16(i)
	}
	if d.n == 0 {
		d.Status, d.Reason = statusUnavailable, ReasonNoHealthyCell
		return
	}
	d.Via = ViaPlacement
}

// hashString is 64-bit FNV-1a, written out so that it does not allocate.
func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// mix is the splitmix64 finaliser: it spreads FNV's weak low bits.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// unitFloat maps x to a float in the open interval (0, 1).
func unitFloat(x uint64) float64 {
	return (float64(x>>11) + 0.5) / (1 << 53)
}
