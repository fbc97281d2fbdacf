package edge

import (
	"fmt"
	"slices"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/cellfabric/cellfabric/components/recorder"
	"github.com/cellfabric/cellfabric/router"
)

// routesAndRecords returns the route patterns (each checked to run the
// edge's Worker in its zone) and the proxied placeholder records by name.
func routesAndRecords(t *testing.T, rec *recorder.Recorder) (routes, records []string) {
	t.Helper()
	for _, r := range rec.OfType(tRoute) {
		if strIn(r, "scriptName") != "cellfabric-dev-router" || strIn(r, "zoneId") != testZone {
			t.Errorf("route %s runs %q in %q", r.Name, strIn(r, "scriptName"), strIn(r, "zoneId"))
		}
		routes = append(routes, strIn(r, "pattern"))
	}
	for _, r := range rec.OfType(tRecord) {
		if strIn(r, "type") != "AAAA" || strIn(r, "content") != PlaceholderAAAA || !plain(r.Inputs["proxied"]).BoolValue() || strIn(r, "zoneId") != testZone {
			t.Errorf("record %s: %s %s proxied %v", r.Name, strIn(r, "type"), strIn(r, "content"), r.Inputs["proxied"])
		}
		records = append(records, strIn(r, "name"))
	}
	slices.Sort(routes)
	slices.Sort(records)
	return routes, records
}

// TestRoutesAndRecords: the tenant hosts' wildcard and the shared host run
// the Worker, and each has a proxied record, the shared host's being the
// load balancer when there is one. The set is the same whatever the
// tenants.
func TestRoutesAndRecords(t *testing.T) {
	t.Parallel()
	d := "." + testDomain
	tests := []struct {
		name             string
		edit             func(*Args)
		routes, records  []string
		hosts            []string
		loadBalancerHost string
	}{
		{"seven tenants", nil,
			[]string{"*" + d + "/*", "api" + d + "/*"}, []string{"*" + d},
			[]string{"*" + d, "api" + d}, "api" + d},
		{"no tenants", func(a *Args) { a.Routing.Tenants = nil },
			[]string{"*" + d + "/*", "api" + d + "/*"}, []string{"*" + d},
			[]string{"*" + d, "api" + d}, "api" + d},
		{"no shared routes: the shared host gets a record", func(a *Args) { a.Routing.SharedRoutes = nil; keepTenants(a, "acme") },
			[]string{"*" + d + "/*", "api" + d + "/*"}, []string{"*" + d, "api" + d},
			[]string{"*" + d, "api" + d}, ""},
		{"tenant hosts below a label of their own", func(a *Args) { a.TenantHost = "{tenant}.t" + d; keepTenants(a, "acme", "hooli") },
			[]string{"*.t" + d + "/*", "api" + d + "/*"}, []string{"*.t" + d},
			[]string{"*.t" + d, "api" + d}, "api" + d},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec, e := mustRun(t, tt.edit)
			routes, records := routesAndRecords(t, rec)
			slices.Sort(tt.routes)
			slices.Sort(tt.records)
			if !slices.Equal(routes, tt.routes) {
				t.Errorf("routes = %v\nwant %v", routes, tt.routes)
			}
			if !slices.Equal(records, tt.records) {
				t.Errorf("records = %v\nwant %v", records, tt.records)
			}
			got, err := recorder.Await(e.Hosts)
			if err != nil || !slices.Equal(got.Value.([]string), tt.hosts) {
				t.Errorf("Hosts = %v (%v), want %v", got.Value, err, tt.hosts)
			}
			lbh, _ := recorder.Await(e.LoadBalancerHost)
			if lbh.Value != tt.loadBalancerHost {
				t.Errorf("LoadBalancerHost = %v, want %q", lbh.Value, tt.loadBalancerHost)
			}
		})
	}
}

// TestRoutesAndRecordsDoNotGrowWithTenants: ten tenants and ten thousand
// give the same Worker routes and DNS records, names and all.
func TestRoutesAndRecordsDoNotGrowWithTenants(t *testing.T) {
	t.Parallel()
	names := func(n int) []string {
		rec, _ := mustRun(t, func(a *Args) {
			a.Routing.Tenants = make([]router.Tenant, n)
			for i := range a.Routing.Tenants {
				a.Routing.Tenants[i] = router.Tenant{ID: fmt.Sprintf("tenant-%05d", i), Cell: "aws-use1"}
			}
		})
		var out []string
		for _, typ := range []string{tRoute, tRecord} {
			for _, r := range rec.OfType(typ) {
				out = append(out, r.Name+" "+strIn(r, "pattern")+strIn(r, "name"))
			}
		}
		slices.Sort(out)
		return out
	}
	few, many := names(10), names(10_000)
	if !slices.Equal(few, many) || len(few) != 3 {
		t.Fatalf("routes and records with 10 tenants:\n%v\nwith 10,000:\n%v\nwant the same three", few, many)
	}
}

