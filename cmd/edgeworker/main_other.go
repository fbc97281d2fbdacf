//go:build !(js && wasm)

package main

import (
	"fmt"
	"os"
)

// main explains how to run the Worker: the program only does something
// inside the Workers runtime.
func main() {
	fmt.Fprintln(os.Stderr, "edgeworker runs inside Cloudflare Workers (or workerd), compiled with GOOS=js GOARCH=wasm: build the script and wasm with `go run ./cmd/edgeworker/build -o dist/`")
	os.Exit(2)
}
