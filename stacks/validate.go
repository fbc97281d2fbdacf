package stacks

import (
	"fmt"
	"math"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/cellfabric/cellfabric/fabric"
)

var (
	envNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	// GCP labels are the strictest of the three clouds' tag rules, and every
	// tag becomes a label on GCP.
	tagKeyRe   = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)
	tagValueRe = regexp.MustCompile(`^[a-z0-9_-]{0,63}$`)
	hostnameRe = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
)

// ReservedEnvPrefix is the prefix of the environment variables cellfabric sets
// on every workload itself; Cell.Env may not use it.
const ReservedEnvPrefix = "CELLFABRIC_"

// rfc1918 are the private IPv4 blocks a cell's CIDR must lie in.
var rfc1918 = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
}

// azureForbidden are ranges a Container Apps VNet must not overlap
// (see CLOUD-FACTS: Container Apps subnet).
var azureForbidden = []netip.Prefix{
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("172.30.0.0/16"),
	netip.MustParsePrefix("172.31.0.0/16"),
	netip.MustParsePrefix("192.0.2.0/24"),
}

// ASN ranges and reservations (see CLOUD-FACTS: VGW, Azure and Cloud Router
// ASN rows). Private ranges are RFC 6996; Azure reserves 65515 (its own
// default) and 65517–65520 for itself, and 65516 sits between them; 23456 and
// 64496–64511 are IANA-reserved and outside the private range anyway.
func asnProblem(asn int64) string {
	switch {
	case asn >= 65515 && asn <= 65520:
		return fmt.Sprintf("%d is reserved by Azure (65515–65520); pick another private ASN such as 64600", asn)
	case asn >= 64512 && asn <= 65534, asn >= 4200000000 && asn <= 4294967294:
		return ""
	default:
		return fmt.Sprintf("%d is not a private ASN: use 64512–65514, 65521–65534 or 4200000000–4294967294", asn)
	}
}

// ProblemsIn names the stack configuration in the heading of its problems:
// "3 problem(s) in the stack configuration:".
const ProblemsIn = "the stack configuration"

// Validate reports every problem in the topology at once, each with the
// config path of the bad field. It does no I/O. Call SetDefaults first (the
// loaders do).
func (t *Topology) Validate() error {
	c := fabric.Collector{In: ProblemsIn}
	t.validateRole(&c)
	t.validateCells(&c)
	t.validateTenants(&c)
	t.validateNetwork(&c)
	t.validateEdge(&c)
	t.validateEdgeKeyIDs(&c)
	validateTags(&c, "tags", t.Tags)
	validateSLO(&c, "observe.slo", t.Observe.SLO)
	if t.Observe.StandbyMaxAgeSeconds < 0 {
		c.Add("observe.standbyMaxAgeSeconds", "%d: a standby's age is a number of seconds, more than 0 (0 or unset: %d)", t.Observe.StandbyMaxAgeSeconds, DefaultStandbyMaxAgeSeconds)
	}
	return c.Err()
}

// validateSLO checks an availability objective: a percent of requests,
// more than 0 and less than 100 (100 would leave no error budget to burn).
func validateSLO(c *fabric.Collector, path string, slo float64) {
	switch {
	case math.IsNaN(slo) || slo <= 0:
		c.Add(path, "%v: the objective is a percent of requests answered without a server error, more than 0 and less than 100, e.g. 99.9", slo)
	case slo >= 100:
		c.Add(path, "%v: must be less than 100, which would leave no error budget; e.g. 99.9", slo)
	case slo < 1:
		c.Add(path, "%v: the objective is a percent: write 99.9 for 99.9%%, not 0.999", slo)
	}
}

func (t *Topology) validateRole(c *fabric.Collector) {
	if !slices.Contains(Roles, t.Role) {
		c.Add("role", "unknown role %q: use one of %s", t.Role, joinQuoted(Roles))
		return
	}
	switch t.Role {
	case RoleCell:
		if t.Cell == "" {
			c.Add("cell", "role cell needs the id of the cell this stack deploys (pulumi config set cellfabric:cell <id>)")
		} else if _, ok := t.CellByID(t.Cell); !ok {
			c.Add("cell", "role cell names cell %q, which is not in cells (known: %s)", t.Cell, t.cellIDs())
		}
	default:
		if t.Cell != "" {
			c.Add("cell", "set only for role cell (this stack's role is %s)", t.Role)
		}
	}
	if t.Role == RoleNetwork || t.Role == RoleEdge {
		if len(t.CellStacks) == 0 {
			c.Add("cellStacks", "role %s reads the cells from their stacks: list them as org/project/stack", t.Role)
		}
		for i, s := range t.CellStacks {
			if len(strings.Split(s, "/")) != 3 {
				c.Add(fmt.Sprintf("cellStacks[%d]", i), "%q is not a fully qualified stack name (org/project/stack)", s)
			}
		}
	}
}

