package jwt

import (
	"context"
	"errors"
	"testing"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router/tenant"
)

// checkOutcome: a refusal is a *tenant.Error with a status and a reason; a
// tenant is a valid id.
func checkOutcome(t *testing.T, res tenant.Result, err error) {
	t.Helper()
	if err != nil {
		var te *tenant.Error
		if !errors.As(err, &te) || te.Status < 400 || te.Status > 503 || te.Reason == "" {
			t.Fatalf("bad error %#v", err)
		}
		return
	}
	if res.Tenant != "" && !fabric.ValidTenantID(res.Tenant) {
		t.Fatalf("resolved invalid tenant %q", res.Tenant)
	}
}

// FuzzJWTTenant: arbitrary tokens never panic, and a token is only accepted
// when it carries a valid signature (the seeds' signed tenant is "acme").
func FuzzJWTTenant(f *testing.F) {
	testKeys(f)
	hs := map[string]any{"alg": "HS256", "kid": "hs"}
	f.Add(makeToken(f, hs, claims(), hsSecret))
	f.Add(makeToken(f, map[string]any{"alg": "ES256", "kid": "es"}, claims(), ecKey))
	f.Add(makeToken(f, map[string]any{"alg": "none"}, claims(), nil))
	f.Add("a.b.c")
	f.Add("")
	r := jwtResolver(f, Config{Keys: []Key{{ID: "hs", Alg: HS256, Key: hsSecret}, {ID: "es", Alg: ES256, Key: &ecKey.PublicKey}}})
	f.Fuzz(func(t *testing.T, tok string) {
		res, err := r.Resolve(context.Background(), tenant.Facts{Path: "/", Header: bearer(tok)})
		checkOutcome(t, res, err)
		if err == nil && res.Tenant != "" && res.Tenant != "acme" {
			t.Fatalf("forged token accepted for tenant %q", res.Tenant)
		}
	})
}
