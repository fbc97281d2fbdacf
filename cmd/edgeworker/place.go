package main

import (
	"context"
	"strings"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
)

// placeUnknown decides for a tenant that neither the tenant directory nor
// the registry holds, by the registry's unknown-tenant policy. With reject
// it is 404 unknown_tenant (Snapshot.Decide). With place the tenant is
// placed and recorded in the directory before its request is forwarded, so
// that it stays on its cell (place); when that fails the request gets 503
// placement_failed, never a placement recorded nowhere.
func (e *edge) placeUnknown(snap *router.Snapshot, req router.Request, h router.HealthView) (router.Decision, *router.Refusal) {
	if snap.Policy() != fabric.PolicyPlace {
		d := snap.Decide(req, h)
		d.NotInDirectory() // the refusal names both places looked in
		return d, nil
	}
	t, err := e.place(req.Tenant, snap)
	if err != nil {
		e.logger.Warn("recording the placement of a tenant first seen at a request failed; refusing its request", "tenant", req.Tenant, "error", err)
		r := router.PlacementFailed(req.Tenant)
		return router.Decision{}, &r
	}
	return snap.DecideFor(req, t, h), nil
}

// place records tenant id's placement in the directory and caches it. The
// directory core chooses and records it (Directory.RecordAtRequest: the
// cells of directory.PlaceAtRequest, the registry's weighted rendezvous
// order that every router and isolate holding this registry computes
// alike, written as an add: journal record, entry, cell counter) through
// the DIRECTORY binding. An entry written meanwhile by anyone else is
// returned as it is, so a tenant recorded once keeps its cells whatever
// the registry becomes.
//
// The write takes the isolate's write turn (writeTurn): a request that
// waited for another one's write first looks whether that one placed its
// tenant (it is then cached) before placing it itself.
func (e *edge) place(id string, snap *router.Snapshot) (*router.Tenant, error) {
	var placed *router.Tenant
	d, release, err := e.writeTurn(func() bool {
		c, hit := e.dir.get(id, e.now())
		if hit && c.Fresh && c.Tenant != nil {
			placed = c.Tenant
			return true
		}
		return false
	})
	if err != nil || placed != nil {
		return placed, err
	}
	defer release()
	t, _, err := d.RecordAtRequest(context.Background(), id)
	if err != nil {
		return nil, err
	}
	// The entry must not share memory with the request (the cache
	// outlives it).
	t.ID = strings.Clone(t.ID)
	intern(&t, snap)
	e.dir.set(t.ID, &t, e.now().Add(e.cfg.Cache()))
	return &t, nil
}
