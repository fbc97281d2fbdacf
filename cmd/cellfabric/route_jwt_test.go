package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/cellfabric/cellfabric/router/tenant"
)

// TestRouteResolverJWKS: --jwt-jwks-url gives the jwt mode the keys of a
// real JWKS endpoint on loopback; a URL that is not http(s) is refused.
func TestRouteResolverJWKS(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	doc, _ := json.Marshal(map[string]any{"keys": []map[string]any{{"kty": "RSA", "kid": "k1", "use": "sig", "n": b64(key.N.Bytes()), "e": "AQAB"}}})
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(doc) }))
	defer jwks.Close()
	logger := slog.New(slog.DiscardHandler)

	c := routeConfig{TenantFrom: "jwt,header", JWTClaim: "tenant", JWTAudience: "cellfabric", JWKSURL: jwks.URL}
	r, err := c.resolver(t.Context(), logger)
	if err != nil {
		t.Fatal(err)
	}
	tok := gojwt.NewWithClaims(gojwt.SigningMethodRS256, gojwt.MapClaims{"tenant": "acme", "aud": "cellfabric", "exp": time.Now().Add(time.Hour).Unix()})
	tok.Header["kid"] = "k1"
	signed, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Resolve(context.Background(), tenant.Facts{Path: "/", Header: http.Header{"Authorization": {"Bearer " + signed}, "X-Tenant-Id": {"globex"}}})
	if err != nil || res.Tenant != "acme" || res.Mode != tenant.ModeJWT {
		t.Fatalf("token verified with the JWKS key: tenant %q via %q, err %v; want acme via jwt", res.Tenant, res.Mode, err)
	}

	c.JWKSURL = "ftp://issuer.example.com/jwks"
	if _, err := c.resolver(t.Context(), logger); err == nil || !strings.Contains(err.Error(), "--jwt-jwks-url") {
		t.Fatalf("resolver with an ftp JWKS URL: %v, want a --jwt-jwks-url error", err)
	}
}
