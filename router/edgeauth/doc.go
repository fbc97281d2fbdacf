// Package edgeauth authenticates the edge to the cells: the router (server
// or Worker) signs every request it forwards, and cells verify the signature
// with Verifier.Middleware, so a cell only serves requests that came through
// the edge, for the tenant the edge resolved.
//
// # Wire format
//
// The edge sets two request headers:
//
//	X-Tenant-ID: <tenant id>            (absent for shared routes)
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
// Any client-supplied X-Tenant-ID or X-Cellfabric-Signature is replaced
// before signing. The body is not signed (TLS protects it in transit); a
// signature binds the method, the cell's host, the path, the query, the
// tenant and the time, so a request cannot be replayed to another cell,
// path or tenant, and only within MaxSkew (default 60 s) to the same one.
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
