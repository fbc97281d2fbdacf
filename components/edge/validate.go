package edge

import (
	"fmt"
	"slices"
	"strings"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
)

// ProblemsIn names the edge arguments in the heading of their problems.
const ProblemsIn = "the edge arguments"

// Steering policies the load balancer takes (the Cloudflare API's values).
var steeringPolicies = []string{"off", "geo", "dynamic_latency", "random"}

// Validate reports every problem with a at once, after filling defaults that
// do not depend on the stack (New fills Name from the stack first). It does
// no I/O; New calls it before registering anything.
func (a Args) Validate() error {
	ps := fabric.Collector{In: ProblemsIn}
	add := ps.Add
	if a.Name != "" && !validName(a.Name) {
		add("name", "%q: use 1-%d lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen", a.Name, maxNameLen)
	}
	checkAccount(add, a)
	checkHosts(add, a)
	cells := checkCells(add, a)
	checkRoutes(add, a, cells)
	checkInputs(add, a)
	return ps.Err()
}

type addFunc func(path, format string, args ...any)

func checkAccount(add addFunc, a Args) {
	if !isHex32(a.AccountID) {
		add("accountId", "%q: set the Cloudflare account id (32 hex digits, dashboard > Account home)", a.AccountID)
	}
	if !isHex32(a.ZoneID) {
		add("zoneId", "%q: set the id of the zone of %q (32 hex digits, dashboard > the zone's Overview)", a.ZoneID, a.Domain)
	}
	if a.EdgeKeyID != "" && !fabric.ValidKeyID(a.EdgeKeyID) {
		add("edgeKeyId", "%q: use %s", a.EdgeKeyID, fabric.KeyIDRule)
	}
	if a.ControlKeyID != "" && !fabric.ValidKeyID(a.ControlKeyID) {
		add("controlKeyId", "%q: use %s", a.ControlKeyID, fabric.KeyIDRule)
	}
	if a.HealthCron != "" && !validCron(a.HealthCron) {
		add("healthCron", "%q: use a five-field cron schedule such as \"* * * * *\"", a.HealthCron)
	}
	if a.Steering != "" && !slices.Contains(steeringPolicies, a.Steering) {
		add("steering", "%q: use one of %s", a.Steering, strings.Join(steeringPolicies, ", "))
	}
	if a.CompatibilityDate != "" && !validDate(a.CompatibilityDate) {
		add("compatibilityDate", "%q: use a date written YYYY-MM-DD", a.CompatibilityDate)
	}
}

func checkHosts(add addFunc, a Args) {
	if !validHost(a.Domain) {
		add("domain", "%q: set the zone's domain, e.g. example.com", a.Domain)
	}
	_, wildcard := wildcardSuffix(a.TenantHost)
	tenantOK := wildcard && validHost(TenantHostFor(a.TenantHost, "t"))
	switch {
	case !tenantOK:
		add("tenantHost", "%q: write %s.<suffix>, the tenant id as the whole first label (e.g. %s.example.com): the edge serves every tenant host with one wildcard route *.<suffix>/* and one wildcard record, and a route pattern has no wildcard inside a host", a.TenantHost, TenantPlaceholder, TenantPlaceholder)
	case validHost(a.Domain) && !inZone(TenantHostFor(a.TenantHost, "t"), a.Domain):
		add("tenantHost", "%q lies outside the zone %s: Worker routes and records can only be made in the zone", a.TenantHost, a.Domain)
	}
	switch {
	case !validHost(a.SharedHost):
		add("sharedHost", "%q: set the host of the shared routes, e.g. api.example.com", a.SharedHost)
	case validHost(a.Domain) && !inZone(a.SharedHost, a.Domain):
		add("sharedHost", "%q lies outside the zone %s", a.SharedHost, a.Domain)
	}
	seen := map[string]int{}
	for i, t := range a.tenantIDs() {
		path := fmt.Sprintf("routing.tenants[%d].id", i)
		if !fabric.ValidTenantID(t) {
			add(path, "%q: %s", t, fabric.TenantIDRule)
			continue
		}
		if j, dup := seen[t]; dup {
			add(path, "%q repeats routing.tenants[%d]", t, j)
			continue
		}
		seen[t] = i
		if tenantOK && TenantHostFor(a.TenantHost, t) == a.SharedHost {
			add(path, "tenant %q would be served on the shared host %s: rename the tenant or change sharedHost", t, a.SharedHost)
		}
	}
}

