package edgeconf_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/router/edgeconf"
	"github.com/cellfabric/cellfabric/router/tenant"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  edgeconf.Config
		want []string // substrings of the error; none means valid
	}{
		{name: "zero is valid", cfg: edgeconf.Config{}},
		{name: "full", cfg: edgeconf.Config{
			TenantModes: []string{"host", "header", "path"}, TenantHeader: "X-Customer", HostPattern: "{tenant}.example.com",
			PathPrefix: "/tenants/", CacheSeconds: 5, HealthMaxAgeSeconds: 300, ProbeTimeoutMillis: 2000,
			UpstreamTimeoutMillis: 10_000, MaxAttempts: 1, DirectoryCacheEntries: 50_000, DirectoryNegativeSeconds: 1,
		}},
		{name: "host pattern ignored without host mode", cfg: edgeconf.Config{HostPattern: "nonsense/"}},
		{name: "unknown mode", cfg: edgeconf.Config{TenantModes: []string{"cookie"}}, want: []string{`tenantModes[0]: unknown mode "cookie"`}},
		{name: "jwt mode", cfg: edgeconf.Config{TenantModes: []string{"header", "jwt"}}, want: []string{"tenantModes[1]: the jwt mode is not available"}},
		{name: "repeated mode", cfg: edgeconf.Config{TenantModes: []string{"header", "path", "header"}}, want: []string{`tenantModes[2]: "header" already listed at tenantModes[0]`}},
		{name: "bad header", cfg: edgeconf.Config{TenantHeader: "X Tenant"}, want: []string{"tenantHeader:"}},
		{name: "host mode without pattern", cfg: edgeconf.Config{TenantModes: []string{"host"}}, want: []string{"hostPattern: required"}},
		{name: "pattern without placeholder", cfg: edgeconf.Config{TenantModes: []string{"host"}, HostPattern: "example.com"}, want: []string{"exactly once"}},
		{name: "placeholder twice", cfg: edgeconf.Config{TenantModes: []string{"host"}, HostPattern: "{tenant}.{tenant}.com"}, want: []string{"exactly once"}},
		{name: "partial label", cfg: edgeconf.Config{TenantModes: []string{"host"}, HostPattern: "t-{tenant}.example.com"}, want: []string{"whole DNS label"}},
		{name: "pattern with scheme", cfg: edgeconf.Config{TenantModes: []string{"host"}, HostPattern: "https://{tenant}.example.com"}, want: []string{"whole DNS label"}},
		{name: "pattern with port", cfg: edgeconf.Config{TenantModes: []string{"host"}, HostPattern: "{tenant}.example.com:8443"}, want: []string{"bare host name"}},
		{name: "path prefix without slashes", cfg: edgeconf.Config{PathPrefix: "t"}, want: []string{"pathPrefix:"}},
		{name: "path prefix with query", cfg: edgeconf.Config{PathPrefix: "/t?/"}, want: []string{"pathPrefix:"}},
		{name: "cache negative", cfg: edgeconf.Config{CacheSeconds: -1}, want: []string{"cacheSeconds: -1 is out of range"}},
		{name: "cache too long", cfg: edgeconf.Config{CacheSeconds: 3601}, want: []string{"cacheSeconds: 3601"}},
		{name: "health age too short", cfg: edgeconf.Config{HealthMaxAgeSeconds: 59}, want: []string{"healthMaxAgeSeconds: 59"}},
		{name: "health age too long", cfg: edgeconf.Config{HealthMaxAgeSeconds: 86_401}, want: []string{"healthMaxAgeSeconds: 86401"}},
		{name: "probe timeout too short", cfg: edgeconf.Config{ProbeTimeoutMillis: 99}, want: []string{"probeTimeoutMs: 99"}},
		{name: "probe timeout too long", cfg: edgeconf.Config{ProbeTimeoutMillis: 30_001}, want: []string{"probeTimeoutMs: 30001"}},
		{name: "upstream timeout too short", cfg: edgeconf.Config{UpstreamTimeoutMillis: 1}, want: []string{"upstreamTimeoutMs: 1"}},
		{name: "upstream timeout too long", cfg: edgeconf.Config{UpstreamTimeoutMillis: 300_001}, want: []string{"upstreamTimeoutMs: 300001"}},
		{name: "attempts negative", cfg: edgeconf.Config{MaxAttempts: -2}, want: []string{"maxAttempts: -2"}},
		{name: "attempts over the candidates", cfg: edgeconf.Config{MaxAttempts: 9}, want: []string{"maxAttempts: 9"}},
		{name: "directory cache negative", cfg: edgeconf.Config{DirectoryCacheEntries: -1}, want: []string{"directoryCacheEntries: -1 is out of range"}},
		{name: "directory cache too large", cfg: edgeconf.Config{DirectoryCacheEntries: 50_001}, want: []string{"directoryCacheEntries: 50001"}},
		{name: "negative cache negative", cfg: edgeconf.Config{DirectoryNegativeSeconds: -5}, want: []string{"directoryNegativeSeconds: -5"}},
		{name: "negative cache too long", cfg: edgeconf.Config{DirectoryNegativeSeconds: 3601}, want: []string{"directoryNegativeSeconds: 3601"}},
		{name: "trace sample over 1", cfg: edgeconf.Config{TraceSample: 2}, want: []string{"traceSample: 2 is not a ratio"}},
		{name: "trace sample negative", cfg: edgeconf.Config{TraceSample: -0.5}, want: []string{"traceSample: -0.5 is not a ratio"}},
		{name: "every problem at once", cfg: edgeconf.Config{TenantModes: []string{"host", "x"}, CacheSeconds: -1, MaxAttempts: 99},
			want: []string{"tenantModes[1]", "hostPattern", "cacheSeconds", "maxAttempts"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.cfg.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want errors containing %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %v\nwant it to contain %q", err, w)
				}
			}
		})
	}
}

