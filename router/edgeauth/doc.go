// Package edgeauth authenticates the edge to the cells: the router (server
// or Worker) signs every request it forwards, and cells verify the signature
// with Verifier.Middleware, so a cell only serves requests that came through
// the edge, for the tenant the edge resolved.
//
// # Wire format
//
// The edge sets these request headers:
//
//	X-Tenant-ID: <tenant id>            (absent for shared routes)
//	X-Tenant-Epoch: <placement epoch>   (absent when 0; v2 only)
//	X-Cellfabric-Signature: v1,kid=<key id>,ts=<unix seconds>,sig=<signature>
//
// where <signature> is the unpadded base64url encoding of
// HMAC-SHA256(secret of <key id>, canonical), and canonical is these eight
// lines joined by "\n" (no trailing newline):
//
//	cellfabric-edge-v1
//	<key id>
//	<unix seconds, decimal, as in ts>
//	<method, as sent, e.g. GET>
//	<host the request is sent to: lower-cased, without port>
//	<request target path: URL.EscapedPath(), "/" when empty>
//	<raw query without "?", "" when none>
//	<tenant id, "" when none>
//
// # Placement epochs (v2)
//
// A request the edge forwards on a tenant directory entry carries that
// entry's placement epoch, so that a cell can refuse a write from an edge
// that still holds an older placement (docs/design/moving-tenants.md).
// With a positive epoch the header starts "v2" instead of "v1", the
// request carries X-Tenant-Epoch with the epoch in decimal (no sign, no
// leading zeros), and canonical has a ninth line:
//
//	cellfabric-edge-v2
//	<the eight lines above, from the key id on>
//	<placement epoch, decimal, as in X-Tenant-Epoch>
//
// Signers send v2 only for a positive epoch: a tenant of the registry (no
// directory entry, epoch 0) and a shared route keep v1, byte for byte as
// before, so cells that predate epochs keep verifying them. Verifiers
// accept both: a v1 signature is epoch 0, a v2 signature the epoch it
// covers (Verified.Epoch, EpochFromContext). An X-Tenant-Epoch with a v1
// signature is refused (bad_signature), not ignored: an epoch the edge did
// not sign must never reach the cell's handler, so nothing downstream can
// mistake one for the edge's; so is a v2 signature without the header, and
// a header that is repeated, "0" or not a plain decimal (malformed).
//
// Any client-supplied X-Tenant-ID, X-Tenant-Epoch or X-Cellfabric-Signature
// is replaced or removed before signing. The body is not signed (TLS
// protects it in transit); a signature binds the method, the cell's host,
// the path, the query, the tenant, the epoch and the time, so a request
// cannot be replayed to another cell, path, tenant or epoch, and only
// within MaxSkew (default 60 s) to the same one.
//
// # Keys and rotation
//
// A key is an id and a secret of at least MinSecretBytes bytes. The signer
// uses one key; a verifier accepts several, so keys rotate without downtime:
// add the new key to every cell's verifier, switch the edge's signer to it,
// then remove the old key. Keys are written "id=secret", several separated
// by commas or newlines (ParseKeys). Secrets are never logged or printed;
// Key's String method redacts them.
//
// # Portability
//
// Sign and Verify work on plain strings so that the Cloudflare Worker (this
// package compiled with GOOS=js GOARCH=wasm) signs with exactly this code.
// The package imports only the standard library.
package edgeauth
