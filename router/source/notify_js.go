//go:build js

package source

import "errors"

// newFSNotifier: js/wasm has no file-system events (and fsnotify does not
// build there); the watcher polls.
func newFSNotifier(string) (notifier, error) {
	return nil, errors.New("no file-system events on js/wasm")
}