// TestOriginPulls: Authenticated Origin Pulls only when asked for; with the
// zone's own certificate uploaded (key secret) and enabled by its id, or
// with Cloudflare's certificate when none is given.
func TestOriginPulls(t *testing.T) {
	t.Parallel()
	const cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"
	tests := []struct {
		name      string
		edit      func(*Args)
		aop, cert bool
	}{
		{"off", nil, false, false},
		{"cloudflare certificate", func(a *Args) { a.AuthenticatedOriginPulls = true }, true, false},
		{"own certificate", func(a *Args) {
			a.AuthenticatedOriginPulls = true
			a.OriginPullCertificate = pulumi.String(cert)
			a.OriginPullPrivateKey = pulumi.String("-----BEGIN PRIVATE KEY-----\nk\n-----END PRIVATE KEY-----")
		}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec, _ := mustRun(t, tt.edit)
			aops, certs := rec.OfType(tAOP), rec.OfType(tAOPCert)
			if (len(aops) == 1) != tt.aop || len(aops) > 1 || (len(certs) == 1) != tt.cert || len(certs) > 1 {
				t.Fatalf("%d AOP settings and %d certificates", len(aops), len(certs))
			}
			if !tt.aop {
				return
			}
			a := aops[0]
			if strIn(a, "zoneId") != testZone || !plain(a.Inputs["enabled"]).BoolValue() || strIn(a, "hostname") != "" {
				t.Errorf("AOP inputs %v", a.Inputs)
			}
			certID := strIn(a, "authenticatedOriginPullsCertificate")
			if !tt.cert {
				if certID != "" {
					t.Errorf("certificate id %q without a certificate", certID)
				}
				return
			}
			c := certs[0]
			if certID != c.ID {
				t.Errorf("AOP uses certificate %q, want %q", certID, c.ID)
			}
			if strIn(c, "type") != AOPCertificateType || strIn(c, "certificate") != cert || strIn(c, "zoneId") != testZone {
				t.Errorf("certificate inputs %v", c.Inputs)
			}
			if !c.Inputs["privateKey"].ContainsSecrets() {
				t.Error("the certificate's private key is not secret")
			}
		})
	}
}

// TestEveryChildUnderTheComponent: every resource but the provider hangs
// under the edge component, and every Cloudflare resource uses the
// caller's provider.
func TestEveryChildUnderTheComponent(t *testing.T) {
	t.Parallel()
	rec, _ := mustRun(t, func(a *Args) { a.AuthenticatedOriginPulls = true })
	comp := get(t, rec, tComponent, testName)
	children := 0
	for _, r := range rec.Resources() {
		if r.IsProvider() || r == comp {
			continue
		}
		children++
		if c := rec.Component(r); c == nil || c.URN != comp.URN {
			t.Errorf("%s %s is not under the edge component", r.Type, r.Name)
		}
		if p := rec.ProviderOf(r); pkgOf(r.Type) == "cloudflare" && (p == nil || p.Type != tProvider) {
			t.Errorf("%s %s does not use the caller's Cloudflare provider", r.Type, r.Name)
		}
	}
	// KV namespaces (registry, directory) + registry value, epoch,
	// script, cron, 2 routes (tenants' wildcard, shared host), 1 record
	// (the wildcard; the load balancer is the shared host's), 4 monitors,
	// 4 pools, load balancer, AOP.
	if want := 3 + 1 + 1 + 1 + 2 + 1 + 4 + 4 + 1 + 1; children != want {
		t.Errorf("%d children, want %d", children, want)
	}
	for _, r := range rec.Resources() {
		if r.IsProvider() && r.Type != tProvider {
			t.Errorf("the edge made a provider: %s", r.Type)
		}
	}
}

func pkgOf(typ string) string {
	for i := 0; i < len(typ); i++ {
		if typ[i] == ':' {
			return typ[:i]
		}
	}
	return typ
}
