package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/router/edgeconf"
)

// probeConcurrency is how many probes run at once: a Worker invocation opens
// at most six connections at a time and queues the rest, and a queued probe
// would spend its timeout waiting.
const probeConcurrency = 6

// prober sends health probes: fetch in the Worker, a fake in tests.
type prober interface {
	// Probe GETs a health URL with the given signature header and returns
	// the status, or an error when no answer came within timeout.
	Probe(url, signature string, timeout time.Duration) (int, error)
}

// probeAll is the Cron Trigger's work: read the registry afresh, probe
// every cell that has a health URL, and write the edgeconf.Health document
// to KV for every isolate's fetch handler to read.
func (e *edge) probeAll(p prober) (edgeconf.Health, error) {
	if e.claim(&e.reg, e.store.Snapshot() != nil, true) {
		e.readRegistry()
	}
	snap := e.store.Snapshot()
	if snap == nil {
		return edgeconf.Health{}, fmt.Errorf("no valid registry in KV key %q: nothing to probe; run pulumi up to write it", edgeconf.RegistryKey)
	}
	type outcome struct {
		cell  string
		probe edgeconf.Probe
	}
	cells := snap.Cells()
	results := make(chan outcome, len(cells))
	slots := make(chan struct{}, probeConcurrency)
	n := 0
	for i := range cells {
		c := &cells[i]
		if c.HealthURL == "" {
			continue
		}
		n++
		go func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			results <- outcome{c.ID, e.probe(p, c)}
		}()
	}
	h := edgeconf.Health{
		Version:   edgeconf.HealthVersion,
		CheckedAt: e.now().UTC(),
		Epoch:     snap.Epoch(),
		Cells:     make(map[string]bool, n),
		Probes:    make(map[string]edgeconf.Probe, n),
	}
	var down []string
	for ; n > 0; n-- {
		o := <-results
		ok := o.probe.Error == ""
		h.Cells[o.cell], h.Probes[o.cell] = ok, o.probe
		if !ok {
			down = append(down, o.cell)
		}
	}
	data, err := h.Marshal()
	if err != nil {
		return h, fmt.Errorf("encoding the health document: %w", err)
	}
	if err := e.kv.Put(context.Background(), edgeconf.HealthKey, data, 0); err != nil {
		return h, fmt.Errorf("writing the health document to KV key %q: %w", edgeconf.HealthKey, err)
	}
	e.logger.Info("cells probed", "epoch", h.Epoch, "cells", len(h.Cells), "unhealthy", down)
	return h, nil
}

// probe checks one cell: healthy when its health URL answers 2xx in time.
// The probe is signed (for no tenant), so cells that verify every request
// can let it through.
func (e *edge) probe(p prober, c *router.Cell) edgeconf.Probe {
	start := e.now()
	var out edgeconf.Probe
	u, err := url.Parse(c.HealthURL)
	if err != nil {
		out.Error = "health URL does not parse: " + err.Error()
		return out
	}
	sig := e.signer.Sign(edgeauth.Message{Method: "GET", Host: u.Host, Path: u.EscapedPath(), Query: u.RawQuery})
	status, err := p.Probe(u.String(), sig, e.cfg.ProbeTimeout())
	out.Status, out.Millis = status, e.now().Sub(start).Milliseconds()
	switch {
	case errors.Is(err, errTimeout):
		out.Error = fmt.Sprintf("no answer within %v", e.cfg.ProbeTimeout())
	case err != nil:
		out.Error = err.Error()
	case status < 200 || status > 299:
		out.Error = fmt.Sprintf("status %d", status)
	}
	return out
}