func (t *Topology) cellIDs() string {
	ids := make([]string, len(t.Cells))
	for i, c := range t.Cells {
		ids[i] = c.ID
	}
	return strings.Join(ids, ", ")
}

// validateID checks the id of the kind's list entry i at path p (cells[2]):
// present, valid by fabric's rule, and not the id of an earlier entry (seen
// maps the ids so far to their index).
func validateID(c *fabric.Collector, kind, p, id string, i int, seen map[string]int, valid func(string) bool, rule string) {
	switch {
	case id == "":
		c.Add(p+".id", "missing: every %s needs an id", kind)
	case !valid(id):
		c.Add(p+".id", "%q is not a valid %s id: %s", id, kind, rule)
	}
	if j, dup := seen[id]; dup && id != "" {
		c.Add(p+".id", "duplicate id %q (also %ss[%d])", id, kind, j)
	} else {
		seen[id] = i
	}
}

func (t *Topology) validateCells(c *fabric.Collector) {
	if len(t.Cells) == 0 {
		c.Add("cells", "no cells: declare at least one")
	}
	seen := map[string]int{}
	asns := map[int64]int{}
	type placed struct {
		idx int
		pfx netip.Prefix
	}
	var blocks []placed
	mesh := t.MeshEnabled()
	for i, cell := range t.Cells {
		p := fmt.Sprintf("cells[%d]", i)
		validateID(c, "cell", p, cell.ID, i, seen, fabric.ValidCellID, fabric.CellIDRule)
		cloudOK := cell.Cloud.Valid()
		if !cloudOK {
			c.Add(p+".cloud", "unknown cloud %q: use one of %s", cell.Cloud, joinQuoted(fabric.Clouds))
		}
		if cell.Region == "" {
			c.Add(p+".region", "missing: the cloud region to deploy the cell in")
		} else if cloudOK && cell.Geo == "" {
			c.Add(p+".geo", "region %q is not in cellfabric's region table for %s: set geo (e.g. \"eu\") so residency can be checked", cell.Region, cell.Cloud)
		}
		if cell.Image == "" {
			c.Add(p+".image", "missing: the container image the cell runs")
		}
		if cell.Port < 1 || cell.Port > 65535 {
			c.Add(p+".port", "%d is not a TCP port (1–65535)", cell.Port)
		}
		if !strings.HasPrefix(cell.HealthPath, "/") {
			c.Add(p+".healthPath", "%q must be a path starting with /", cell.HealthPath)
		}
		minI := 0
		if cell.MinInstances != nil {
			minI = *cell.MinInstances
		}
		if minI < 0 {
			c.Add(p+".minInstances", "%d is negative", minI)
		}
		if cell.MaxInstances < 1 || cell.MaxInstances < minI {
			c.Add(p+".maxInstances", "%d must be at least 1 and at least minInstances (%d)", cell.MaxInstances, minI)
		}
		if cell.Weight < 0 {
			c.Add(p+".weight", "%d is negative", cell.Weight)
		}
		if cell.State == "" || !cell.State.Valid() {
			c.Add(p+".state", "unknown state %q: use active, draining or down", cell.State)
		}
		t.validateHostname(c, p, cell)
		if cell.Project != "" && cell.Cloud != fabric.GCP {
			c.Add(p+".project", "only gcp cells take a project")
		}
		if cell.Cloud == fabric.GCP && cell.Project == "" && t.makesProviderFor(cell.ID) {
			c.Add(p+".project", "missing: set %s.project or pulumi config set %s <id>", p, KeyGCPProject)
		}
		for _, k := range sortedKeys(cell.Env) {
			switch {
			case !envNameRe.MatchString(k):
				c.Add(p+".env."+k, "not a valid environment variable name")
			case strings.HasPrefix(k, ReservedEnvPrefix):
				c.Add(p+".env."+k, "names starting with %s are set by cellfabric itself", ReservedEnvPrefix)
			}
		}
		validateTags(c, p+".tags", cell.Tags)
		validateSLO(c, p+".slo", cell.SLO)

		zonesOK := cell.Cloud != fabric.AWS || (cell.Zones >= 2 && cell.Zones <= 3)
		if !zonesOK {
			c.Add(p+".zones", "%d: an AWS cell spans 2 or 3 zones (its load balancer needs two)", cell.Zones)
		}

		// Network: a valid private block, big enough, overlapping nothing.
		if cell.CIDR == "" {
			c.Add(p+".cidr", "missing: the cell's private address block, e.g. 10.10.0.0/16")
		} else if pfx, err := netip.ParsePrefix(cell.CIDR); err != nil {
			c.Add(p+".cidr", "%q is not a CIDR block such as 10.10.0.0/16", cell.CIDR)
		} else {
			private := false
			for _, r := range rfc1918 {
				if r.Bits() <= pfx.Bits() && r.Contains(pfx.Addr()) {
					private = true
				}
			}
			if !private {
				c.Add(p+".cidr", "%s is not private: use a block inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16", cell.CIDR)
			}
			if cell.Cloud == fabric.Azure {
				for _, f := range azureForbidden {
					if f.Overlaps(pfx) {
						c.Add(p+".cidr", "%s overlaps %s, which Azure Container Apps reserves", cell.CIDR, f)
					}
				}
			}
			if cloudOK && zonesOK {
				if _, err := PlanNetwork(cell); err != nil {
					c.Add(p+".cidr", "%v", err)
				}
			}
			for _, b := range blocks {
				if b.pfx.Overlaps(pfx) {
					c.Add(p+".cidr", "%s overlaps cells[%d] (%s)", cell.CIDR, b.idx, b.pfx)
				}
			}
			blocks = append(blocks, placed{i, pfx})
		}

		// BGP.
		switch {
		case cell.ASN == 0 && mesh:
			c.Add(p+".asn", "missing: the VPN mesh is on, so every cell needs a private BGP ASN (e.g. %d)", 64600+i)
		case cell.ASN != 0:
			if msg := asnProblem(cell.ASN); msg != "" {
				c.Add(p+".asn", "%s", msg)
			}
			if j, dup := asns[cell.ASN]; dup {
				c.Add(p+".asn", "%d is already used by cells[%d]: every gateway needs its own ASN", cell.ASN, j)
			} else {
				asns[cell.ASN] = i
			}
		}
	}
}

