// Package source feeds registry documents into a router.Store and keeps them
// fresh:
//
//   - File: a local file, polled every Interval (a stat: the same file, size
//     and modification time mean no change; otherwise a SHA-256 of the
//     content decides; no fsnotify), and re-read at once on SIGHUP when ReloadOnSIGHUP is set.
//     Write the file atomically (write a temporary file, then rename) so that
//     a poll never sees half a document; if it does, the half document is
//     refused and the next poll picks up the whole one;
//   - HTTP: an http(s) URL polled with If-None-Match, so an unchanged
//     document costs a 304;
//   - in memory: call Store.Install or Store.Update directly.
//
// The Store refuses bad documents (unparsable, invalid, older epoch) and
// keeps serving the last good one; a Watcher adds the source side: fetch
// errors are logged (keys source, epoch) and counted, and with LastKnownGood
// set every accepted document is also written to disk, so a router that
// restarts while its source is down starts from that copy.
//
// Signal handling is behind build tags (unix only), so the package builds
// for GOOS=js GOARCH=wasm. It imports the standard library and the router
// core only.
package source
