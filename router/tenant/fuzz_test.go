package tenant

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/fabric"
)

func checkOutcome(t *testing.T, res Result, err error) {
	t.Helper()
	if err != nil {
		var te *Error
		if !errors.As(err, &te) || te.Status < 400 || te.Status > 503 || te.Reason == "" {
			t.Fatalf("bad error %#v", err)
		}
		return
	}
	if res.Tenant != "" && !fabric.ValidTenantID(res.Tenant) {
		t.Fatalf("resolved invalid tenant %q", res.Tenant)
	}
}

func FuzzHostTenant(f *testing.F) {
	for _, s := range []string{"acme.example.com", "ACME.example.com:443", "a.b.example.com", "[::1]:80", "", ".example.com", "x..example.com", "acme.example.com.", "é.example.com"} {
		f.Add(s)
	}
	r, err := New(Config{Order: []Mode{ModeHost}, HostPattern: "{tenant}.example.com"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, host string) {
		res, err := r.Resolve(context.Background(), Facts{Host: host, Path: "/"})
		checkOutcome(t, res, err)
		if res.Tenant != "" && !strings.HasSuffix(strings.ToLower(stripPort(host)), ".example.com") {
			t.Fatalf("tenant %q from host %q outside the pattern", res.Tenant, host)
		}
	})
}

func FuzzPathTenant(f *testing.F) {
	for _, s := range [][2]string{{"/t/acme/x", ""}, {"/t/acme", ""}, {"/t//", ""}, {"/t/a/b%2Fc", "/t/a/b%2Fc"}, {"/t/%61/x", "/t/%61/x"}, {"/", ""}} {
		f.Add(s[0], s[1])
	}
	r, err := New(Config{Order: []Mode{ModePath}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, path, raw string) {
		res, err := r.Resolve(context.Background(), Facts{Path: path, RawPath: raw})
		checkOutcome(t, res, err)
		if res.Tenant == "" {
			return
		}
		if !strings.HasPrefix(res.Path, "/") || !strings.HasPrefix(path, "/t/"+res.Tenant) {
			t.Fatalf("path %q → tenant %q forward %q", path, res.Tenant, res.Path)
		}
		if !strings.HasSuffix(path, strings.TrimPrefix(res.Path, "/")) {
			t.Fatalf("forward path %q is not the tail of %q", res.Path, path)
		}
		if raw != "" && !strings.HasPrefix(res.RawPath, "/") {
			t.Fatalf("raw forward path %q", res.RawPath)
		}
	})
}

func FuzzHeaderTenant(f *testing.F) {
	for _, s := range []string{"acme", "ACME", "", "a-", "x\x00y", strings.Repeat("a", 70)} {
		f.Add(s)
	}
	r, err := New(Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, v string) {
		res, err := r.Resolve(context.Background(), Facts{Path: "/", Header: http.Header{"X-Tenant-Id": {v}}})
		checkOutcome(t, res, err)
		if res.Tenant != "" && res.Tenant != v {
			t.Fatalf("header %q → tenant %q", v, res.Tenant)
		}
	})
}