// validateHostname checks the name the edge reaches a cell on. AWS and GCP
// cells need one for their load balancer's certificate when this stack
// builds them; it defaults to <id>.cells.<edge.domain>, so a problem with
// edge.domain itself, reported there, is not repeated for every cell.
func (t *Topology) validateHostname(c *fabric.Collector, p string, cell Cell) {
	derived := t.Edge.Domain != "" && cell.Hostname == cell.ID+".cells."+t.Edge.Domain
	switch {
	case cell.Hostname == "":
		if (cell.Cloud != fabric.AWS && cell.Cloud != fabric.GCP) || !t.buildsCell(cell.ID) || t.domainReported() {
			return
		}
		c.Add(p+".hostname", "missing: %s cell needs the DNS name its load balancer's certificate covers; set %s.hostname, or edge.domain for the default %s.cells.<edge.domain>",
			map[fabric.Cloud]string{fabric.AWS: "an AWS", fabric.GCP: "a GCP"}[cell.Cloud], p, cell.ID)
	case hostnameRe.MatchString(cell.Hostname):
	case derived && t.domainReported():
	case derived:
		c.Add(p+".hostname", "%q (derived from edge.domain) is not a lowercase DNS name: fix edge.domain or set %s.hostname", cell.Hostname, p)
	default:
		c.Add(p+".hostname", "%q is not a lowercase DNS name", cell.Hostname)
	}
}

// buildsCell reports whether this stack builds the cell: role all builds
// every cell, role cell the one it names (DeployedCells).
func (t *Topology) buildsCell(id string) bool {
	return t.Role == RoleAll || t.Role == "" || (t.Role == RoleCell && t.Cell == id)
}

// makesProviderFor reports whether this stack makes a cloud provider for the
// cell: for the cells it builds and, in role network, for every cell (the
// mesh has a gateway in each).
func (t *Topology) makesProviderFor(id string) bool {
	return t.buildsCell(id) || t.Role == RoleNetwork
}

// edgeChecked reports whether validateEdge checks the edge settings: the
// roles that build the edge, with the edge enabled.
func (t *Topology) edgeChecked() bool {
	return !t.Edge.Disabled && (t.Role == RoleAll || t.Role == RoleEdge)
}

