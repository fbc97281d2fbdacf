//go:build js && wasm

package main

import "syscall/js"

// jsWait blocks the calling request's goroutine until done is closed or
// readStuck has passed (false), and returns it to its own request's I/O
// context before it goes on.
//
// done is closed by the goroutine of another request, once its directory
// read ends. Go wasm then runs whatever that wakes inside that other
// request's JavaScript callback, so anything the waiting request did next
// (a fetch, the Response it resolves with) would belong to the other
// request: workerd refuses the I/O objects of one request in another, or
// cancels them when that request ends. And a request with nothing of its
// own pending (a Go channel is not a pending event to workerd) is taken
// for hung and cancelled at once ("The Workers runtime canceled this
// request because it detected that your Worker's code had hung").
//
// So, while it still runs in its own context, the waiting goroutine makes
// a promise, registers its continuation and sets a timer that resolves it
// after readStuck: the timer is the request's pending event, and its way
// out should the other read never end. A helper goroutine resolves the
// promise as soon as done is closed. workerd runs a promise's continuation
// in the context that made it, whichever context resolved it (the
// handle_cross_request_promise_resolution behaviour, on by default since
// compatibility date 2024-10-14; edgeconf.CompatibilityDate is later), so
// the goroutine resumes at home, where it clears its timer. The runtime
// test TestRuntimeDirectorySharedRead covers all of this.
func jsWait(done <-chan struct{}) bool {
	select {
	case <-done: // over already: no other request's context involved
		return true
	default:
	}
	g := js.Global()
	var resolve js.Value
	executor := js.FuncOf(func(_ js.Value, args []js.Value) any {
		resolve = arg(args, 0)
		return nil
	})
	promise := g.Get("Promise").New(executor)
	executor.Release()
	home := make(chan struct{})
	cont := js.FuncOf(func(js.Value, []js.Value) any {
		close(home)
		return nil
	})
	defer cont.Release()
	promise.Call("then", cont)
	timer := g.Call("setTimeout", resolve, readStuck.Milliseconds())
	go func() {
		<-done
		resolve.Invoke() // a no-op when the timer resolved it first
	}()
	<-home
	g.Call("clearTimeout", timer)
	select {
	case <-done:
		return true
	default:
		return false
	}
}
