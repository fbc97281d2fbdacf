package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/tenant"
	"github.com/cellfabric/cellfabric/router/tenant/jwt"
)

const jwtSecret = "jwt-hs256-secret-0123456789abcdef-xyz"

// hsVerifier verifies HS256 tokens signed with jwtSecret.
func hsVerifier(t *testing.T, audience string) *jwt.Verifier {
	t.Helper()
	v, err := jwt.New(jwt.Config{Keys: []jwt.Key{{Alg: jwt.HS256, Key: []byte(jwtSecret)}}, Audience: audience})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func hsToken(t *testing.T, claims map[string]any) string {
	t.Helper()
	enc := base64.RawURLEncoding
	h, _ := json.Marshal(map[string]string{"alg": "HS256", "typ": "JWT"})
	c, _ := json.Marshal(claims)
	signed := enc.EncodeToString(h) + "." + enc.EncodeToString(c)
	m := hmac.New(sha256.New, []byte(jwtSecret))
	m.Write([]byte(signed))
	return signed + "." + enc.EncodeToString(m.Sum(nil))
}

// forge swaps the token's payload for one naming tenant acme, keeping the
// signature.
func forge(tok string) string {
	parts := strings.Split(tok, ".")
	p, _ := json.Marshal(map[string]any{"tenant": "acme", "exp": time.Now().Add(time.Hour).Unix(), "aud": "cellfabric"})
	return parts[0] + "." + base64.RawURLEncoding.EncodeToString(p) + "." + parts[2]
}

// TestRouting sends real requests through the router to real loopback cells
// for every resolution mode and policy.
func TestRouting(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		aws := newTestCell(t, "aws-use1", "aws")
		gcp := newTestCell(t, "gcp-usc1", "gcp")
		azure := newTestCell(t, "azure-weu", "azure")
		reg := registry(1, []router.Cell{aws.cell(), azure.cell(), gcp.cell()},
			router.Tenant{ID: "acme", Cell: "aws-use1", Failover: []string{"gcp-usc1"}},
			router.Tenant{ID: "globex", Cell: "gcp-usc1"},
			router.Tenant{ID: "wayne", Cell: "azure-weu", State: fabric.TenantMigrating},
		)
		reg.SharedRoutes = []router.SharedRoute{{Prefix: "/catalog", Cells: []router.WeightedCell{{Cell: "azure-weu", Weight: 1}}}}
		placeReg := registry(1, []router.Cell{aws.cell(), gcp.cell()})
		placeReg.UnknownTenants = fabric.PolicyPlace
		resolver := func(cfg tenant.Config) func(*Config) {
			return func(c *Config) {
				r, err := tenant.New(cfg)
				if err != nil {
					t.Fatal(err)
				}
				c.Resolver = r
			}
		}
		all := resolver(tenant.Config{
			Order: []tenant.Mode{tenant.ModeJWT, tenant.ModeHeader, tenant.ModeHost, tenant.ModePath}, HostPattern: "{tenant}.example.com",
			Verifier: hsVerifier(t, "cellfabric"),
		})
		hAll := startRouter(t, reg, all)
		hPlace := startRouter(t, placeReg, nil)
		exp := time.Now().Add(time.Hour).Unix()
		tests := []struct {
			name       string
			h          *harness
			method     string
			path       string
			hdr        map[string]string
			body       string
			wantStatus int
			wantCell   string
			wantCloud  string
			wantPath   string
			wantTenant string
			wantQuery  string // the query the cell got, when not ""
			wantReason string
		}{
			{name: "header", h: hAll, method: "GET", path: "/orders?x=1", hdr: map[string]string{"X-Tenant-ID": "acme"}, wantStatus: 200, wantCell: "aws-use1", wantCloud: "aws", wantPath: "/orders", wantTenant: "acme"},
			{name: "host", h: hAll, method: "GET", path: "/orders", hdr: map[string]string{"Host": "globex.example.com"}, wantStatus: 200, wantCell: "gcp-usc1", wantCloud: "gcp", wantPath: "/orders", wantTenant: "globex"},
			{name: "path prefix stripped", h: hAll, method: "POST", path: "/t/acme/orders/7", body: "{}", wantStatus: 200, wantCell: "aws-use1", wantCloud: "aws", wantPath: "/orders/7", wantTenant: "acme"},
			// The query as the client sent it, ';' and all, behind a
			// stripped tenant prefix: the cell's signature check (the test
			// cell verifies every request) covers the query it gets.
			{name: "path prefix stripped and a query with semicolons", h: hAll, method: "GET", path: "/t/acme/orders?x=1;y=2&z=3", wantStatus: 200, wantCell: "aws-use1", wantCloud: "aws", wantPath: "/orders", wantTenant: "acme", wantQuery: "x=1;y=2&z=3"},
			{name: "path prefix only", h: hAll, method: "GET", path: "/t/globex", wantStatus: 200, wantCell: "gcp-usc1", wantCloud: "gcp", wantPath: "/", wantTenant: "globex"},
			{name: "jwt", h: hAll, method: "GET", path: "/me", hdr: map[string]string{"Authorization": "Bearer " + hsToken(t, map[string]any{"tenant": "globex", "exp": exp, "aud": "cellfabric"}), "X-Tenant-ID": "acme"}, wantStatus: 200, wantCell: "gcp-usc1", wantCloud: "gcp", wantPath: "/me", wantTenant: "globex"},
			{name: "jwt forged", h: hAll, method: "GET", path: "/me", hdr: map[string]string{"Authorization": "Bearer " + forge(hsToken(t, map[string]any{"tenant": "globex", "exp": exp, "aud": "cellfabric"}))}, wantStatus: 401, wantReason: "token_rejected"},
			{name: "jwt malformed", h: hAll, method: "GET", path: "/me", hdr: map[string]string{"Authorization": "Bearer not-a-jwt"}, wantStatus: 400, wantReason: "bad_token"},
			{name: "jwt wrong audience", h: hAll, method: "GET", path: "/me", hdr: map[string]string{"Authorization": "Bearer " + hsToken(t, map[string]any{"tenant": "globex", "exp": exp, "aud": "other"})}, wantStatus: 401, wantReason: "token_rejected"},
			{name: "client cannot choose the forwarded tenant header", h: hAll, method: "GET", path: "/t/acme/x", hdr: map[string]string{"X-Cellfabric-Signature": "v1,kid=k1,ts=1,sig=AAAA"}, wantStatus: 200, wantCell: "aws-use1", wantCloud: "aws", wantPath: "/x", wantTenant: "acme"},
			{name: "shared route", h: hAll, method: "GET", path: "/catalog/items", wantStatus: 200, wantCell: "azure-weu", wantCloud: "azure", wantPath: "/catalog/items", wantTenant: ""},
			{name: "migrating tenant read", h: hAll, method: "GET", path: "/x", hdr: map[string]string{"X-Tenant-ID": "wayne"}, wantStatus: 200, wantCell: "azure-weu", wantCloud: "azure", wantPath: "/x", wantTenant: "wayne"},
			{name: "migrating tenant write", h: hAll, method: "PUT", path: "/x", body: "{}", hdr: map[string]string{"X-Tenant-ID": "wayne"}, wantStatus: 503, wantReason: "tenant_readonly"},
			{name: "unknown tenant rejected", h: hAll, method: "GET", path: "/", hdr: map[string]string{"X-Tenant-ID": "nobody"}, wantStatus: 404, wantReason: "unknown_tenant"},
			{name: "no tenant", h: hAll, method: "GET", path: "/", wantStatus: 400, wantReason: "no_tenant"},
			{name: "unknown tenant placed", h: hPlace, method: "GET", path: "/p", hdr: map[string]string{"X-Tenant-ID": "newco"}, wantStatus: 200, wantPath: "/p", wantTenant: "newco"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				tp := "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
				hdr := map[string]string{"Traceparent": tp, "X-Request-ID": "req-" + strings.ReplaceAll(tt.name, " ", "-")}
				for k, v := range tt.hdr {
					hdr[k] = v
				}
				resp, body := tt.h.do(t, tt.method, tt.path, hdr, tt.body)
				if resp.StatusCode != tt.wantStatus {
					t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, body)
				}
				if got := resp.Header.Get("X-Request-ID"); got != hdr["X-Request-ID"] {
					t.Errorf("X-Request-ID %q, want the client's %q", got, hdr["X-Request-ID"])
				}
				if tt.wantReason != "" {
					var e router.ErrorBody
					if err := json.Unmarshal(body, &e); err != nil || string(e.Reason) != string(tt.wantReason) || e.Error == "" || e.RequestID == "" {
						t.Fatalf("error body %s, want reason %s", body, tt.wantReason)
					}
					if tt.wantStatus == 503 && resp.Header.Get("Retry-After") != "30" {
						t.Errorf("Retry-After %q", resp.Header.Get("Retry-After"))
					}
					return
				}
				var e echo
				if err := json.Unmarshal(body, &e); err != nil {
					t.Fatalf("cell answer %s: %v", body, err)
				}
				if tt.wantCell != "" && (e.Cell != tt.wantCell || resp.Header.Get("X-Cell-ID") != tt.wantCell || resp.Header.Get("X-Processed-By-Cloud") != tt.wantCloud) {
					t.Errorf("served by %s (X-Cell-ID %q, cloud %q), want %s/%s", e.Cell, resp.Header.Get("X-Cell-ID"), resp.Header.Get("X-Processed-By-Cloud"), tt.wantCell, tt.wantCloud)
				}
				if resp.Header.Get("X-Cell-ID") != e.Cell || len(resp.Header.Values("X-Request-ID")) != 1 {
					t.Errorf("response headers %v do not match the serving cell %s", resp.Header, e.Cell)
				}
				if e.Path != tt.wantPath || e.Tenant != tt.wantTenant {
					t.Errorf("cell saw path %q tenant %q, want %q %q", e.Path, e.Tenant, tt.wantPath, tt.wantTenant)
				}
				if e.Traceparent != tp {
					t.Errorf("traceparent %q not passed through", e.Traceparent)
				}
				if e.RequestID != hdr["X-Request-ID"] {
					t.Errorf("cell saw request id %q", e.RequestID)
				}
				if strings.HasPrefix(tt.path, "/orders?") && e.Query != "x=1" {
					t.Errorf("query %q lost", e.Query)
				}
				if tt.wantQuery != "" && e.Query != tt.wantQuery {
					t.Errorf("cell saw query %q, want %q", e.Query, tt.wantQuery)
				}
			})
		}
	})
}

