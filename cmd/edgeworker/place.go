package main

import "github.com/cellfabric/cellfabric/router"

// placeUnknown decides for a tenant that neither the tenant directory nor
// the registry holds: the registry's unknown-tenant policy. With reject it
// is 404 unknown_tenant. With place it is, for now, the registry's
// rendezvous placement computed afresh at every request and recorded
// nowhere (Snapshot.Decide), as before the directory.
//
// This is the one seam where placement at the first request is to be
// recorded in the directory: with policy place, pick the cell with the
// directory core's PlaceAtRequest over snap and e.dirKV, cache the entry it
// stored (e.dir.put) and decide with snap.DecideFor; answer a refusal when
// the write fails. The Worker writes nothing to the directory until then.
func (e *edge) placeUnknown(snap *router.Snapshot, req router.Request, h router.HealthView) (router.Decision, *router.Refusal) {
	return snap.Decide(req, h), nil
}
