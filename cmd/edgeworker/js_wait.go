//go:build js && wasm

package main

import "syscall/js"

// jsWait blocks the calling request's goroutine until done is closed, then
// returns it to its own request's I/O context before it goes on.
//
// done is closed by the goroutine of another request, once its directory
// read ends. Go wasm then runs the waiting goroutine inside that other
// request's JavaScript callback, so anything it did next (a fetch, the
// Response it resolves with) would belong to the other request, and
// workerd refuses I/O objects of one request in another ("Cannot perform
// I/O on behalf of a different request") or cancels them when that
// request ends. So, before it blocks and while it still runs in its own
// context, the waiting goroutine makes a promise and registers its
// continuation; once woken it resolves that promise and blocks again until
// the continuation runs. workerd runs the continuation of a promise in the
// context that made it, whichever context resolved it (the
// handle_cross_request_promise_resolution behaviour, on by default since
// compatibility date 2024-10-14; edgeconf.CompatibilityDate is later), so
// the goroutine resumes at home. The runtime test
// TestRuntimeDirectorySharedRead covers this.
func jsWait(done <-chan struct{}) {
	select {
	case <-done: // already over: no other request's context involved
		return
	default:
	}
	var resolve js.Value
	executor := js.FuncOf(func(_ js.Value, args []js.Value) any {
		resolve = arg(args, 0)
		return nil
	})
	promise := js.Global().Get("Promise").New(executor)
	executor.Release()
	home := make(chan struct{})
	cont := js.FuncOf(func(js.Value, []js.Value) any {
		close(home)
		return nil
	})
	defer cont.Release()
	promise.Call("then", cont)

	<-done
	resolve.Invoke()
	<-home
}
