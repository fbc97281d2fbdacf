// Package jwt verifies the bearer tokens of the tenant resolver's jwt mode:
// a Verifier (a tenant.TokenVerifier) checks a JWT's signature (HS256 with a
// shared secret; RS256 or ES256 with static public keys or keys fetched from
// a JWKS URL and cached), requires exp and checks exp and nbf with a small
// clock skew, checks iss and aud when configured, and returns the tenant
// claim (default "tenant") once fabric.ValidTenantID accepts it.
//
// The key decides the algorithm: only HS256, RS256 and ES256 are accepted,
// a token is only checked with keys of its own algorithm, so "alg: none",
// algorithm confusion (an HS256 token checked with a public key) and an
// RS256 header on an EC key are refused, and a symmetric key published in
// a JWKS never verifies anything. Refusals are *tenant.Error values with
// stable reasons: bad_token (400, malformed), token_rejected (401),
// token_no_tenant (403), keys_unavailable (503, no keys could be fetched).
// Messages never contain the token.
//
// Parsing, signatures and the registered claims are github.com/golang-jwt/jwt/v5;
// fetching and caching the JWKS is github.com/MicahParks/keyfunc/v3 over
// github.com/MicahParks/jwkset, whose refresh goroutine and unknown-kid
// refetch behind a golang.org/x/time/rate limiter are what this package
// asks of a JWKS cache. github.com/lestrrat-go/jwx/v3 does all of it too
// and was not chosen: a program verifying tokens against a JWKS links
// about 2.0 MB more with it and 0.6 MB with these (linux/amd64), seven
// modules against these four, its requirements would upgrade
// golang.org/x/sys under the Pulumi SDKs, and its JWKS cache does not
// refetch on an unknown kid by itself. What this package adds is the
// adapter: which keys fit which algorithm, the required exp, the NumericDate
// range, the crit header, the tenant claim and the mapping to statuses.
//
// The package is for the router server and CLI. It imports net/http (JWKS)
// and the token libraries, so router/tenant must never import it: the edge
// Worker, built with GOOS=js GOARCH=wasm, resolves tenants without it.
package jwt