// domainReported reports whether validateEdge reports edge.domain (missing
// or not a DNS name), so values derived from it need no problem of their own.
func (t *Topology) domainReported() bool {
	return t.edgeChecked() && !hostnameRe.MatchString(t.Edge.Domain)
}

func (t *Topology) validateTenants(c *fabric.Collector) {
	seen := map[string]int{}
	for i, tn := range t.Tenants {
		p := fmt.Sprintf("tenants[%d]", i)
		validateID(c, "tenant", p, tn.ID, i, seen, fabric.ValidTenantID, fabric.TenantIDRule)
		if tn.State == "" || !tn.State.Valid() {
			c.Add(p+".state", "unknown state %q: use active, migrating or readonly", tn.State)
		}
		check := func(path, id, what string) {
			cell, ok := t.CellByID(id)
			if !ok {
				c.Add(path, "%s cell %q is not in cells (known: %s)", what, id, t.cellIDs())
				return
			}
			if tn.Residency != "" && cell.Geo != "" && cell.Geo != tn.Residency {
				c.Add(path, "tenant %q must stay in %q but %s cell %q is in %q (%s %s)", tn.ID, tn.Residency, what, id, cell.Geo, cell.Cloud, cell.Region)
			}
		}
		if tn.Cell == "" {
			c.Add(p+".cell", "missing: the tenant's primary cell")
		} else {
			check(p+".cell", tn.Cell, "primary")
		}
		dupFO := map[string]bool{}
		for j, f := range tn.Failover {
			fp := fmt.Sprintf("%s.failover[%d]", p, j)
			switch {
			case f == tn.Cell:
				c.Add(fp, "%q is the tenant's primary cell; failover cells must be other cells", f)
			case dupFO[f]:
				c.Add(fp, "%q is listed twice", f)
			default:
				check(fp, f, "failover")
			}
			dupFO[f] = true
		}
	}
}

func (t *Topology) validateNetwork(c *fabric.Collector) {
	n := t.Network
	switch n.AzureGCPTunnels {
	case 2:
	case 4:
		// Four tunnels would need two BGP peers on one GCP interface facing
		// one Azure public IP, i.e. two local network gateways with the same
		// address, which Azure refuses. Two tunnels already cover every
		// interface on both ends (GCP's 99.99% SLA topology).
		c.Add("network.azureGcpTunnels", "4 is not deployable (Azure takes one local network gateway per peer address); use 2, which covers every interface on both ends")
	default:
		c.Add("network.azureGcpTunnels", "%d: use 2", n.AzureGCPTunnels)
	}
	if n.IKEVersion != 1 && n.IKEVersion != 2 {
		c.Add("network.ikeVersion", "%d: use 1 or 2", n.IKEVersion)
	}
}