func checkCells(add addFunc, a Args) map[string]router.Cell {
	known := map[string]router.Cell{}
	if len(a.Routing.Cells) == 0 {
		add("routing.cells", "none: the edge needs at least one cell to send requests to")
	}
	for _, c := range a.routedCells() {
		path := "routing.cells." + c.ID
		if !fabric.ValidCellID(c.ID) {
			add(path, "%q: %s", c.ID, fabric.CellIDRule)
			continue
		}
		known[c.ID] = c
		if !c.Cloud.Valid() {
			add(path+".cloud", "%q: use aws, azure or gcp (the edge maps the cell's cloud region to a load-balancing region)", c.Cloud)
		}
		if c.Weight < 0 || c.Weight > router.MaxWeight {
			add(path+".weight", "%d: use 0-%d", c.Weight, router.MaxWeight)
		}
		if !c.State.Valid() {
			add(path+".state", "%q: use active, draining or down", c.State)
		}
	}
	return known
}

func checkRoutes(add addFunc, a Args, cells map[string]router.Cell) {
	prefixes := map[string]int{}
	regions := 0
	for i, r := range a.Routing.SharedRoutes {
		path := fmt.Sprintf("routing.sharedRoutes[%d]", i)
		if !strings.HasPrefix(r.Prefix, "/") || strings.ContainsAny(r.Prefix, "?# ") {
			add(path+".prefix", "%q: a path prefix starts with \"/\" and has no query, fragment or space", r.Prefix)
		} else if j, dup := prefixes[r.Prefix]; dup {
			add(path+".prefix", "%q repeats routing.sharedRoutes[%d]", r.Prefix, j)
		} else {
			prefixes[r.Prefix] = i
		}
		if len(r.Cells) == 0 {
			add(path+".cells", "none: a shared route needs at least one cell")
		}
		for j, wc := range r.Cells {
			cpath := fmt.Sprintf("%s.cells[%d]", path, j)
			if c, ok := cells[wc.Cell]; !ok {
				add(cpath+".cell", "unknown cell %q: it is not in routing.cells", wc.Cell)
			} else if lbRegion(c) != "" {
				regions++
			}
			if wc.Weight < 0 || wc.Weight > router.MaxWeight {
				add(cpath+".weight", "%d: use 0-%d", wc.Weight, router.MaxWeight)
			}
		}
	}
	if a.Steering == "geo" && len(a.Routing.SharedRoutes) > 0 && regions == 0 {
		add("steering", "geo needs a shared-route cell in a region cellfabric maps to a Cloudflare load-balancing region; or use off, dynamic_latency or random")
	}
}

func checkInputs(add addFunc, a Args) {
	for _, in := range []struct {
		path string
		set  bool
		what string
	}{
		{"cellOutputs", a.CellOutputs.OutputState != nil, "pass the cells' outputs (cell.ResolveCells over this program's cells, or cell.DecodeCells over the cell stacks' StackReferences)"},
		{"workerScript", a.WorkerScript != nil, "pass the Worker's service-worker script"},
		{"workerWasm", a.WorkerWasm != nil, "pass the router's wasm, base64-encoded"},
		{"workerConfig", a.WorkerConfig != nil, "pass the Worker's config JSON"},
		{"edgeKey", a.EdgeKey != nil, "pass the edge signing key (the same secret every cell holds)"},
		{"controlKey", a.ControlKey != nil, "pass the control key the tenant directory's control API verifies (a secret of its own, not the edge key)"},
	} {
		if !in.set {
			add(in.path, "missing: %s", in.what)
		}
	}
	certSet, keySet := a.OriginPullCertificate != nil, a.OriginPullPrivateKey != nil
	if certSet != keySet {
		add("originPullCertificate", "give the certificate and its private key together, or neither (Cloudflare's shared certificate)")
	}
	if (certSet || keySet) && !a.AuthenticatedOriginPulls {
		add("authenticatedOriginPulls", "is off but an origin-pull certificate is given: turn it on or drop the certificate")
	}
}

func isHex32(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// validCron accepts five fields of the characters Cloudflare's cron syntax
// uses (digits, names, * , - / L W # ?). The schedule itself is checked by
// Cloudflare at deploy time.
func validCron(s string) bool {
	fields := strings.Fields(s)
	if len(fields) != 5 {
		return false
	}
	for _, f := range fields {
		for i := 0; i < len(f); i++ {
			c := f[i]
			if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || strings.IndexByte("*,-/#?", c) >= 0) {
				return false
			}
		}
	}
	return true
}

func validDate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	for i, c := range []byte(s) {
		if i != 4 && i != 7 && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}
