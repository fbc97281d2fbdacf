//go:build js && wasm

// Command globalrand is a Go program for the shim's runtime test of
// crypto/rand read at global scope (TestRuntimeGlobalScopeRandRefused):
// main registers its handlers, then reads crypto/rand before it waits, all
// while the script's global scope runs.
package main

import (
	"crypto/rand"
	"syscall/js"
)

func main() {
	fetch := js.FuncOf(func(_ js.Value, args []js.Value) any {
		args[1].Invoke(js.Global().Get("Response").New("served"))
		return nil
	})
	handlers := js.Global().Get("Object").New()
	handlers.Set("fetch", fetch)
	js.Global().Set("__cellfabricEdge", handlers)
	var b [16]byte
	_, _ = rand.Read(b[:])
	select {}
}
