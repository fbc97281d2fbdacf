// cellfabric edge Worker: the service-worker entry point around the router
// compiled to wasm. Go's wasm_exec.js, above, defines the Go class; the
// builder defines WASM_BINDING, the name of the WebAssembly.Module binding.
//
// The Go program starts at the script's global scope, that is when the
// isolate starts and before its first event: the Go runtime's start, every
// package's init and main up to where it waits (js_main.go) are then not
// part of the first request's CPU time. (Cloudflare bounds a Worker's
// global scope by its startup time limit, 1 s, apart from the CPU time of
// each request.) main registers fetch and scheduled handlers on
// globalThis.__cellfabricEdge and reads the Worker's bindings only in the
// first event. The program stays up for the isolate's lifetime; should it
// ever exit, the next event starts a new one.
//
// At global scope the Workers runtime forbids generating random values and
// setting a timeout ("Disallowed operation called within global scope";
// the script is refused when that escapes it), and its clocks read 0. Go's
// runtime needs random bytes and a clock that is not 0 to start, and may
// ask for a timeout when its goroutines all wait: cellfabricGuardGlobalScope
// deals with all three.

let cellfabricEdge = null;
// cellfabricWasm is the running module's exports: the fast path's calls
// (cellfabricFast) and its memory.
let cellfabricWasm = null;
// cellfabricAtGlobalScope is true while the script's global scope runs.
let cellfabricAtGlobalScope = true;
// cellfabricFirstEvent, when set, is called by the first event after the
// Go program started at global scope (cellfabricGuardGlobalScope).
let cellfabricFirstEvent = null;
// cellfabricGuardError is the error a guard of cellfabricGuardGlobalScope
// threw: wasm_exec's run turns it into a rejection, which the global scope
// would not see once main has registered its handlers.
let cellfabricGuardError = null;

// cellfabricRun instantiates the wasm module and runs the Go program until
// it waits for events.
function cellfabricRun() {
  const go = new Go();
  const firstEvent = cellfabricGuardGlobalScope(go);
  const instance = new WebAssembly.Instance(globalThis[WASM_BINDING], go.importObject);
  const exited = () => {
    cellfabricEdge = null;
    cellfabricWasm = null;
  };
  go.run(instance).then(exited, exited);
  if (cellfabricGuardError !== null) {
    throw cellfabricGuardError;
  }
  const handlers = globalThis.__cellfabricEdge;
  if (!handlers) {
    throw new Error("the edge wasm did not register its handlers");
  }
  cellfabricEdge = handlers;
  cellfabricWasm = instance.exports;
  cellfabricFirstEvent = firstEvent;
  // Read by the Worker's test-only memory report (goStart).
  globalThis.__cellfabricGoStart = cellfabricAtGlobalScope ? "global scope" : "event";
}

// cellfabricStart returns the Go program's handlers, for an event: it
// starts the program when it is not running.
function cellfabricStart() {
  if (cellfabricEdge === null) {
    cellfabricRun();
  }
  if (cellfabricFirstEvent !== null) {
    const first = cellfabricFirstEvent;
    cellfabricFirstEvent = null;
    first();
  }
  return cellfabricEdge;
}

