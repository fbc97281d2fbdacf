package plan

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/cellfabric/cellfabric/fabric"
)

// Validate reports every problem with in at once (a fabric.Problems error), or nil.
// Zero options count as their defaults. Build calls it; other programs may
// call it alone to check an input without planning.
func (in Input) Validate() error {
	c := fabric.Collector{In: ProblemsIn}
	in = in.withDefaults()
	if in.AzureGCPTunnels != 2 && in.AzureGCPTunnels != 4 {
		c.AddKind(ErrTunnels, "azureGcpTunnels", "%d: use 2 (the default, GCP's SLA minimum) or 4", in.AzureGCPTunnels)
	}
	if in.IKEVersion != 1 && in.IKEVersion != 2 {
		c.AddKind(ErrIKE, "ikeVersion", "%d: use 1 or 2 (2 is the default and the only one AWS↔GCP tunnels rekey reliably with)", in.IKEVersion)
	}
	validateCells(&c, in.Cells)
	if c.Len() == 0 {
		validateCapacity(&c, in.Cells)
		validateNames(&c, in.Cells)
	}
	return c.Err()
}

func validateCells(c *fabric.Collector, cells []Cell) {
	ids := map[string]int{}
	asns := map[int64]int{}
	clouds := map[fabric.Cloud]bool{}
	unknownCloud := false
	type block struct {
		idx int
		pfx netip.Prefix
	}
	var blocks []block
	for i, cell := range cells {
		p := fmt.Sprintf("cells[%d]", i)
		switch {
		case cell.ID == "":
			c.AddKind(ErrCell, p+".id", "missing: every cell needs an id")
		case !fabric.ValidCellID(cell.ID):
			c.AddKind(ErrCell, p+".id", "%q is not a valid cell id: %s", cell.ID, fabric.CellIDRule)
		}
		if j, dup := ids[cell.ID]; dup && cell.ID != "" {
			c.AddKind(ErrDuplicateID, p+".id", "%q is already the id of cells[%d]: give every cell its own id", cell.ID, j)
		} else {
			ids[cell.ID] = i
		}
		if cell.Cloud.Rank() < 0 {
			c.AddKind(ErrCell, p+".cloud", "unknown cloud %q: use aws, azure or gcp", cell.Cloud)
			unknownCloud = true
		} else {
			clouds[cell.Cloud] = true
		}
		if strings.TrimSpace(cell.Region) == "" {
			c.AddKind(ErrCell, p+".region", "missing: the region of the cell's network")
		}
		if pfx, ok := parseCIDR(c, p+".cidr", cell.CIDR); ok {
			if pfx.Overlaps(LinkLocal) {
				c.AddKind(ErrOverlap, p+".cidr", "%s overlaps %s, which the tunnels' inside addresses use: pick a private block such as 10.50.0.0/16", pfx, LinkLocal)
			}
			for _, b := range blocks {
				if b.pfx.Overlaps(pfx) {
					c.AddKind(ErrOverlap, p+".cidr", "%s overlaps cells[%d] (%s %s): give each cell its own block", pfx, b.idx, cells[b.idx].ID, b.pfx)
				}
			}
			blocks = append(blocks, block{i, pfx})
		}
		if msg := ASNProblem(cell.ASN); msg != "" {
			c.AddKind(ErrASN, p+".asn", "%s", msg)
		} else if j, dup := asns[cell.ASN]; dup {
			c.AddKind(ErrASNClash, p+".asn", "%d is already the ASN of cells[%d] (%s): cells %s and %s need different ASNs", cell.ASN, j, cells[j].ID, cells[j].ID, cell.ID)
		} else {
			asns[cell.ASN] = i
		}
	}
	if len(cells) == 0 {
		c.AddKind(ErrOneCloud, "cells", "no cells: the mesh needs cells on at least two clouds")
	} else if len(clouds) == 1 && !unknownCloud {
		var only fabric.Cloud
		for k := range clouds {
			only = k
		}
		c.AddKind(ErrOneCloud, "cells", "every cell is on %s: the mesh needs cells on at least two clouds (same-cloud cells are joined by peering; turn the mesh off or add a cell on another cloud)", only)
	}
}

func parseCIDR(c *fabric.Collector, path, s string) (netip.Prefix, bool) {
	if s == "" {
		c.AddKind(ErrCell, path, "missing: the cell's private block, e.g. 10.10.0.0/16")
		return netip.Prefix{}, false
	}
	pfx, err := netip.ParsePrefix(s)
	switch {
	case err != nil:
		c.AddKind(ErrCell, path, "%q is not a CIDR block such as 10.10.0.0/16", s)
	case !pfx.Addr().Is4():
		c.AddKind(ErrCell, path, "%s is not an IPv4 block", s)
	case pfx.Masked() != pfx:
		c.AddKind(ErrCell, path, "%s has host bits set; did you mean %s?", s, pfx.Masked())
	default:
		return pfx, true
	}
	return netip.Prefix{}, false
}

// validateCapacity checks both pools hold every pair's slots.
func validateCapacity(c *fabric.Collector, cells []Cell) {
	n := map[fabric.Cloud]int{}
	for _, cell := range cells {
		n[cell.Cloud]++
	}
	apipa, ll := SlotsNeeded(n[fabric.AWS], n[fabric.Azure], n[fabric.GCP])
	if apipa > APIPASlots {
		c.AddKind(ErrExhausted, "cells",
			"Azure's APIPA range %s is exhausted: %d Azure cell(s) × %d AWS and GCP cell(s) need %d inside /30s and it holds %d, so Azure cells × (AWS + GCP cells) must be at most %d; remove cells or split the mesh into several stacks",
			APIPAPool, n[fabric.Azure], n[fabric.AWS]+n[fabric.GCP], apipa, APIPASlots, APIPASlots/SlotsPerPair)
	}
	if ll > LinkLocalSlots {
		c.AddKind(ErrExhausted, "cells",
			"the AWS↔GCP inside range %s is exhausted: %d AWS cell(s) × %d GCP cell(s) need %d inside /30s and it holds %d, so AWS cells × GCP cells must be at most %d; remove cells or split the mesh into several stacks",
			LinkLocalPool, n[fabric.AWS], n[fabric.GCP], ll, LinkLocalSlots, LinkLocalSlots/SlotsPerPair)
	}
}

// validateNames checks that no two pairs get the same id. Ids are joined with
// "-to-", so this only fails when cell ids themselves contain "-to-" in a way
// that makes two joins equal.
func validateNames(c *fabric.Collector, cells []Cell) {
	seen := map[string][2]string{}
	forEachPair(cells, func(i, j int) {
		a, b := orient(cells, i, j)
		id := pairID(cells[a].ID, cells[b].ID)
		if prev, dup := seen[id]; dup {
			c.AddKind(ErrNameClash, "cells", "pairs %s/%s and %s/%s would both be named %q: rename one of these cells", prev[0], prev[1], cells[a].ID, cells[b].ID, id)
			return
		}
		seen[id] = [2]string{cells[a].ID, cells[b].ID}
	})
}
