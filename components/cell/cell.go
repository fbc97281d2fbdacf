package cell

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/stacks"
	"github.com/cellfabric/cellfabric/workload/state/contract"
)

// Environment variables every cell sets on its workload. The reference cell
// (`cellfabric cell`) reads them; any image that meets the cell contract may.
const (
	EnvCellID    = "CELLFABRIC_CELL_ID"
	EnvCloud     = "CELLFABRIC_CLOUD"
	EnvRegion    = "CELLFABRIC_REGION"
	EnvEdgeKey   = "CELLFABRIC_EDGE_KEY" // secret: injected from the cell's secret store
	EnvEdgeKeyID = "CELLFABRIC_EDGE_KEY_ID"
	EnvEdgeKeys  = "CELLFABRIC_EDGE_KEYS" // secret, only with an extra key: "id=secret" from the secret store (edgeauth's EnvKeys)
	EnvPort      = "PORT"
)

// ReservedEnv are the environment variables every cell sets on its workload
// itself — the contract's above and the state store's
// (workload/state/contract: which adapter, and where its store is) — so
// Args.Env may not set them. Each cloud adds the names its platform
// reserves.
var ReservedEnv = []string{
	EnvCellID, EnvCloud, EnvRegion, EnvEdgeKey, EnvEdgeKeyID, EnvEdgeKeys, EnvPort,
	contract.EnvKind, contract.EnvStore, contract.EnvEndpoint, contract.EnvRegion, contract.EnvProject, contract.EnvIdentity, contract.EnvDataDir,
}

// CheckEnv refuses extra environment (the names in Args.Env) that would
// shadow a variable the cell sets itself: one of ReservedEnv, or of own,
// the names the cloud's cell or platform sets, each mapped to who sets it
// ("set by Cloud Run"; own may also say it for a ReservedEnv name). It
// reports every clash at once, sorted by name.
func CheckEnv(names []string, own map[string]string) error {
	var errs []error
	for _, k := range slices.Sorted(slices.Values(names)) {
		why, ok := own[k]
		if !ok && slices.Contains(ReservedEnv, k) {
			why, ok = "set by the cell", true
		}
		if ok {
			errs = append(errs, fmt.Errorf("%s is %s; remove it from cell.Args.Env", k, why))
		}
	}
	return errors.Join(errs...)
}

// MinEdgeKeyBytes is the shortest edge key secret a workload accepts
// (router/edgeauth's MinSecretBytes): a shorter one stops the reference cell
// at start.
const MinEdgeKeyBytes = 16

// Tag keys every cell puts on every resource that takes tags or labels.
const (
	TagCell  = "cellfabric-cell"
	TagCloud = "cellfabric-cloud"
	TagStack = "cellfabric-stack"
)

