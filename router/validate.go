package router

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/cellfabric/cellfabric/fabric"
)

// ProblemsIn names the registry in the heading of its problems.
const ProblemsIn = "the registry"

// Validate reports every problem with the document at once, each with its
// JSON path, for example `tenants[3].cell: unknown cell "x"`. It does no I/O.
func (r *Registry) Validate() error {
	_, err := r.check()
	return err
}

// check validates the document and returns the tenant index it built on the
// way (tenant id → position in Tenants), so that Compile need not build it
// twice for a large registry.
func (r *Registry) check() (*tenantIndex, error) {
	p := fabric.Collector{In: ProblemsIn}
	if r.Version != SchemaVersion {
		p.Add("version", "got %d, this router reads version %d; upgrade the router or rebuild the registry with `cellfabric registry`", r.Version, SchemaVersion)
	}
	if r.Epoch <= 0 {
		p.Add("epoch", "must be positive, got %d", r.Epoch)
	}
	cells := checkCells(&p, r.Cells)
	tenants := checkTenants(&p, r.Tenants, cells)
	checkRoutes(&p, r.SharedRoutes, cells)
	if !r.UnknownTenants.Valid() {
		p.Add("unknownTenants", "unknown policy %q; want reject or place", r.UnknownTenants)
	}
	return tenants, p.Err()
}

func checkCells(p *fabric.Collector, cells []Cell) map[string]int {
	if len(cells) == 0 {
		p.Add("cells", "at least one cell is required")
	}
	if len(cells) > MaxCells {
		p.Add("cells", "%d cells, over the limit of %d", len(cells), MaxCells)
	}
	byID := make(map[string]int, len(cells))
	for i := range cells {
		c := &cells[i]
		at := fmt.Sprintf("cells[%d]", i)
		if !fabric.ValidCellID(c.ID) {
			p.Add(at+".id", "%q is not a valid cell id: %s", c.ID, fabric.CellIDRule)
		} else if j, dup := byID[c.ID]; dup {
			p.Add(at+".id", "duplicate cell %q (also cells[%d])", c.ID, j)
		} else {
			byID[c.ID] = i
		}
		if !c.Cloud.Valid() {
			p.Add(at+".cloud", "%q is not a cloud cellfabric runs cells on: use aws, azure or gcp", c.Cloud)
		}
		if c.Region == "" || len(c.Region) > 64 || strings.IndexFunc(c.Region, isSpaceOrControl) >= 0 {
			p.Add(at+".region", "%q is not a valid region: 1-64 characters without spaces", c.Region)
		}
		if msg := checkURL(c.Endpoint, true); msg != "" {
			p.Add(at+".endpoint", "%s", msg)
		}
		if c.HealthURL != "" {
			if msg := checkURL(c.HealthURL, false); msg != "" {
				p.Add(at+".healthUrl", "%s", msg)
			}
		}
		if c.Weight < 0 || c.Weight > MaxWeight {
			p.Add(at+".weight", "%d is out of range 0..%d", c.Weight, MaxWeight)
		}
		if !c.State.Valid() {
			p.Add(at+".state", "unknown state %q; want active, draining or down", c.State)
		}
		if len(c.Geo) > 32 || strings.IndexFunc(c.Geo, isSpaceOrControl) >= 0 {
			p.Add(at+".geo", "%q is not a valid geography: up to 32 characters without spaces", c.Geo)
		}
	}
	return byID
}

func checkTenants(p *fabric.Collector, tenants []Tenant, cells map[string]int) *tenantIndex {
	byID := newTenantIndex(len(tenants))
	for i := range tenants {
		t := &tenants[i]
		// Build paths lazily: formatting a path for each of a million valid
		// tenants would dominate the load time.
		at := func(field string) string { return fmt.Sprintf("tenants[%d].%s", i, field) }
		if checkTenant(p, t, cells, at) {
			if j, added := byID.insert(t.ID, int32(i)); !added {
				p.Add(at("id"), "duplicate tenant %q (also tenants[%d])", t.ID, j)
			}
		}
	}
	return byID
}

