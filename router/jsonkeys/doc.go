// Package jsonkeys finds keys written twice in one JSON object.
//
// encoding/json (v1) accepts {"epoch":100,"epoch":999} and keeps the last
// value; encoding/json/v2, which refuses duplicates, needs
// GOEXPERIMENT=jsonv2 with Go 1.26 and so cannot be used. Check fills the gap:
// it is one pass over the bytes, run next to encoding/json on every document
// cellfabric reads from outside (the registry, stack outputs, the edge
// Worker's config and health documents), and reports each duplicate with its
// JSON path (`tenants[3].cell: duplicate key "cell"`).
//
// Keys are compared as encoding/json matches them: after unescaping
// ("\u0065poch" is "epoch") and, because encoding/json matches struct field
// names without regard to case, ignoring case ("Epoch" duplicates "epoch").
//
// It imports only the standard library and no other cellfabric package, so
// that router and router/edgeconf (both pure, both compiled to wasm for the
// edge Worker) can depend on it.
package jsonkeys
