package stacks

import (
	"strings"

	"github.com/cellfabric/cellfabric/fabric"
)

// Defaults, in one place. Every field's doc comment names its default; this is
// where the values live.
const (
	DefaultZones           = 2
	DefaultPort            = 8080
	DefaultHealthPath      = "/healthz"
	DefaultMinInstances    = 1
	DefaultMaxInstances    = 3
	DefaultWeight          = 100
	DefaultAzureGCPTunnels = 2
	DefaultIKEVersion      = 2
	DefaultSteering        = "off"
	DefaultUnknownTenants  = fabric.PolicyReject
	DefaultCacheSeconds    = 30
	DefaultHealthCron      = "* * * * *"
	// DefaultSLO is the availability objective of Observe.SLO, in percent:
	// at most 1 request in 1000 answered with a server error over 30 days.
	DefaultSLO = 99.9
	// DefaultStandbyMaxAgeSeconds is Observe.StandbyMaxAgeSeconds: a
	// standby whose data is older than 30 s loses more than half a
	// minute of writes to a failover.
	DefaultStandbyMaxAgeSeconds = 30
)

// SetDefaults fills every unset field with its default. It is idempotent and
// never overwrites a value the config set. Validate expects a topology that
// has been through SetDefaults (the loaders call it).
func (t *Topology) SetDefaults() {
	if t.Role == "" {
		t.Role = RoleAll
	}
	if t.Observe.SLO == 0 {
		t.Observe.SLO = DefaultSLO
	}
	if t.Observe.StandbyMaxAgeSeconds == 0 {
		t.Observe.StandbyMaxAgeSeconds = DefaultStandbyMaxAgeSeconds
	}
	for i := range t.Cells {
		c := &t.Cells[i]
		if c.Zones == 0 {
			c.Zones = DefaultZones
		}
		if c.Port == 0 {
			c.Port = DefaultPort
		}
		if c.HealthPath == "" {
			c.HealthPath = DefaultHealthPath
		}
		if c.MinInstances == nil {
			n := DefaultMinInstances
			c.MinInstances = &n
		}
		if c.MaxInstances == 0 {
			c.MaxInstances = max(DefaultMaxInstances, *c.MinInstances)
		}
		if c.Weight == 0 {
			c.Weight = DefaultWeight
		}
		if c.State == "" {
			c.State = fabric.CellActive
		}
		if c.Geo == "" {
			c.Geo = GeoOf(c.Cloud, c.Region)
		}
		if c.Hostname == "" && t.Edge.Domain != "" && c.ID != "" {
			c.Hostname = c.ID + ".cells." + t.Edge.Domain
		}
		if c.Project == "" && c.Cloud == fabric.GCP {
			c.Project = t.GCPProject
		}
		if c.SLO == 0 {
			c.SLO = t.Observe.SLO
		}
	}
	for i := range t.Tenants {
		if t.Tenants[i].State == "" {
			t.Tenants[i].State = fabric.TenantActive
		}
	}
	if t.Network.AzureGCPTunnels == 0 {
		t.Network.AzureGCPTunnels = DefaultAzureGCPTunnels
	}
	if t.Network.IKEVersion == 0 {
		t.Network.IKEVersion = DefaultIKEVersion
	}
	e := &t.Edge
	if e.TenantHost == "" && e.Domain != "" {
		e.TenantHost = "{tenant}." + e.Domain
	}
	if e.SharedHost == "" && e.Domain != "" {
		e.SharedHost = "api." + e.Domain
	}
	if e.Steering == "" {
		e.Steering = DefaultSteering
	}
	if e.UnknownTenants == "" {
		e.UnknownTenants = DefaultUnknownTenants
	}
	if e.CacheSeconds == 0 {
		e.CacheSeconds = DefaultCacheSeconds
	}
	if e.HealthCron == "" {
		e.HealthCron = DefaultHealthCron
	}
	if e.KeyID == "" {
		e.KeyID = fabric.DefaultKeyID
	}
	for i := range e.SharedRoutes {
		for j := range e.SharedRoutes[i].Cells {
			wc := &e.SharedRoutes[i].Cells[j]
			if wc.Weight == 0 {
				if c, ok := t.CellByID(wc.Cell); ok {
					wc.Weight = c.Weight
				}
			}
		}
	}
}

// TenantHostFor returns the host a tenant is reached on at the edge.
func (e Edge) TenantHostFor(tenant string) string {
	return strings.ReplaceAll(e.TenantHost, "{tenant}", tenant)
}
