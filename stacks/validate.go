package stacks

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
)

var (
	cellIDRe   = regexp.MustCompile(`^[a-z][a-z0-9-]{1,18}[a-z0-9]$`)
	tenantIDRe = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	envNameRe  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	// GCP labels are the strictest of the three clouds' tag rules, and every
	// tag becomes a label on GCP.
	tagKeyRe   = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)
	tagValueRe = regexp.MustCompile(`^[a-z0-9_-]{0,63}$`)
	keyIDRe    = regexp.MustCompile(`^[A-Za-z0-9._-]{1,32}$`)
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

// Validate reports every problem in the topology at once, each with the
// config path of the bad field. It does no I/O. Call SetDefaults first (the
// loaders do).
func (t *Topology) Validate() error {
	var c collector
	t.validateRole(&c)
	t.validateCells(&c)
	t.validateTenants(&c)
	t.validateNetwork(&c)
	t.validateEdge(&c)
	t.validateEdgeKeyIDs(&c)
	validateTags(&c, "tags", t.Tags)
	return c.err()
}

func (t *Topology) validateRole(c *collector) {
	if !slices.Contains(Roles, t.Role) {
		c.add("role", "unknown role %q: use one of %s", t.Role, joinQuoted(Roles))
		return
	}
	switch t.Role {
	case RoleCell:
		if t.Cell == "" {
			c.add("cell", "role cell needs the id of the cell this stack deploys (pulumi config set cellfabric:cell <id>)")
		} else if _, ok := t.CellByID(t.Cell); !ok {
			c.add("cell", "role cell names cell %q, which is not in cells (known: %s)", t.Cell, t.cellIDs())
		}
	default:
		if t.Cell != "" {
			c.add("cell", "set only for role cell (this stack's role is %s)", t.Role)
		}
	}
	if t.Role == RoleNetwork || t.Role == RoleEdge {
		if len(t.CellStacks) == 0 {
			c.add("cellStacks", "role %s reads the cells from their stacks: list them as org/project/stack", t.Role)
		}
		for i, s := range t.CellStacks {
			if len(strings.Split(s, "/")) != 3 {
				c.add(fmt.Sprintf("cellStacks[%d]", i), "%q is not a fully qualified stack name (org/project/stack)", s)
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

func (t *Topology) validateCells(c *collector) {
	if len(t.Cells) == 0 {
		c.add("cells", "no cells: declare at least one")
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
		switch {
		case cell.ID == "":
			c.add(p+".id", "missing: every cell needs an id")
		case !cellIDRe.MatchString(cell.ID):
			c.add(p+".id", "%q is not a valid cell id: 3–20 lowercase letters, digits and hyphens, starting with a letter", cell.ID)
		}
		if j, dup := seen[cell.ID]; dup && cell.ID != "" {
			c.add(p+".id", "duplicate id %q (also cells[%d])", cell.ID, j)
		} else {
			seen[cell.ID] = i
		}
		cloudOK := slices.Contains(Clouds, cell.Cloud)
		if !cloudOK {
			c.add(p+".cloud", "unknown cloud %q: use one of %s", cell.Cloud, joinQuoted(Clouds))
		}
		if cell.Region == "" {
			c.add(p+".region", "missing: the cloud region to deploy the cell in")
		} else if cloudOK && cell.Geo == "" {
			c.add(p+".geo", "region %q is not in cellfabric's region table for %s: set geo (e.g. \"eu\") so residency can be checked", cell.Region, cell.Cloud)
		}
		if cell.Image == "" {
			c.add(p+".image", "missing: the container image the cell runs")
		}
		if cell.Port < 1 || cell.Port > 65535 {
			c.add(p+".port", "%d is not a TCP port (1–65535)", cell.Port)
		}
		if !strings.HasPrefix(cell.HealthPath, "/") {
			c.add(p+".healthPath", "%q must be a path starting with /", cell.HealthPath)
		}
		minI := 0
		if cell.MinInstances != nil {
			minI = *cell.MinInstances
		}
		if minI < 0 {
			c.add(p+".minInstances", "%d is negative", minI)
		}
		if cell.MaxInstances < 1 || cell.MaxInstances < minI {
			c.add(p+".maxInstances", "%d must be at least 1 and at least minInstances (%d)", cell.MaxInstances, minI)
		}
		if cell.Weight < 0 {
			c.add(p+".weight", "%d is negative", cell.Weight)
		}
		if !slices.Contains([]string{CellActive, CellDraining, CellDown}, cell.State) {
			c.add(p+".state", "unknown state %q: use active, draining or down", cell.State)
		}
		t.validateHostname(c, p, cell)
		if cell.Project != "" && cell.Cloud != GCP {
			c.add(p+".project", "only gcp cells take a project")
		}
		if cell.Cloud == GCP && cell.Project == "" && t.makesProviderFor(cell.ID) {
			c.add(p+".project", "missing: set %s.project or pulumi config set %s <id>", p, KeyGCPProject)
		}
		for _, k := range sortedKeys(cell.Env) {
			switch {
			case !envNameRe.MatchString(k):
				c.add(p+".env."+k, "not a valid environment variable name")
			case strings.HasPrefix(k, ReservedEnvPrefix):
				c.add(p+".env."+k, "names starting with %s are set by cellfabric itself", ReservedEnvPrefix)
			}
		}
		validateTags(c, p+".tags", cell.Tags)

		zonesOK := cell.Cloud != AWS || (cell.Zones >= 2 && cell.Zones <= 3)
		if !zonesOK {
			c.add(p+".zones", "%d: an AWS cell spans 2 or 3 zones (its load balancer needs two)", cell.Zones)
		}

		// Network: a valid private block, big enough, overlapping nothing.
		if cell.CIDR == "" {
			c.add(p+".cidr", "missing: the cell's private address block, e.g. 10.10.0.0/16")
		} else if pfx, err := netip.ParsePrefix(cell.CIDR); err != nil {
			c.add(p+".cidr", "%q is not a CIDR block such as 10.10.0.0/16", cell.CIDR)
		} else {
			private := false
			for _, r := range rfc1918 {
				if r.Bits() <= pfx.Bits() && r.Contains(pfx.Addr()) {
					private = true
				}
			}
			if !private {
				c.add(p+".cidr", "%s is not private: use a block inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16", cell.CIDR)
			}
			if cell.Cloud == Azure {
				for _, f := range azureForbidden {
					if f.Overlaps(pfx) {
						c.add(p+".cidr", "%s overlaps %s, which Azure Container Apps reserves", cell.CIDR, f)
					}
				}
			}
			if cloudOK && zonesOK {
				if _, err := PlanNetwork(cell); err != nil {
					c.add(p+".cidr", "%v", err)
				}
			}
			for _, b := range blocks {
				if b.pfx.Overlaps(pfx) {
					c.add(p+".cidr", "%s overlaps cells[%d] (%s)", cell.CIDR, b.idx, b.pfx)
				}
			}
			blocks = append(blocks, placed{i, pfx})
		}

		// BGP.
		switch {
		case cell.ASN == 0 && mesh:
			c.add(p+".asn", "missing: the VPN mesh is on, so every cell needs a private BGP ASN (e.g. %d)", 64600+i)
		case cell.ASN != 0:
			if msg := asnProblem(cell.ASN); msg != "" {
				c.add(p+".asn", "%s", msg)
			}
			if j, dup := asns[cell.ASN]; dup {
				c.add(p+".asn", "%d is already used by cells[%d]: every gateway needs its own ASN", cell.ASN, j)
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
func (t *Topology) validateHostname(c *collector, p string, cell Cell) {
	derived := t.Edge.Domain != "" && cell.Hostname == cell.ID+".cells."+t.Edge.Domain
	switch {
	case cell.Hostname == "":
		if (cell.Cloud != AWS && cell.Cloud != GCP) || !t.buildsCell(cell.ID) || t.domainReported() {
			return
		}
		c.add(p+".hostname", "missing: %s cell needs the DNS name its load balancer's certificate covers; set %s.hostname, or edge.domain for the default %s.cells.<edge.domain>",
			map[Cloud]string{AWS: "an AWS", GCP: "a GCP"}[cell.Cloud], p, cell.ID)
	case hostnameRe.MatchString(cell.Hostname):
	case derived && t.domainReported():
	case derived:
		c.add(p+".hostname", "%q (derived from edge.domain) is not a lowercase DNS name: fix edge.domain or set %s.hostname", cell.Hostname, p)
	default:
		c.add(p+".hostname", "%q is not a lowercase DNS name", cell.Hostname)
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

func (t *Topology) validateTenants(c *collector) {
	seen := map[string]int{}
	for i, tn := range t.Tenants {
		p := fmt.Sprintf("tenants[%d]", i)
		switch {
		case tn.ID == "":
			c.add(p+".id", "missing: every tenant needs an id")
		case !tenantIDRe.MatchString(tn.ID):
			c.add(p+".id", "%q is not a valid tenant id: 1–63 lowercase letters, digits and hyphens (it becomes a DNS label)", tn.ID)
		}
		if j, dup := seen[tn.ID]; dup && tn.ID != "" {
			c.add(p+".id", "duplicate id %q (also tenants[%d])", tn.ID, j)
		} else {
			seen[tn.ID] = i
		}
		if !slices.Contains([]string{TenantActive, TenantMigrating, TenantReadonly}, tn.State) {
			c.add(p+".state", "unknown state %q: use active, migrating or readonly", tn.State)
		}
		check := func(path, id, what string) {
			cell, ok := t.CellByID(id)
			if !ok {
				c.add(path, "%s cell %q is not in cells (known: %s)", what, id, t.cellIDs())
				return
			}
			if tn.Residency != "" && cell.Geo != "" && cell.Geo != tn.Residency {
				c.add(path, "tenant %q must stay in %q but %s cell %q is in %q (%s %s)", tn.ID, tn.Residency, what, id, cell.Geo, cell.Cloud, cell.Region)
			}
		}
		if tn.Cell == "" {
			c.add(p+".cell", "missing: the tenant's primary cell")
		} else {
			check(p+".cell", tn.Cell, "primary")
		}
		dupFO := map[string]bool{}
		for j, f := range tn.Failover {
			fp := fmt.Sprintf("%s.failover[%d]", p, j)
			switch {
			case f == tn.Cell:
				c.add(fp, "%q is the tenant's primary cell; failover cells must be other cells", f)
			case dupFO[f]:
				c.add(fp, "%q is listed twice", f)
			default:
				check(fp, f, "failover")
			}
			dupFO[f] = true
		}
	}
}

func (t *Topology) validateNetwork(c *collector) {
	n := t.Network
	switch n.AzureGCPTunnels {
	case 2:
	case 4:
		// Four tunnels would need two BGP peers on one GCP interface facing
		// one Azure public IP, i.e. two local network gateways with the same
		// address, which Azure refuses. Two tunnels already cover every
		// interface on both ends (GCP's 99.99% SLA topology).
		c.add("network.azureGcpTunnels", "4 is not deployable (Azure takes one local network gateway per peer address); use 2, which covers every interface on both ends")
	default:
		c.add("network.azureGcpTunnels", "%d: use 2", n.AzureGCPTunnels)
	}
	if n.IKEVersion != 1 && n.IKEVersion != 2 {
		c.add("network.ikeVersion", "%d: use 1 or 2", n.IKEVersion)
	}
}

func (t *Topology) validateEdge(c *collector) {
	e := t.Edge
	if !t.edgeChecked() {
		return
	}
	if e.Domain == "" {
		c.add("edge.domain", "missing: the Cloudflare zone's domain (or set edge.disabled: true)")
	} else if !hostnameRe.MatchString(e.Domain) {
		c.add("edge.domain", "%q is not a lowercase DNS name", e.Domain)
	}
	if e.AccountID == "" {
		c.add("edge.accountId", "missing: the Cloudflare account id (or set edge.disabled: true)")
	}
	if e.ZoneID == "" {
		c.add("edge.zoneId", "missing: the Cloudflare zone id of edge.domain (or set edge.disabled: true)")
	}
	switch {
	case e.TenantHost == "" && e.Domain == "":
		// Its default comes from edge.domain, reported missing above.
	case strings.Count(e.TenantHost, "{tenant}") != 1:
		c.add("edge.tenantHost", "%q must contain {tenant} exactly once", e.TenantHost)
	case e.Domain != "" && !strings.HasSuffix(e.TenantHostFor("t"), "."+e.Domain):
		c.add("edge.tenantHost", "%q is not inside edge.domain %q", e.TenantHost, e.Domain)
	}
	if !slices.Contains([]string{"off", "geo", "dynamic_latency", "random"}, e.Steering) {
		c.add("edge.steering", "unknown steering %q: use off, geo, dynamic_latency or random", e.Steering)
	}
	if e.UnknownTenants != "reject" && e.UnknownTenants != "place" {
		c.add("edge.unknownTenants", "unknown policy %q: use reject or place", e.UnknownTenants)
	}
	if e.CacheSeconds < 1 {
		c.add("edge.cacheSeconds", "%d: must be at least 1", e.CacheSeconds)
	}
	if len(strings.Fields(e.HealthCron)) != 5 {
		c.add("edge.healthCron", "%q is not a five-field cron schedule", e.HealthCron)
	}
	prefixes := map[string]int{}
	for i, r := range e.SharedRoutes {
		p := fmt.Sprintf("edge.sharedRoutes[%d]", i)
		if !strings.HasPrefix(r.Prefix, "/") {
			c.add(p+".prefix", "%q must start with /", r.Prefix)
		}
		if j, dup := prefixes[r.Prefix]; dup {
			c.add(p+".prefix", "%q is already routed by edge.sharedRoutes[%d]", r.Prefix, j)
		}
		prefixes[r.Prefix] = i
		if len(r.Cells) == 0 {
			c.add(p+".cells", "no cells: a shared route needs at least one")
		}
		total := 0
		for j, wc := range r.Cells {
			if _, ok := t.CellByID(wc.Cell); !ok {
				c.add(fmt.Sprintf("%s.cells[%d].cell", p, j), "cell %q is not in cells (known: %s)", wc.Cell, t.cellIDs())
			}
			if wc.Weight < 0 {
				c.add(fmt.Sprintf("%s.cells[%d].weight", p, j), "%d is negative", wc.Weight)
			}
			total += wc.Weight
		}
		if len(r.Cells) > 0 && total == 0 {
			c.add(p+".cells", "weights add up to 0: give at least one cell a positive weight")
		}
	}
}

// ValidKeyID reports whether id can name an edge signing key: 1–32
// letters, digits, '.', '_' or '-'. Every such id is one router/edgeauth
// accepts too (it allows up to 64 of the same characters; a test in this
// package holds the two rules together), and none can break the
// "id=secret,..." lists cells read extra keys from.
func ValidKeyID(id string) bool { return keyIDRe.MatchString(id) }

// validateEdgeKeyIDs checks the ids of the edge keys in every role and
// whether the edge is enabled or not: the cells of roles all and cell
// carry them as much as the edge does.
func (t *Topology) validateEdgeKeyIDs(c *collector) {
	e := t.Edge
	if !ValidKeyID(e.KeyID) {
		c.add("edge.keyId", "%q: 1–32 letters, digits, '.', '_' or '-'", e.KeyID)
	}
	if e.ExtraKeyID == "" {
		return
	}
	switch {
	case !ValidKeyID(e.ExtraKeyID):
		c.add("edge.extraKeyId", "%q: 1–32 letters, digits, '.', '_' or '-'", e.ExtraKeyID)
	case e.ExtraKeyID == e.KeyID:
		c.add("edge.extraKeyId", "%q is also edge.keyId: the extra key needs an id of its own (during a rotation, the id of the key that is not signing)", e.ExtraKeyID)
	}
}

func validateTags(c *collector, path string, tags map[string]string) {
	for _, k := range sortedKeys(tags) {
		if !tagKeyRe.MatchString(k) {
			c.add(path+"."+k, "tag key must be 1–63 lowercase letters, digits, '_' or '-', starting with a letter (GCP label rules)")
		} else if strings.HasPrefix(k, "cellfabric-") {
			c.add(path+"."+k, "tag keys starting with cellfabric- are set by cellfabric itself")
		}
		if !tagValueRe.MatchString(tags[k]) {
			c.add(path+"."+k, "tag value %q must be at most 63 lowercase letters, digits, '_' or '-' (GCP label rules)", tags[k])
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