// cellfabricGuardGlobalScope replaces four of the Go runtime's imports
// (wasm_exec.js) of go, before the module is instantiated with them, by
// ones that act differently while the script's global scope runs and
// exactly as before once it has run. It returns what the first event must
// call.
//
// - runtime.getRandomData: Go's runtime asks once, at its start, for the
//   32-byte seed of its own generator (runtime.randinit, ChaCha8), which
//   gives each map its hash seed, and math/rand/v2 (the Worker's trace ids
//   and weighted choices among cells) and scheduling order their values.
//   crypto.getRandomValues is forbidden there, so that seed is taken from
//   Math.random, which the Workers runtime allows at global scope: V8's
//   generator (xorshift128+), which V8 seeds with 64 random bits of the
//   system's, so the seed differs between isolates and is unknown to
//   clients (the Worker never shows Math.random's output); but it is not a
//   cryptographic generator, and the 32 bytes hold no more than those 64
//   bits. What it protects: map hash seeds against hash flooding by chosen
//   keys (tenant ids, header names), and trace ids against collisions
//   between isolates; neither needs a cryptographic seed. Any
//   further request at global scope throws, and the script is refused: it
//   would be crypto/rand (crypto/internal/sysrand reads through this same
//   import), whose bytes must come from crypto.getRandomValues, as they do
//   in every event (request ids, keys).
// - runtime.nanotime1: the clocks read 0 at global scope, and Go refuses
//   to start on a monotonic clock that reads 0 ("nanotime returning
//   zero"); it reads 1 ns there instead (Date.now() stays 0, so
//   time.Now() reads 1970 at global scope: main reads no clock there).
//   In the first event the clock jumps to the real time, forward.
// - runtime.scheduleTimeoutEvent and clearTimeoutEvent: a timeout Go asks
//   for at global scope (when its goroutines all wait and a timer is set)
//   is kept, and the first event resumes Go instead, before it is served:
//   by the clock, which stood at 0, every such timer is due by then; Go
//   runs what is due and asks again for any timeout it still needs, now
//   with setTimeout.
function cellfabricGuardGlobalScope(go) {
  const gojs = go.importObject.gojs;
  const getRandomData = gojs["runtime.getRandomData"];
  const nanotime1 = gojs["runtime.nanotime1"];
  const scheduleTimeoutEvent = gojs["runtime.scheduleTimeoutEvent"];
  const clearTimeoutEvent = gojs["runtime.clearTimeoutEvent"];
  let seeded = false;
  const deferred = new Set();
  gojs["runtime.getRandomData"] = (sp) => {
    if (!cellfabricAtGlobalScope) {
      getRandomData(sp);
      return;
    }
    if (seeded) {
      // cellfabricRun throws it again, out of the global scope.
      cellfabricGuardError = new Error("cellfabric edge: the Go program asked for random bytes at global scope beyond its runtime's seed; crypto/rand must be read in an event");
      throw cellfabricGuardError;
    }
    seeded = true;
    sp >>>= 0;
    const at = go.mem.getUint32(sp + 8, true) + go.mem.getInt32(sp + 12, true) * 4294967296;
    const n = go.mem.getUint32(sp + 16, true) + go.mem.getInt32(sp + 20, true) * 4294967296;
    const seed = new Uint8Array(go._inst.exports.mem.buffer, at, n);
    for (let i = 0; i < n; i++) {
      seed[i] = Math.floor(Math.random() * 256);
    }
  };
  gojs["runtime.nanotime1"] = (sp) => {
    nanotime1(sp);
    sp >>>= 0;
    if (cellfabricAtGlobalScope && go.mem.getUint32(sp + 8, true) === 0 && go.mem.getInt32(sp + 12, true) === 0) {
      go.mem.setUint32(sp + 8, 1, true);
    }
  };
  gojs["runtime.scheduleTimeoutEvent"] = (sp) => {
    if (!cellfabricAtGlobalScope) {
      scheduleTimeoutEvent(sp);
      return;
    }
    sp >>>= 0;
    const id = go._nextCallbackTimeoutID++;
    deferred.add(id);
    go.mem.setInt32(sp + 16, id, true);
  };
  gojs["runtime.clearTimeoutEvent"] = (sp) => {
    if (!deferred.delete(go.mem.getInt32((sp >>> 0) + 8, true))) {
      clearTimeoutEvent(sp);
    }
  };
  return () => {
    if (deferred.size > 0) {
      go._resume();
      deferred.clear();
    }
  };
}

function cellfabricFailure(err) {
  console.error("cellfabric edge: " + (err && err.stack ? err.stack : err));
  const body = JSON.stringify({ error: "the edge worker failed", reason: "worker_error" });
  return new Response(body + "\n", {
    status: 500,
    headers: { "Content-Type": "application/json", "Cache-Control": "no-store" },
  });
}

// cellfabricForwardBody passes a request body on to fetch through a stream
// of its own, so that the Worker can tell apart the two ways forwarding it
// can fail: either way fetch fails with the same "Network connection lost.",
// but only when the client's side failed (a malformed chunked encoding, a
// body cut short, a client gone) is watch.clientError set.
//
// On such a failure the fetch is aborted (watch.abortFetch, set by the Go
// side to the attempt's AbortController), which drops the connection to the
// cell in the middle of the body. The stream given to fetch is neither
// closed nor errored first: when a stream made in the Worker fails (an
// IdentityTransformStream aborted, a ReadableStream errored), workerd
// (tested with 1.20261117) ends a chunked upload as if it were complete, and
// the cell would store a truncated body. (Passing the client's own body to
// fetch does not do that, but then nothing tells its failure from the
// cell's.)
// With a known length the stream is a FixedLengthStream, so the cell gets
// the client's Content-Length. Chunks are passed on as they come, with
// backpressure; none is kept.
function cellfabricForwardBody(body, length) {
  const pipe = length >= 0 ? new FixedLengthStream(length) : new IdentityTransformStream();
  const watch = { stream: pipe.readable, clientError: null, abortFetch: null };
  const reader = body.getReader();
  const writer = pipe.writable.getWriter();
  (async () => {
    for (;;) {
      let chunk;
      try {
        chunk = await reader.read();
      } catch (err) {
        watch.clientError = err || new Error("the request body failed");
        // Without abortFetch the fetch is left waiting for the rest of the
        // body until its timeout: better than a truncated body stored.
        if (watch.abortFetch) {
          watch.abortFetch();
        }
        return;
      }
      try {
        if (chunk.done) {
          await writer.close();
          return;
        }
        await writer.write(chunk.value);
      } catch (err) {
        // fetch gave up on the stream (the cell's side failed): stop
        // reading the client.
        reader.cancel(err).catch(() => {});
        return;
      }
    }
  })();
  return watch;
}
globalThis.__cellfabricForwardBody = cellfabricForwardBody;

