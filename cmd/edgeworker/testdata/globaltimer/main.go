//go:build js && wasm

// Command globaltimer is a Go program for the shim's runtime test of a
// timer set at global scope (TestRuntimeGlobalScopeTimer): while main
// registers its handlers, a goroutine sleeps, so that the Go runtime asks
// for a timeout at the script's global scope, where the Workers runtime
// forbids setting one. Its fetch handler answers, at once, whether the
// sleep has ended: "fired" or "waiting".
package main

import (
	"sync/atomic"
	"syscall/js"
	"time"
)

func main() {
	var fired atomic.Bool
	go func() {
		time.Sleep(20 * time.Millisecond)
		fired.Store(true)
	}()
	fetch := js.FuncOf(func(_ js.Value, args []js.Value) any {
		state := "waiting"
		if fired.Load() {
			state = "fired"
		}
		args[1].Invoke(js.Global().Get("Response").New(state))
		return nil
	})
	handlers := js.Global().Get("Object").New()
	handlers.Set("fetch", fetch)
	js.Global().Set("__cellfabricEdge", handlers)
	select {}
}