// A config the Worker accepts must build a tenant resolver with the same
// settings: Validate is the Worker's promise that tenant.New will not fail.
func TestValidConfigsBuildResolvers(t *testing.T) {
	t.Parallel()
	for _, cfg := range []edgeconf.Config{
		{},
		{TenantModes: []string{"host", "header"}, HostPattern: "{tenant}.example.com"},
		{TenantModes: []string{"path"}, PathPrefix: "/x/"},
		{TenantModes: []string{"header"}, TenantHeader: "x-customer-id"},
		{TenantModes: []string{"host"}, HostPattern: "api.{tenant}.Example.org"},
	} {
		c := cfg.WithDefaults()
		if err := c.Validate(); err != nil {
			t.Fatalf("%+v: %v", cfg, err)
		}
		modes := make([]tenant.Mode, len(c.TenantModes))
		for i, m := range c.TenantModes {
			modes[i] = tenant.Mode(m)
		}
		if _, err := tenant.New(tenant.Config{Order: modes, Header: c.TenantHeader, HostPattern: c.HostPattern, PathPrefix: c.PathPrefix}); err != nil {
			t.Errorf("%+v: valid for the Worker but tenant.New says: %v", cfg, err)
		}
	}
}

func TestDefaultsMatchTheRouter(t *testing.T) {
	t.Parallel()
	checks := []struct {
		name      string
		got, want any
	}{
		{"tenant header", edgeconf.DefaultTenantHeader, tenant.DefaultHeader},
		{"path prefix", edgeconf.DefaultPathPrefix, tenant.DefaultPathPrefix},
		{"tenant header binding", edgeconf.DefaultTenantHeader, edgeauth.TenantHeader},
		{"attempts limit", edgeconf.MaxAttemptsLimit, router.MaxCandidates},
		{"health cells", edgeconf.MaxHealthCells, router.MaxCells},
		{"modes", []tenant.Mode{edgeconf.ModeHeader, edgeconf.ModeHost, edgeconf.ModePath}, []tenant.Mode{tenant.ModeHeader, tenant.ModeHost, tenant.ModePath}},
	}
	for _, c := range checks {
		g, _ := json.Marshal(c.got)
		w, _ := json.Marshal(c.want)
		if string(g) != string(w) {
			t.Errorf("%s: edgeconf has %s, the router %s", c.name, g, w)
		}
	}
}

