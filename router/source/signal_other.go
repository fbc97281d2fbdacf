//go:build !unix

package source

import "os"

// notifyReload: no SIGHUP here (js/wasm, windows); a nil channel never fires.
func notifyReload() (hup <-chan os.Signal, stop func()) { return nil, func() {} }
