// Package tenant finds which tenant a request is for. A Resolver tries the
// configured modes in order and takes the first that finds a tenant:
//
//   - header: a request header (default X-Tenant-ID) holding the tenant id;
//   - host: a host pattern such as "{tenant}.example.com", where the tenant
//     is one whole DNS label;
//   - path: a path prefix such as "/t/" in "/t/{tenant}/rest"; the prefix
//     and the tenant segment are stripped before forwarding, so the cell
//     sees "/rest" (and "/" for "/t/{tenant}");
//   - jwt: a bearer token in the Authorization header, handed to the
//     Config's TokenVerifier, which verifies it and names the tenant. The
//     verifier lives in router/tenant/jwt (signatures, exp, nbf, iss, aud,
//     static keys and JWKS, on golang-jwt and keyfunc); this package only
//     finds the token and checks the id it gets back. A token that does not
//     verify is never trusted and never passes to the next mode.
//
// A mode that finds nothing passes to the next; a mode that finds something
// malformed stops resolution with an *Error carrying a 400-class status and a
// stable reason. Ids are checked with fabric.ValidTenantID.
//
// The header, host and path modes allocate nothing. The package imports the
// standard library (not net/http, nor any crypto) and the router core only,
// so the edge Worker (GOOS=js GOARCH=wasm, no jwt mode) links none of the
// token verification; it must stay that way.
//
// Precedence matters for trust: a header can be set by any client, a verified
// token cannot. When tokens are the source of truth, configure jwt alone (or
// first) so that a header cannot pick another tenant.
package tenant
