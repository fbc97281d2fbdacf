//go:build !linux && !js

package source

// limitHint: the limits worth naming are inotify's, on Linux only.
func limitHint(error) string { return "" }
