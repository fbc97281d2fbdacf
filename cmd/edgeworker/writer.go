package main

import "github.com/cellfabric/cellfabric/control/directory"

// The isolate writes to the tenant directory through one
// directory.Directory (the directory core over the DIRECTORY binding),
// and one request at a time.
//
// The directory core holds its locks (per tenant, cell counters) across
// KV calls. In the Worker, a request blocked on such a lock would be woken
// inside the JavaScript callback of the request whose KV call released it,
// and would go on in that request's I/O context (see js_wait.go): workerd
// refuses or cancels I/O made there. So a request never waits on the core's
// locks: it waits for its turn through e.wait, which returns it to its own
// context, and takes the core only when no other request of the isolate
// holds it.

// writeTurn waits until no other request of the isolate writes to the
// directory, then makes this request the writer: it returns the isolate's
// Directory (built at the first write) and release, which the caller calls
// when it is done. done, when not nil, is asked after each wait for
// another writer; when it answers true the wait ends without a turn (nil
// Directory, nil release): what the request wanted was done meanwhile.
//
// A write under way for readStuck or longer (its request's client may be
// gone and its KV call never end) is given up on together with its
// Directory, whose locks it may hold for ever: the next writer builds a
// new Directory. A wait that gives up (e.wait false) counts the same.
func (e *edge) writeTurn(done func() bool) (*directory.Directory, func(), error) {
	e.mu.Lock()
	for f := e.writing; f != nil; f = e.writing {
		if e.now().Sub(f.started) >= readStuck {
			e.abandonWrite(f)
			break
		}
		e.mu.Unlock()
		ok := e.wait(f.done)
		if ok && done != nil && done() {
			return nil, nil, nil
		}
		e.mu.Lock()
		if !ok {
			e.abandonWrite(f)
		}
	}
	d, err := e.coreLocked()
	if err != nil {
		e.mu.Unlock()
		return nil, nil, err
	}
	f := &flight{done: make(chan struct{}), started: e.now()}
	e.writing = f
	e.mu.Unlock()
	release := func() {
		e.mu.Lock()
		if e.writing == f {
			e.writing = nil
		}
		e.mu.Unlock()
		close(f.done)
	}
	return d, release, nil
}

// abandonWrite gives up on write f, if it is still the one under way,
// with its Directory. e.mu is held.
func (e *edge) abandonWrite(f *flight) {
	if e.writing != f {
		return
	}
	e.logger.Warn("a tenant directory write has been under way too long; writing without it, with a new directory core")
	e.writing, e.writer = nil, nil
}

// coreLocked returns the isolate's Directory, building it when there is
// none: over the DIRECTORY binding, validating against the registry the
// isolate holds, with Workers KV's propagation bound (e.settle), and
// keeping the cells' placement flags for CacheSeconds like the registry
// (a placement lists c/ once per CacheSeconds, not per new tenant). e.mu
// is held.
func (e *edge) coreLocked() (*directory.Directory, error) {
	if e.writer == nil {
		d, err := directory.New(directory.Config{KV: e.dirKV, Registry: e.store.Snapshot, Now: e.now, Settle: e.settle, ClosedTTL: e.cfg.Cache(), Logger: e.logger})
		if err != nil {
			return nil, err
		}
		e.writer = d
	}
	return e.writer, nil
}