func TestRequestIDGenerated(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		c := newTestCell(t, "cell-a", "aws")
		h := startRouter(t, registry(1, []router.Cell{c.cell()}, router.Tenant{ID: "acme", Cell: "cell-a"}), nil)
		for _, in := range []string{"", "bad id with spaces", strings.Repeat("x", 200)} {
			resp, body := h.do(t, "GET", "/", map[string]string{"X-Tenant-ID": "acme", "X-Request-ID": in}, "")
			var e echo
			json.Unmarshal(body, &e)
			id := resp.Header.Get("X-Request-ID")
			if len(id) != 32 || id == in || e.RequestID != id {
				t.Errorf("request id for %q: response %q, cell %q", in, id, e.RequestID)
			}
		}
	})
}

func TestUnsignedWhenNoSigner(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T) {
		c := newTestCell(t, "cell-a", "aws")
		h := startRouter(t, registry(1, []router.Cell{c.cell()}, router.Tenant{ID: "acme", Cell: "cell-a"}), func(cfg *Config) { cfg.Signer = nil })
		resp, body := h.do(t, "GET", "/", map[string]string{"X-Tenant-ID": "acme"}, "")
		// The test cell verifies signatures: without a signer it refuses.
		if resp.StatusCode != 401 || !strings.Contains(string(body), "missing") {
			t.Fatalf("unsigned request: %d %s", resp.StatusCode, body)
		}
	})
}

func ExampleRouter_Explain() {
	store := router.NewStore(nil)
	_ = store.Install(registry(1, []router.Cell{
		{ID: "aws-use1", Cloud: "aws", Region: "us-east-1", Endpoint: "https://aws.example.com", Weight: 100},
		{ID: "gcp-usc1", Cloud: "gcp", Region: "us-central1", Endpoint: "https://gcp.example.com", Weight: 100},
	}, router.Tenant{ID: "acme", Cell: "aws-use1", Failover: []string{"gcp-usc1"}}), "memory")
	rt, _ := New(Config{Store: store})
	_ = rt.Health().SetOverride("aws-use1", 1) // health.OverrideDown
	ex, _ := rt.Explain(router.Request{Method: "GET", Path: "/", Tenant: "acme"})
	fmt.Println(ex.Chosen, ex.Via, ex.Message)
	// Output: gcp-usc1 failover forward to cell gcp-usc1 (failover)
}
