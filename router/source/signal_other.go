//go:build !unix

package source

import "context"

// notifyReload: no SIGHUP here (js/wasm, windows); a nil channel never fires.
func notifyReload(context.Context) <-chan struct{} { return nil }