// cellfabricKeepBody reads the start of a body (a request's, so that it can
// be sent again after a cell's stale_placement answer; a 421 response's, to
// read its reason) and resolves with {kept, complete, error, stream}: kept
// is what was read, a Uint8Array of about limit bytes at most (the chunk
// that goes over is included); complete is true when the body ended within
// limit; error is set when reading failed. When the body is not complete,
// stream gives it whole again: kept, then the rest as it comes (or the
// read's error). It never rejects.
function cellfabricKeepBody(body, limit) {
  const reader = body.getReader();
  const chunks = [];
  let size = 0;
  const out = { kept: null, complete: false, error: null, stream: null };
  return (async () => {
    try {
      while (size <= limit) {
        const chunk = await reader.read();
        if (chunk.done) {
          out.complete = true;
          break;
        }
        chunks.push(chunk.value);
        size += chunk.value.byteLength;
      }
    } catch (err) {
      out.error = err || new Error("the body failed");
    }
    if (size > limit) {
      out.complete = false;
    }
    const kept = new Uint8Array(size);
    let offset = 0;
    for (const c of chunks) {
      kept.set(c, offset);
      offset += c.byteLength;
    }
    out.kept = kept;
    if (!out.complete) {
      let first = kept.byteLength > 0;
      out.stream = new ReadableStream({
        async pull(controller) {
          if (first) {
            first = false;
            controller.enqueue(kept);
            return;
          }
          if (out.error) {
            controller.error(out.error);
            return;
          }
          try {
            const chunk = await reader.read();
            if (chunk.done) {
              controller.close();
            } else {
              controller.enqueue(chunk.value);
            }
          } catch (err) {
            controller.error(err);
          }
        },
        cancel(reason) {
          return reader.cancel(reason);
        },
      });
    }
    return out;
  })();
}
globalThis.__cellfabricKeepBody = cellfabricKeepBody;

// cellfabricRequestHead returns, in one string, what the Worker reads of
// every request: lines of the method, the URL, "1" when there is a body
// ("0" when not), then the name and value of each header (names in lower
// case, values as Headers.get gives them). Neither can hold a line break:
// Headers refuses CR and LF. One call and one string cost Go far less than
// a call per field: every value crossing into Go carries a finalizer.
function cellfabricRequestHead(request) {
  const lines = [request.method, request.url, request.body == null ? "0" : "1"];
  for (const [name, value] of request.headers) {
    lines.push(name, value);
  }
  return lines.join("\n");
}
globalThis.__cellfabricRequestHead = cellfabricRequestHead;

// cellfabricEditHeaders applies edits to headers in place and returns
// them; edits is lines of triples: an operation ("d" delete, "s" set, "a"
// append), a name and a value (empty for "d").
function cellfabricEditHeaders(headers, edits) {
  if (edits === "") {
    return headers;
  }
  const l = edits.split("\n");
  return cellfabricEditLines(headers, l, 0, l.length);
}

// cellfabricEditLines applies the edits in lines l[from:to] to headers
// (cellfabricEditHeaders).
function cellfabricEditLines(headers, l, from, to) {
  for (let i = from; i + 2 < to; i += 3) {
    switch (l[i]) {
      case "d":
        headers.delete(l[i + 1]);
        break;
      case "s":
        headers.set(l[i + 1], l[i + 2]);
        break;
      case "a":
        headers.append(l[i + 1], l[i + 2]);
        break;
    }
  }
  return headers;
}

// cellfabricCopyHeaders returns a copy of headers with edits applied
// (cellfabricEditHeaders).
function cellfabricCopyHeaders(headers, edits) {
  return cellfabricEditHeaders(new Headers(headers), edits);
}
globalThis.__cellfabricCopyHeaders = cellfabricCopyHeaders;

// cellfabricRespond returns new Response(body, init) with edits applied to
// its headers (cellfabricEditHeaders).
function cellfabricRespond(body, init, edits) {
  const out = new Response(body, init);
  cellfabricEditHeaders(out.headers, edits);
  return out;
}
globalThis.__cellfabricRespond = cellfabricRespond;