// Args is what every cloud's NewCell takes. Plain Go fields decide the
// shape of the program (names, subnets, counts); Input fields flow into
// resources.
type Args struct {
	// ID names the cell (resources, tags, the registry). Required; the rules
	// of stacks.Cell.ID apply.
	ID string
	// Region is the cloud region. Required.
	Region string
	// CIDR is the cell's private block; its subnets come from
	// stacks.PlanNetwork. Required.
	CIDR string
	// Zones is the number of availability zones where the cloud is zonal
	// (AWS). Default 2.
	Zones int
	// Hostname is the DNS name the edge reaches the cell on. Required on AWS
	// and GCP, where the cell's own load balancer terminates TLS with a
	// certificate for it; on Azure the Container App's own HTTPS host is the
	// endpoint and Hostname is informational. Zero: none.
	Hostname string

	// Image is the container image. Required.
	Image pulumi.StringInput
	// Port is the container port. Default 8080.
	Port int
	// HealthPath is the health check path. Default "/healthz".
	HealthPath string
	// Env is extra plain environment. Zero: none.
	Env pulumi.StringMapInput
	// MinInstances is the autoscaling floor. Default 0 (scale to zero where
	// the cloud can; AWS keeps at least one task).
	MinInstances int
	// MaxInstances is the autoscaling ceiling. Default 3.
	MaxInstances int

	// Tenants are the ids of the tenants the cell holds (a tag-free record
	// on the workload, for operators). Zero: none.
	Tenants []string
	// Tags are extra tags for every resource; the component adds
	// cellfabric-cell, cellfabric-cloud and cellfabric-stack. Zero: none.
	Tags map[string]string

	// EdgeKey is the edge signing key, stored in the cell's secret store and
	// handed to the workload as a secret reference. Required; must be a
	// secret Output.
	EdgeKey pulumi.StringInput
	// EdgeKeyID is the id of EdgeKey. Default "k1"; the rule of
	// fabric.ValidKeyID applies.
	EdgeKeyID string
	// ExtraEdgeKey is the secret of one more key the workload accepts: the
	// second key of a rotation. The cell stores "<ExtraEdgeKeyID>=<secret>"
	// as a second entry of its secret store, lets the workload identity
	// read it and hands it over as EnvEdgeKeys by secret reference. Must
	// be a secret Output. Zero: none, and nothing of it is built.
	ExtraEdgeKey pulumi.StringInput
	// ExtraEdgeKeyID is the id of ExtraEdgeKey: set exactly when
	// ExtraEdgeKey is, valid by fabric.ValidKeyID, and not EdgeKeyID.
	ExtraEdgeKeyID string
	// IngressCIDRs are the only source ranges allowed to reach the cell's
	// public endpoint (the edge's egress ranges, e.g. Cloudflare's from
	// cloudflare.GetIpRanges). Required: every cloud filters by address;
	// never 0.0.0.0/0 (ParseIngress).
	IngressCIDRs pulumi.StringArrayInput

	// DNS creates the public DNS records the cell needs: the origin record
	// for Hostname, and certificate validation records where the cloud
	// validates by DNS. The infra program passes a function that creates
	// them in the Cloudflare zone. Zero: the cell creates no record and
	// exports what it needs (see each cloud's Cell.DNSRecords), and
	// certificate validation waits until someone creates them.
	DNS DNSRecordFunc
}

// DNSRecord is one public DNS record a cell needs.
type DNSRecord struct {
	// Name is the fully qualified record name.
	Name pulumi.StringInput
	// Type is "CNAME", "A" or "TXT".
	Type string
	// Value is the record's content.
	Value pulumi.StringInput
	// Purpose says why the record exists ("origin", "acm-validation"), for
	// names and docs.
	Purpose string
}

// DNSRecordFunc creates one DNS record. name is a unique logical name; opts
// carry the cell as parent. The record must not be proxied: it points the
// edge at the origin, or proves domain ownership to a certificate authority.
type DNSRecordFunc func(ctx *pulumi.Context, name string, rec DNSRecord, opts ...pulumi.ResourceOption) (pulumi.Resource, error)

// DNSRecordsOutput renders records as a cell's DNSRecords output: one map
// per record with the keys "name", "type", "value" and "purpose".
func DNSRecordsOutput(recs []DNSRecord) pulumi.StringMapArrayOutput {
	arr := pulumi.StringMapArray{}
	for _, r := range recs {
		arr = append(arr, pulumi.StringMap{
			"name":    r.Name,
			"type":    pulumi.String(r.Type),
			"value":   r.Value,
			"purpose": pulumi.String(r.Purpose),
		})
	}
	return arr.ToStringMapArrayOutput()
}