func (t *Topology) validateEdge(c *fabric.Collector) {
	e := t.Edge
	if !t.edgeChecked() {
		return
	}
	if e.Domain == "" {
		c.Add("edge.domain", "missing: the Cloudflare zone's domain (or set edge.disabled: true)")
	} else if !hostnameRe.MatchString(e.Domain) {
		c.Add("edge.domain", "%q is not a lowercase DNS name", e.Domain)
	}
	if e.AccountID == "" {
		c.Add("edge.accountId", "missing: the Cloudflare account id (or set edge.disabled: true)")
	}
	if e.ZoneID == "" {
		c.Add("edge.zoneId", "missing: the Cloudflare zone id of edge.domain (or set edge.disabled: true)")
	}
	switch {
	case e.TenantHost == "" && e.Domain == "":
		// Its default comes from edge.domain, reported missing above.
	case strings.Count(e.TenantHost, "{tenant}") != 1:
		c.Add("edge.tenantHost", "%q must contain {tenant} exactly once", e.TenantHost)
	case !strings.HasPrefix(e.TenantHost, "{tenant}."):
		c.Add("edge.tenantHost", "%q must be {tenant}.<suffix>, the tenant id as the whole first label (e.g. {tenant}.%s): the edge serves every tenant host with one wildcard route and record, *.<suffix>", e.TenantHost, e.Domain)
	case e.Domain != "" && !strings.HasSuffix(e.TenantHostFor("t"), "."+e.Domain):
		c.Add("edge.tenantHost", "%q is not inside edge.domain %q", e.TenantHost, e.Domain)
	}
	if !slices.Contains([]string{"off", "geo", "dynamic_latency", "random"}, e.Steering) {
		c.Add("edge.steering", "unknown steering %q: use off, geo, dynamic_latency or random", e.Steering)
	}
	if e.UnknownTenants == "" || !e.UnknownTenants.Valid() {
		c.Add("edge.unknownTenants", "unknown policy %q: use reject or place", e.UnknownTenants)
	}
	if e.CacheSeconds < 1 {
		c.Add("edge.cacheSeconds", "%d: must be at least 1", e.CacheSeconds)
	}
	if e.DirectoryCacheEntries < 0 || e.DirectoryCacheEntries > 50_000 {
		c.Add("edge.directoryCacheEntries", "%d: use 1 to 50000, or leave it out for the Worker's default (16000)", e.DirectoryCacheEntries)
	}
	if e.DirectoryNegativeSeconds < 0 || e.DirectoryNegativeSeconds > 3600 {
		c.Add("edge.directoryNegativeSeconds", "%d: use 1 to 3600, or leave it out for the Worker's default (10)", e.DirectoryNegativeSeconds)
	}
	if e.TraceSample < 0 || e.TraceSample > 1 || e.TraceSample != e.TraceSample {
		c.Add("edge.traceSample", "%v: use a ratio from 0 (no request sampled) to 1 (every request)", e.TraceSample)
	}
	if len(strings.Fields(e.HealthCron)) != 5 {
		c.Add("edge.healthCron", "%q is not a five-field cron schedule", e.HealthCron)
	}
	prefixes := map[string]int{}
	for i, r := range e.SharedRoutes {
		p := fmt.Sprintf("edge.sharedRoutes[%d]", i)
		if !strings.HasPrefix(r.Prefix, "/") {
			c.Add(p+".prefix", "%q must start with /", r.Prefix)
		}
		if j, dup := prefixes[r.Prefix]; dup {
			c.Add(p+".prefix", "%q is already routed by edge.sharedRoutes[%d]", r.Prefix, j)
		}
		prefixes[r.Prefix] = i
		if len(r.Cells) == 0 {
			c.Add(p+".cells", "no cells: a shared route needs at least one")
		}
		total := 0
		for j, wc := range r.Cells {
			if _, ok := t.CellByID(wc.Cell); !ok {
				c.Add(fmt.Sprintf("%s.cells[%d].cell", p, j), "cell %q is not in cells (known: %s)", wc.Cell, t.cellIDs())
			}
			if wc.Weight < 0 {
				c.Add(fmt.Sprintf("%s.cells[%d].weight", p, j), "%d is negative", wc.Weight)
			}
			total += wc.Weight
		}
		if len(r.Cells) > 0 && total == 0 {
			c.Add(p+".cells", "weights add up to 0: give at least one cell a positive weight")
		}
	}
}

// validateEdgeKeyIDs checks the ids of the edge keys in every role and
// whether the edge is enabled or not: the cells of roles all and cell
// carry them as much as the edge does.
func (t *Topology) validateEdgeKeyIDs(c *fabric.Collector) {
	e := t.Edge
	if !fabric.ValidKeyID(e.KeyID) {
		c.Add("edge.keyId", "%q: %s", e.KeyID, fabric.KeyIDRule)
	}
	if e.ExtraKeyID == "" {
		return
	}
	switch {
	case !fabric.ValidKeyID(e.ExtraKeyID):
		c.Add("edge.extraKeyId", "%q: %s", e.ExtraKeyID, fabric.KeyIDRule)
	case e.ExtraKeyID == e.KeyID:
		c.Add("edge.extraKeyId", "%q is also edge.keyId: the extra key needs an id of its own (during a rotation, the id of the key that is not signing)", e.ExtraKeyID)
	}
}

func validateTags(c *fabric.Collector, path string, tags map[string]string) {
	for _, k := range sortedKeys(tags) {
		if !tagKeyRe.MatchString(k) {
			c.Add(path+"."+k, "tag key must be 1–63 lowercase letters, digits, '_' or '-', starting with a letter (GCP label rules)")
		} else if strings.HasPrefix(k, "cellfabric-") {
			c.Add(path+"."+k, "tag keys starting with cellfabric- are set by cellfabric itself")
		}
		if !tagValueRe.MatchString(tags[k]) {
			c.Add(path+"."+k, "tag value %q must be at most 63 lowercase letters, digits, '_' or '-' (GCP label rules)", tags[k])
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func joinQuoted[T ~string](vs []T) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}
