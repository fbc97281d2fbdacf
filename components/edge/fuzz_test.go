package edge

import (
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/router"
)

// FuzzHostArgs: for any tenant host pattern, shared host and tenant that
// Validate accepts, the tenant's host is a host name in the zone, distinct
// from the shared host, and the wildcard route covers it. Validate never
// panics on outside input.
func FuzzHostArgs(f *testing.F) {
	f.Add("example.com", "{tenant}.example.com", "api.example.com", "acme")
	f.Add("example.com", "{tenant}-x.example.com", "api.example.com", "api")
	f.Add("example.com", "{tenant}.{tenant}", "", "-")
	f.Add("a.b", "x.{tenant}.a.b", "a.b", "0")
	f.Fuzz(func(t *testing.T, domain, pattern, shared, tenant string) {
		a := devArgs()
		a.Domain, a.TenantHost, a.SharedHost = domain, pattern, shared
		a.Routing.Tenants = []router.Tenant{{ID: tenant, Cell: "aws-use1"}}
		if err := a.Validate(); err != nil {
			return
		}
		host := TenantHostFor(pattern, tenant)
		if !validHost(host) || !inZone(host, domain) || host == shared {
			t.Fatalf("accepted %q/%q/%q: tenant host %q", domain, pattern, shared, host)
		}
		suffix, ok := wildcardSuffix(pattern)
		if !ok || !strings.HasSuffix(host, "."+suffix) || !inZone(suffix, domain) {
			t.Fatalf("wildcard %q does not cover %q", suffix, host)
		}
	})
}

// FuzzDefaultName: any project and stack give a valid Name.
func FuzzDefaultName(f *testing.F) {
	f.Add("cellfabric", "dev")
	f.Add("", "")
	f.Add("ÄÖÜ", "--")
	f.Fuzz(func(t *testing.T, project, stack string) {
		if got := defaultName(project, stack); !validName(got) {
			t.Fatalf("defaultName(%q, %q) = %q, not a valid name", project, stack, got)
		}
	})
}