// hostnameRe is a DNS name a load balancer's certificate can cover:
// lowercase labels, at least two, no wildcard, no trailing dot.
var hostnameRe = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`)

// Normalize fills defaults and checks the plain fields every cloud needs,
// returning every problem at once: among them the Hostname where the cloud
// certifies it (AWS, GCP) and the edge ranges when they are literals (an
// Output is checked when it resolves). Each NewCell calls it first, so a
// bad Args fails before any resource is registered.
func (a Args) Normalize(cloud fabric.Cloud) (Args, stacks.NetworkPlan, error) {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("cell %q: %s: %s", a.ID, field, fmt.Sprintf(format, args...)))
	}
	if !fabric.ValidCellID(a.ID) {
		bad("ID", "%q is not a valid cell id: %s", a.ID, fabric.CellIDRule)
	}
	if a.Region == "" {
		bad("Region", "missing")
	}
	if a.Image == nil {
		bad("Image", "missing")
	}
	if a.EdgeKey == nil {
		bad("EdgeKey", "missing: the cell stores the edge signing key for its workload")
	}
	if a.Zones == 0 {
		a.Zones = stacks.DefaultZones
	}
	if a.Port == 0 {
		a.Port = stacks.DefaultPort
	}
	if a.Port < 1 || a.Port > 65535 {
		bad("Port", "%d is not a TCP port", a.Port)
	}
	if a.HealthPath == "" {
		a.HealthPath = stacks.DefaultHealthPath
	}
	if !strings.HasPrefix(a.HealthPath, "/") {
		bad("HealthPath", "%q must start with /", a.HealthPath)
	}
	if a.MaxInstances == 0 {
		a.MaxInstances = max(stacks.DefaultMaxInstances, a.MinInstances)
	}
	if a.MinInstances < 0 || a.MaxInstances < a.MinInstances {
		bad("MinInstances/MaxInstances", "need 0 <= min (%d) <= max (%d)", a.MinInstances, a.MaxInstances)
	}
	if a.EdgeKeyID == "" {
		a.EdgeKeyID = fabric.DefaultKeyID
	}
	if !fabric.ValidKeyID(a.EdgeKeyID) {
		bad("EdgeKeyID", "%q: use %s", a.EdgeKeyID, fabric.KeyIDRule)
	}
	switch {
	case a.ExtraEdgeKey == nil && a.ExtraEdgeKeyID != "":
		bad("ExtraEdgeKey", "missing: ExtraEdgeKeyID %q names a key without its secret; set both or neither", a.ExtraEdgeKeyID)
	case a.ExtraEdgeKey != nil && a.ExtraEdgeKeyID == "":
		bad("ExtraEdgeKeyID", "missing: ExtraEdgeKey needs the id it is accepted under; set both or neither")
	case a.ExtraEdgeKeyID == "":
	case !fabric.ValidKeyID(a.ExtraEdgeKeyID):
		bad("ExtraEdgeKeyID", "%q: use %s", a.ExtraEdgeKeyID, fabric.KeyIDRule)
	case a.ExtraEdgeKeyID == a.EdgeKeyID:
		bad("ExtraEdgeKeyID", "%q is also EdgeKeyID: the extra key needs an id of its own", a.ExtraEdgeKeyID)
	}
	if cloud == fabric.AWS || cloud == fabric.GCP {
		switch {
		case a.Hostname == "":
			bad("Hostname", "missing: cells on %s need the DNS name their load balancer's certificate covers", cloud)
		case len(a.Hostname) > 253 || !hostnameRe.MatchString(a.Hostname):
			bad("Hostname", "%q is not a lowercase DNS name a certificate can cover, such as cell-1.example.com (no wildcard, no trailing dot)", a.Hostname)
		}
	}
	if a.IngressCIDRs == nil {
		bad("IngressCIDRs", "missing: a cell admits only the edge's ranges (e.g. cloudflare.GetIpRanges)")
	} else if lit, ok := LiteralStrings(a.IngressCIDRs); ok {
		// An Output is checked by each cloud when it resolves.
		if _, err := ParseIngress(lit); err != nil {
			bad("IngressCIDRs", "%v", err)
		}
	}
	a.Tags = maps.Clone(a.Tags)
	plan, err := stacks.PlanNetwork(stacks.Cell{ID: a.ID, Cloud: cloud, CIDR: a.CIDR, Zones: a.Zones, MaxInstances: a.MaxInstances})
	if err != nil {
		bad("CIDR", "%v", err)
	}
	return a, plan, errors.Join(errs...)
}

// HasExtraEdgeKey reports whether the cell carries a second edge key.
func (a Args) HasExtraEdgeKey() bool { return a.ExtraEdgeKey != nil }

// ExtraEdgeKeyEntry is what a cell stores for its extra edge key: the
// "id=secret" form EnvEdgeKeys takes, as a secret Output whatever the
// caller passed. Call it only when HasExtraEdgeKey.
func (a Args) ExtraEdgeKeyEntry() pulumi.StringOutput {
	entry := pulumi.Sprintf("%s=%s", a.ExtraEdgeKeyID, a.ExtraEdgeKey)
	return pulumi.ToSecret(entry).(pulumi.StringOutput)
}

// StandardTags returns the tags every resource of the cell carries: the
// caller's tags plus cellfabric-cell, cellfabric-cloud and cellfabric-stack.
func StandardTags(a Args, cloud fabric.Cloud, stack string) map[string]string {
	t := maps.Clone(a.Tags)
	if t == nil {
		t = map[string]string{}
	}
	t[TagCell] = a.ID
	t[TagCloud] = string(cloud)
	t[TagStack] = stack
	return t
}
