// cellfabric edge Worker: the service-worker entry point around the router
// compiled to wasm. Go's wasm_exec.js, above, defines the Go class; the
// builder defines WASM_BINDING, the name of the WebAssembly.Module binding.
//
// The Go program starts on the first event rather than at global scope,
// because Workers refuse random numbers and timers outside a handler and the
// Go runtime needs both. It then stays up for the isolate's lifetime and
// registers fetch and scheduled handlers on globalThis.__cellfabricEdge.
// Should it ever exit, the next event starts a new one.

let cellfabricEdge = null;

function cellfabricStart() {
  if (cellfabricEdge === null) {
    const go = new Go();
    const instance = new WebAssembly.Instance(globalThis[WASM_BINDING], go.importObject);
    const exited = () => {
      cellfabricEdge = null;
    };
    go.run(instance).then(exited, exited);
    const handlers = globalThis.__cellfabricEdge;
    if (!handlers) {
      throw new Error("the edge wasm did not register its handlers");
    }
    cellfabricEdge = handlers;
  }
  return cellfabricEdge;
}

function cellfabricFailure(err) {
  console.error("cellfabric edge: " + (err && err.stack ? err.stack : err));
  const body = JSON.stringify({ error: "the edge worker failed", reason: "worker_error" });
  return new Response(body + "\n", {
    status: 500,
    headers: { "Content-Type": "application/json", "Cache-Control": "no-store" },
  });
}

addEventListener("fetch", (event) => {
  const answer = new Promise((resolve, reject) => {
    cellfabricStart().fetch(event.request, resolve, reject);
  });
  // Keep the request's context alive until Go is done with it, even when
  // the client goes away, so that no goroutine waits for ever.
  event.waitUntil(answer.catch(() => {}));
  event.respondWith(answer.catch(cellfabricFailure));
});

addEventListener("scheduled", (event) => {
  event.waitUntil(
    new Promise((resolve, reject) => {
      cellfabricStart().scheduled(event.scheduledTime, event.cron, resolve, reject);
    }),
  );
});
