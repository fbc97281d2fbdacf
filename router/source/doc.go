// Package source feeds registry documents into a router.Store and keeps them
// fresh:
//
//   - File: a local file. Where the platform has file-system events
//     (fsnotify: inotify on Linux, kqueue on macOS and the BSDs,
//     ReadDirectoryChangesW on Windows) the file's directory is watched, so
//     a change is read within a fraction of a second: in place, a temporary
//     file renamed over it, or a Kubernetes ConfigMap/Secret volume swapping
//     its ..data symlink. A burst of events is debounced into one read. The
//     file is also polled every Interval (a stat: the same file, size and
//     modification time mean no change; otherwise a SHA-256 of the content
//     decides): that poll is the only detector when events cannot start
//     (inotify limits, js/wasm) or when the directory goes away, and a
//     safety net for changes that make no event (network mounts, a symlink
//     to a file in another directory). SIGHUP re-reads at once when
//     ReloadOnSIGHUP is set. Write the file atomically (write a temporary
//     file, then rename) so that a read never sees half a document; if one
//     does, the half document is refused and the next event or poll picks
//     up the whole one;
//   - HTTP: an http(s) URL polled every Interval with If-None-Match, so an
//     unchanged document costs a 304;
//   - in memory: call Store.Install or Store.Update directly.
//
// The Store refuses bad documents (unparsable, invalid, older epoch) and
// keeps serving the last good one; a Watcher adds the source side: fetch
// errors are logged (keys source, epoch) and counted, and with LastKnownGood
// set every accepted document is also written to disk, so a router that
// restarts while its source is down starts from that copy.
//
// Signal handling and file-system events are behind build tags (SIGHUP on
// unix only; fsnotify everywhere but js), so the package builds for
// GOOS=js GOARCH=wasm. It imports the standard library, the router core and
// github.com/fsnotify/fsnotify only.
package source
