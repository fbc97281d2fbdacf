// Package tenant finds which tenant a request is for. A Resolver tries the
// configured modes in order and takes the first that finds a tenant:
//
//   - header: a request header (default X-Tenant-ID) holding the tenant id;
//   - host: a host pattern such as "{tenant}.example.com", where the tenant
//     is one whole DNS label;
//   - path: a path prefix such as "/t/" in "/t/{tenant}/rest"; the prefix
//     and the tenant segment are stripped before forwarding, so the cell
//     sees "/rest" (and "/" for "/t/{tenant}");
//   - jwt: a bearer token in the Authorization header whose signature is
//     verified (HS256 with a shared secret; RS256 or ES256 with static public
//     keys or keys fetched from a JWKS URL and cached) and whose exp, nbf,
//     iss and aud are checked with a small clock skew; the tenant is a claim
//     (default "tenant"). A token that does not verify is never trusted; the
//     key decides the algorithm, so "alg: none" and algorithm confusion
//     (an HMAC token checked with a public key) are refused.
//
// A mode that finds nothing passes to the next; a mode that finds something
// malformed stops resolution with an *Error carrying a 400-class status and a
// stable reason. Ids are checked with router.ValidTenantID.
//
// The header, host and path modes allocate nothing. The package imports the
// standard library and the router core only; it builds for GOOS=js
// GOARCH=wasm, where the JWKS fetch goes through the runtime's fetch.
//
// Precedence matters for trust: a header can be set by any client, a verified
// token cannot. When tokens are the source of truth, configure jwt alone (or
// first) so that a header cannot pick another tenant.
package tenant