// cellfabricTimedFetch calls fetch(url, init) and aborts it when the
// response headers have not come within timeoutMs; the timer is cleared as
// soon as they do, so a long body is never cut short. When watch (the
// shim's watch over a forwarded body) is given, its abortFetch aborts the
// fetch too. It rejects with the name cellfabric.aborted when the fetch
// failed after an abort (the timeout's or the watch's), else as fetch does.
function cellfabricTimedFetch(url, init, timeoutMs, watch) {
  const ac = new AbortController();
  init.signal = ac.signal;
  const abort = () => ac.abort();
  if (watch) {
    watch.abortFetch = abort;
  }
  const timer = setTimeout(abort, timeoutMs);
  let pending;
  try {
    pending = fetch(url, init);
  } catch (err) {
    clearTimeout(timer);
    throw err;
  }
  return pending.then(
    (response) => {
      clearTimeout(timer);
      return response;
    },
    (err) => {
      clearTimeout(timer);
      if (ac.signal.aborted) {
        throw { name: "cellfabric.aborted", message: "the fetch was aborted" };
      }
      throw err;
    },
  );
}
globalThis.__cellfabricTimedFetch = cellfabricTimedFetch;

const cellfabricEncoder = new TextEncoder();
const cellfabricDecoder = new TextDecoder();

// cellfabricRoute asks Go for the fast path's plan of a request
// (cellfabricFast): the head goes into the module's memory where
// cellfabricFastBuffer says, and the plan comes back there. It returns ""
// when the request takes the slow path, or the module lacks the exports.
function cellfabricRoute(wasm, request) {
  if (!wasm || typeof wasm.cellfabricRoute !== "function") {
    return "";
  }
  const head = cellfabricRequestHead(request);
  // UTF-8 takes at most 3 bytes per UTF-16 code unit.
  const at = wasm.cellfabricFastBuffer(head.length * 3);
  const n = cellfabricEncoder.encodeInto(head, new Uint8Array(wasm.mem.buffer, at, head.length * 3)).written;
  const size = wasm.cellfabricRoute(n);
  if (size === 0) {
    return "";
  }
  // The buffer's place first, then the memory's view: a view taken before
  // a call that grew the memory would be detached.
  const plan = wasm.cellfabricFastBuffer(0);
  return cellfabricDecoder.decode(new Uint8Array(wasm.mem.buffer, plan, size));
}

// cellfabricFast serves a request on the Worker's fast path
// (cmd/edgeworker/fast.go), or returns null when it takes the slow one.
// Go's route answers, synchronously, with the plan of the first attempt in
// lines: an id, the cell's URL, the timeout for its response headers in
// milliseconds, the number n of lines of request header edits, those n
// lines, then the edits to the response's headers. The shim makes the
// fetch; when the cell answered, Go's done says whether the response is
// passed on (0) or Go goes on with the request (1: a status to retry
// elsewhere, a 421), which it does, as when the fetch failed, in resume.
function cellfabricFast(edge, wasm, request) {
  const plan = cellfabricRoute(wasm, request);
  if (plan === "") {
    return null;
  }
  const l = plan.split("\n");
  const id = +l[0];
  const to = 4 + +l[3];
  const resume = (response, err) =>
    new Promise((resolve, reject) => {
      edge.resume(id, request, response, err, resolve, reject);
    });
  let pending;
  try {
    // Inside the try: Go holds the request's state from route on, and only
    // done or resume lets it go, so nothing may throw past them.
    const init = {
      method: request.method,
      headers: cellfabricEditLines(new Headers(request.headers), l, 4, to),
      redirect: "manual",
    };
    pending = cellfabricTimedFetch(l[1], init, +l[2], null);
  } catch (err) {
    return resume(null, err);
  }
  return pending.then(
    (response) => {
      if (wasm.cellfabricDone(id, response.status) !== 0) {
        return resume(response, null);
      }
      const out = new Response(response.body, response);
      cellfabricEditLines(out.headers, l, to, l.length);
      return out;
    },
    (err) => resume(null, err),
  );
}

addEventListener("fetch", (event) => {
  let answer;
  try {
    const edge = cellfabricStart();
    answer =
      cellfabricFast(edge, cellfabricWasm, event.request) ||
      new Promise((resolve, reject) => {
        edge.fetch(event.request, resolve, reject);
      });
  } catch (err) {
    answer = Promise.reject(err);
  }
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

// Start the Go program now, at global scope (see the top of the shim).
cellfabricRun();
cellfabricAtGlobalScope = false;
