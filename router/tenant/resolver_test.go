package tenant

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	t.Parallel()
	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i+1 < len(kv); i += 2 {
			h.Add(kv[i], kv[i+1])
		}
		return h
	}
	all := Config{Order: []Mode{ModeHeader, ModeHost, ModePath}, HostPattern: "{tenant}.example.com"}
	tests := []struct {
		name       string
		cfg        Config
		facts      Facts
		wantTenant string
		wantMode   Mode
		wantPath   string
		wantRaw    string
		wantStatus int
		wantReason string
	}{
		{name: "header", cfg: Config{}, facts: Facts{Path: "/x", Header: hdr("X-Tenant-ID", "acme")}, wantTenant: "acme", wantMode: ModeHeader, wantPath: "/x"},
		{name: "custom header", cfg: Config{Header: "x-customer"}, facts: Facts{Path: "/", Header: hdr("X-Customer", "globex")}, wantTenant: "globex", wantMode: ModeHeader, wantPath: "/"},
		{name: "header absent", cfg: Config{}, facts: Facts{Path: "/x", Header: hdr()}, wantPath: "/x"},
		{name: "nil headers", cfg: Config{}, facts: Facts{Path: "/x"}, wantPath: "/x"},
		{name: "header malformed", cfg: Config{}, facts: Facts{Header: hdr("X-Tenant-ID", "../etc")}, wantStatus: 400, wantReason: "bad_header"},
		{name: "header upper case", cfg: Config{}, facts: Facts{Header: hdr("X-Tenant-ID", "ACME")}, wantStatus: 400, wantReason: "bad_header"},
		{name: "header too long", cfg: Config{}, facts: Facts{Header: hdr("X-Tenant-ID", strings.Repeat("a", 64))}, wantStatus: 400, wantReason: "bad_header"},
		{name: "header repeated", cfg: Config{}, facts: Facts{Header: hdr("X-Tenant-ID", "acme", "X-Tenant-ID", "globex")}, wantStatus: 400, wantReason: "bad_header"},
		{name: "host", cfg: all, facts: Facts{Host: "acme.example.com", Path: "/a"}, wantTenant: "acme", wantMode: ModeHost, wantPath: "/a"},
		{name: "host with port", cfg: all, facts: Facts{Host: "acme.example.com:8443", Path: "/a"}, wantTenant: "acme", wantMode: ModeHost, wantPath: "/a"},
		{name: "host upper case", cfg: all, facts: Facts{Host: "ACME.Example.COM", Path: "/a"}, wantTenant: "acme", wantMode: ModeHost, wantPath: "/a"},
		{name: "host other domain", cfg: all, facts: Facts{Host: "acme.example.org", Path: "/a"}, wantPath: "/a"},
		{name: "host bare domain", cfg: all, facts: Facts{Host: "example.com", Path: "/a"}, wantPath: "/a"},
		{name: "host ip", cfg: all, facts: Facts{Host: "127.0.0.1:8080", Path: "/a"}, wantPath: "/a"},
		{name: "host ipv6", cfg: all, facts: Facts{Host: "[::1]:8080", Path: "/a"}, wantPath: "/a"},
		{name: "host two labels", cfg: all, facts: Facts{Host: "a.b.example.com"}, wantStatus: 400, wantReason: "bad_host"},
		{name: "host empty label", cfg: all, facts: Facts{Host: ".example.com"}, wantStatus: 400, wantReason: "bad_host"},
		{name: "host bad chars", cfg: all, facts: Facts{Host: "ac$me.example.com"}, wantStatus: 400, wantReason: "bad_host"},
		{name: "host double dot", cfg: all, facts: Facts{Host: "acme..example.com"}, wantStatus: 400, wantReason: "bad_host"},
		{name: "host empty", cfg: Config{Order: []Mode{ModeHost}, HostPattern: "{tenant}.example.com"}, facts: Facts{Host: "", Path: "/"}, wantPath: "/"},
		{name: "host port only", cfg: Config{Order: []Mode{ModeHost}, HostPattern: "{tenant}.example.com"}, facts: Facts{Host: ":80", Path: "/"}, wantPath: "/"},
		{name: "host pattern with prefix", cfg: Config{Order: []Mode{ModeHost}, HostPattern: "api.{tenant}.example.com"}, facts: Facts{Host: "api.acme.example.com", Path: "/"}, wantTenant: "acme", wantMode: ModeHost, wantPath: "/"},
		{name: "path", cfg: all, facts: Facts{Path: "/t/acme/orders/1"}, wantTenant: "acme", wantMode: ModePath, wantPath: "/orders/1"},
		{name: "path tenant only", cfg: all, facts: Facts{Path: "/t/acme"}, wantTenant: "acme", wantMode: ModePath, wantPath: "/"},
		{name: "path trailing slash", cfg: all, facts: Facts{Path: "/t/acme/"}, wantTenant: "acme", wantMode: ModePath, wantPath: "/"},
		{name: "path raw kept", cfg: all, facts: Facts{Path: "/t/acme/a/b", RawPath: "/t/acme/a%2Fb"}, wantTenant: "acme", wantMode: ModePath, wantPath: "/a/b", wantRaw: "/a%2Fb"},
		{name: "path encoded tenant", cfg: all, facts: Facts{Path: "/t/acme/x", RawPath: "/t/%61cme/x"}, wantStatus: 400, wantReason: "bad_path"},
		{name: "path empty tenant", cfg: all, facts: Facts{Path: "/t//x"}, wantStatus: 400, wantReason: "bad_path"},
		{name: "path dot segment", cfg: all, facts: Facts{Path: "/t/../x"}, wantStatus: 400, wantReason: "bad_path"},
		{name: "path bare prefix", cfg: all, facts: Facts{Path: "/t/"}, wantStatus: 400, wantReason: "bad_path"},
		{name: "path other", cfg: all, facts: Facts{Path: "/tx/acme"}, wantPath: "/tx/acme"},
		{name: "custom path prefix", cfg: Config{Order: []Mode{ModePath}, PathPrefix: "/tenants/"}, facts: Facts{Path: "/tenants/initech/x"}, wantTenant: "initech", wantMode: ModePath, wantPath: "/x"},
		{name: "order: header before host", cfg: all, facts: Facts{Host: "acme.example.com", Header: hdr("X-Tenant-ID", "globex")}, wantTenant: "globex", wantMode: ModeHeader},
		{name: "order: host before path", cfg: all, facts: Facts{Host: "acme.example.com", Path: "/t/globex/x"}, wantTenant: "acme", wantMode: ModeHost, wantPath: "/t/globex/x"},
		{name: "order: later mode used when earlier finds nothing", cfg: all, facts: Facts{Host: "localhost", Path: "/t/globex/x"}, wantTenant: "globex", wantMode: ModePath, wantPath: "/x"},
		{name: "nothing found", cfg: all, facts: Facts{Host: "localhost", Path: "/catalog"}, wantPath: "/catalog"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := New(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			res, err := r.Resolve(context.Background(), tt.facts)
			if tt.wantStatus != 0 {
				var te *Error
				if !errors.As(err, &te) || te.Status != tt.wantStatus || te.Reason != tt.wantReason {
					t.Fatalf("err = %v, want status %d reason %s", err, tt.wantStatus, tt.wantReason)
				}
				if te.Msg == "" || !strings.Contains(te.Error(), string(te.Mode)) {
					t.Errorf("error lacks a message: %v", te)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Tenant != tt.wantTenant || res.Mode != tt.wantMode {
				t.Errorf("tenant %q via %q, want %q via %q", res.Tenant, res.Mode, tt.wantTenant, tt.wantMode)
			}
			if res.Path != tt.wantPath || res.RawPath != tt.wantRaw {
				t.Errorf("forward path %q raw %q, want %q %q", res.Path, res.RawPath, tt.wantPath, tt.wantRaw)
			}
		})
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{name: "unknown mode", cfg: Config{Order: []Mode{"cookie"}}, want: `unknown mode "cookie"`},
		{name: "mode twice", cfg: Config{Order: []Mode{ModeHeader, ModeHeader}}, want: "listed twice"},
		{name: "host without pattern", cfg: Config{Order: []Mode{ModeHost}}, want: "hostPattern: required"},
		{name: "pattern without placeholder", cfg: Config{Order: []Mode{ModeHost}, HostPattern: "example.com"}, want: "must contain {tenant} exactly once"},
		{name: "pattern twice", cfg: Config{Order: []Mode{ModeHost}, HostPattern: "{tenant}.{tenant}.com"}, want: "exactly once"},
		{name: "placeholder inside label", cfg: Config{Order: []Mode{ModeHost}, HostPattern: "x{tenant}.example.com"}, want: "whole DNS label"},
		{name: "pattern with port", cfg: Config{Order: []Mode{ModeHost}, HostPattern: "{tenant}.example.com:80"}, want: "bare host name"},
		{name: "bad path prefix", cfg: Config{Order: []Mode{ModePath}, PathPrefix: "t/"}, want: "pathPrefix"},
		{name: "jwt without config", cfg: Config{Order: []Mode{ModeJWT}}, want: "jwt: required"},
		{name: "every problem", cfg: Config{Order: []Mode{"x", ModeHost}, PathPrefix: "nope"}, want: "hostPattern"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestResolveHeaderAllocatesNothing(t *testing.T) {
	r, err := New(Config{Order: []Mode{ModeHeader, ModeHost, ModePath}, HostPattern: "{tenant}.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{"X-Tenant-Id": {"acme"}}
	ctx := context.Background()
	for _, f := range []Facts{{Host: "x", Path: "/", Header: h}, {Host: "acme.example.com:80", Path: "/"}, {Host: "localhost", Path: "/t/acme/x"}} {
		if n := testing.AllocsPerRun(100, func() { _, _ = r.Resolve(ctx, f) }); n != 0 {
			t.Errorf("Resolve(%+v) allocates %v times", f, n)
		}
	}
}