// checkTenant reports the problems of one tenant entry, each at the path
// at(field), and whether its id is valid. These are the rules of a
// registry's tenants and of the tenant directory's entries (CheckTenant,
// CheckEntry): one copy for all. cells are the registry's cells the
// tenant's must be among; nil (CheckEntry: the directory does not know
// the registry) checks only that they are cell ids.
func checkTenant(p *fabric.Collector, t *Tenant, cells map[string]int, at func(string) string) bool {
	validID := fabric.ValidTenantID(t.ID)
	if !validID {
		p.Add(at("id"), "%q is not a valid tenant id: %s", t.ID, fabric.TenantIDRule)
	}
	switch {
	case t.Cell == "":
		p.Add(at("cell"), "required: the tenant's primary cell")
	case cells == nil && !fabric.ValidCellID(t.Cell):
		p.Add(at("cell"), "primary cell %q is not a valid cell id: %s", t.Cell, fabric.CellIDRule)
	case cells != nil && !known(cells, t.Cell):
		p.Add(at("cell"), "unknown cell %q", t.Cell)
	}
	if len(t.Failover) > MaxFailover {
		p.Add(at("failover"), "%d failover cells, over the limit of %d", len(t.Failover), MaxFailover)
	}
	for j, f := range t.Failover {
		switch {
		case f == t.Cell:
			p.Add(at(fmt.Sprintf("failover[%d]", j)), "%q is the tenant's primary cell; list only other cells", f)
		case cells == nil && !fabric.ValidCellID(f):
			p.Add(at(fmt.Sprintf("failover[%d]", j)), "%q is not a valid cell id: %s", f, fabric.CellIDRule)
		case cells != nil && !known(cells, f):
			p.Add(at(fmt.Sprintf("failover[%d]", j)), "unknown cell %q", f)
		case indexOf(t.Failover[:j], f) >= 0:
			p.Add(at(fmt.Sprintf("failover[%d]", j)), "cell %q is listed twice", f)
		}
	}
	if !t.State.Valid() {
		p.Add(at("state"), "unknown state %q; want active, migrating or readonly", t.State)
	}
	if len(t.Residency) > 32 || strings.IndexFunc(t.Residency, isSpaceOrControl) >= 0 {
		p.Add(at("residency"), "%q is not a valid residency: up to 32 characters without spaces", t.Residency)
	}
	if t.Epoch < 0 {
		p.Add(at("epoch"), "%d is negative", t.Epoch)
	}
	return validID
}

func checkRoutes(p *fabric.Collector, routes []SharedRoute, cells map[string]int) {
	prefixes := make(map[string]int, len(routes))
	for i := range routes {
		r := &routes[i]
		at := fmt.Sprintf("sharedRoutes[%d]", i)
		if !validPrefix(r.Prefix) {
			p.Add(at+".prefix", "%q is not a valid path prefix: start with \"/\", at most 256 characters, no spaces, \"?\" or \"#\"", r.Prefix)
		} else if j, dup := prefixes[r.Prefix]; dup {
			p.Add(at+".prefix", "duplicate prefix %q (also sharedRoutes[%d])", r.Prefix, j)
		} else {
			prefixes[r.Prefix] = i
		}
		if len(r.Cells) == 0 {
			p.Add(at+".cells", "at least one cell is required")
		}
		if len(r.Cells) > MaxCells {
			p.Add(at+".cells", "%d cells, over the limit of %d", len(r.Cells), MaxCells)
		}
		total := 0
		seen := make(map[string]bool, len(r.Cells))
		for j, wc := range r.Cells {
			cat := fmt.Sprintf("%s.cells[%d]", at, j)
			switch {
			case !known(cells, wc.Cell):
				p.Add(cat+".cell", "unknown cell %q", wc.Cell)
			case seen[wc.Cell]:
				p.Add(cat+".cell", "cell %q is listed twice", wc.Cell)
			}
			seen[wc.Cell] = true
			if wc.Weight < 0 || wc.Weight > MaxWeight {
				p.Add(cat+".weight", "%d is out of range 0..%d", wc.Weight, MaxWeight)
			} else {
				total += wc.Weight
			}
		}
		if len(r.Cells) > 0 && total == 0 {
			p.Add(at+".cells", "every weight is 0: give at least one cell a positive weight")
		}
		switch r.Balance {
		case "", BalanceWeighted, BalanceLatency:
		default:
			p.Add(at+".balance", "unknown balance %q; want weighted or latency", r.Balance)
		}
	}
}

func known(cells map[string]int, id string) bool {
	_, ok := cells[id]
	return ok
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// checkURL returns what is wrong with a cell URL, or "". An endpoint must be
// a bare base URL (the router appends the request path to it). The host of
// either must be one the router may send to (checkHost: no link-local,
// metadata or ambiguous numeric hosts).
func checkURL(raw string, endpoint bool) string {
	what := "health URL"
	if endpoint {
		what = "endpoint"
	}
	if raw == "" {
		return "required: the cell's " + what
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Sprintf("%q is not a URL: %v", raw, err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Sprintf("%q: the %s must be an http or https URL", raw, what)
	case u.Host == "" || u.Hostname() == "":
		return fmt.Sprintf("%q: the %s has no host", raw, what)
	case u.User != nil:
		return fmt.Sprintf("the %s must not carry credentials", what)
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return fmt.Sprintf("%q: the %s must not have a fragment", raw, what)
	}
	if msg := checkHost(u); msg != "" {
		return fmt.Sprintf("%q: %s", raw, msg)
	}
	if endpoint && ((u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.ForceQuery) {
		return fmt.Sprintf("%q: the endpoint must be a base URL without path or query (scheme://host[:port])", raw)
	}
	return ""
}

func validPrefix(s string) bool {
	if len(s) == 0 || len(s) > 256 || s[0] != '/' {
		return false
	}
	return !strings.ContainsAny(s, "?#") && strings.IndexFunc(s, isSpaceOrControl) < 0
}

func isSpaceOrControl(r rune) bool {
	return r <= ' ' || r == 0x7f || r == 0x85 || r == 0xa0 || r == 0xfeff || (r >= 0x2000 && r <= 0x200b) || r == 0x2028 || r == 0x2029 || r == 0x3000 || r == 0xfffd
}