func TestWithDefaults(t *testing.T) {
	t.Parallel()
	c := edgeconf.Config{CacheSeconds: 7}.WithDefaults()
	want := edgeconf.Config{
		TenantModes: []string{"header"}, TenantHeader: "X-Tenant-ID", PathPrefix: "/t/", CacheSeconds: 7,
		HealthMaxAgeSeconds: 600, ProbeTimeoutMillis: 5000, UpstreamTimeoutMillis: 30_000, MaxAttempts: 3,
		DirectoryCacheEntries: 16_000, DirectoryNegativeSeconds: 10,
	}
	g, _ := json.Marshal(c)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Fatalf("WithDefaults() = %s, want %s", g, w)
	}
	if c.DirectoryNegative() != 10*time.Second {
		t.Errorf("directory negative cache: %v", c.DirectoryNegative())
	}
	if c.Cache() != 7*time.Second || c.HealthMaxAge() != 10*time.Minute || c.ProbeTimeout() != 5*time.Second || c.UpstreamTimeout() != 30*time.Second {
		t.Errorf("durations: %v %v %v %v", c.Cache(), c.HealthMaxAge(), c.ProbeTimeout(), c.UpstreamTimeout())
	}
	// The defaults slice is copied, not shared.
	c.TenantModes[0] = "path"
	if edgeconf.DefaultTenantModes[0] != "header" {
		t.Fatal("WithDefaults shares DefaultTenantModes")
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    edgeconf.Config
		wantErr string
	}{
		{name: "empty is the defaults", in: "", want: edgeconf.Config{}.WithDefaults()},
		{name: "blank is the defaults", in: " \n", want: edgeconf.Config{}.WithDefaults()},
		{name: "fields", in: `{"tenantModes":["host"],"hostPattern":"{tenant}.a.example","cacheSeconds":2,"maxAttempts":1}`,
			want: edgeconf.Config{TenantModes: []string{"host"}, HostPattern: "{tenant}.a.example", CacheSeconds: 2, MaxAttempts: 1}.WithDefaults()},
		{name: "unknown field", in: `{"cacheSecs":2}`, wantErr: `unknown field "cacheSecs"`},
		{name: "trailing data", in: `{} {}`, wantErr: "trailing data"},
		{name: "duplicate key", in: `{"cacheSeconds":2,"cacheSeconds":600}`, wantErr: `cacheSeconds: duplicate key "cacheSeconds"`},
		{name: "duplicate key in other case", in: `{"maxAttempts":1,"MaxAttempts":8}`, wantErr: `MaxAttempts: duplicate key "MaxAttempts"`},
		{name: "not json", in: `cacheSeconds=2`, wantErr: "not a config document"},
		{name: "wrong type", in: `{"cacheSeconds":"2"}`, wantErr: "not a config document"},
		{name: "invalid", in: `{"cacheSeconds":-5}`, wantErr: "cacheSeconds: -5"},
		{name: "too large", in: `{"hostPattern":"` + strings.Repeat("a", edgeconf.MaxConfigBytes) + `"}`, wantErr: "byte limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := edgeconf.Parse([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse() error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse() = %v", err)
			}
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(tt.want)
			if string(g) != string(w) {
				t.Fatalf("Parse() = %s, want %s", g, w)
			}
		})
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	t.Parallel()
	in := edgeconf.Config{TenantModes: []string{"host", "header"}, HostPattern: "{tenant}.example.com", CacheSeconds: 10}
	data, err := in.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"tenantModes":["host","header"],"hostPattern":"{tenant}.example.com","cacheSeconds":10}`; string(data) != want {
		t.Fatalf("Marshal() = %s, want %s (zero fields left out)", data, want)
	}
	out, err := edgeconf.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if out.CacheSeconds != 10 || out.HostPattern != in.HostPattern || out.MaxAttempts != edgeconf.DefaultMaxAttempts {
		t.Fatalf("round trip: %+v", out)
	}
	if _, err := (edgeconf.Config{MaxAttempts: 100}).Marshal(); err == nil {
		t.Fatal("Marshal of an invalid config succeeded")
	}
}
