package server

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"net/http"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/internal/logattr"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/tenant"
)

// admit checks what a request says about itself before its tenant is
// looked at: a method the router does not proxy, headers over
// MaxHeaderBytes (headerBytes as sent, request line included), a declared
// body over MaxBodyBytes. ok is false with the answer to give.
func (rt *Router) admit(method string, headerBytes int, contentLength int64) (r router.Refusal, ok bool) {
	switch {
	case method == http.MethodConnect:
		return router.Refusal{Status: http.StatusMethodNotAllowed, Reason: router.ReasonMethodNotAllowed, Msg: "CONNECT is not proxied"}, false
	case headerBytes > rt.cfg.MaxHeaderBytes:
		return router.Refusal{Status: http.StatusRequestHeaderFieldsTooLarge, Reason: router.ReasonHeaderTooLarge, Msg: fmt.Sprintf("request headers are %d bytes, over the %d byte limit", headerBytes, rt.cfg.MaxHeaderBytes)}, false
	case contentLength > rt.cfg.MaxBodyBytes:
		return router.Refusal{Status: http.StatusRequestEntityTooLarge, Reason: router.ReasonBodyTooLarge, Msg: fmt.Sprintf("request body is %d bytes, over the %d byte limit", contentLength, rt.cfg.MaxBodyBytes)}, false
	}
	return router.Refusal{}, true
}

// decide resolves the request's tenant and decides where the request
// goes, into st (tenant, path to forward, decision). It is the one place
// where every data path (net/http and fasthttp) takes its decision, so a
// step added here applies to both. Where the tenant's placement comes
// from: the tenant directory's entry (Snapshot.DecideFor), else the
// registry's tenants (Snapshot.Decide), else the unknown-tenant policy —
// with the policy place and Config.PlaceUnknown, a placement recorded at
// the tenant's first request (placement.go). ok is false with the answer
// to give.
func (rt *Router) decide(ctx context.Context, method string, f tenant.Facts, st *reqState) (r router.Refusal, ok bool) {
	snap := rt.cfg.Store.Snapshot()
	if snap == nil {
		return router.NoRegistry("router"), false
	}
	res, err := rt.cfg.Resolver.Resolve(ctx, f)
	if err != nil {
		te, ok := err.(*tenant.Error)
		if !ok {
			te = &tenant.Error{Status: http.StatusBadRequest, Reason: "bad_request", Msg: err.Error()}
		}
		return router.Refusal{Status: te.Status, Reason: router.Reason(te.Reason), Msg: te.Msg}, false
	}
	st.tenant, st.path, st.rawPath = res.Tenant, res.Path, res.RawPath
	req := router.Request{Method: method, Path: res.Path, Tenant: res.Tenant, Rand: mrand.Uint64()}
	switch p, listed := rt.lookup(req.Tenant); {
	case listed:
		// The placement and the Tenant that borrows its failover array
		// live in st, as long as the decision that points at them: no
		// allocation per request.
		st.placement = p
		st.given = st.placement.Tenant()
		st.decision = snap.DecideFor(req, &st.given, rt.cfg.Health)
	case rt.dir != nil && rt.cfg.PlaceUnknown != nil && req.Tenant != "" && snap.Policy() == fabric.PolicyPlace && !snap.Lists(req.Tenant):
		t, err := rt.placeUnknown(ctx, req.Tenant)
		if err != nil {
			rt.cfg.Logger.Warn("placing a tenant in neither the directory nor the registry failed; refusing its request", logattr.Tenant, req.Tenant, "error", err)
			return router.PlacementFailed(req.Tenant), false
		}
		st.given = t
		st.decision = snap.DecideFor(req, &st.given, rt.cfg.Health)
	default:
		st.decision = rt.decideRegistry(snap, req)
		if st.decision.Via == router.ViaPlacement {
			rt.placements.unrecorded.Add(1)
			rt.placements.warnOnce.Do(func() {
				rt.cfg.Logger.Warn("a tenant in neither the tenant directory nor the registry was placed by hash and the placement was not recorded: it can move to another cell when cells change; add tenants to the directory, or give the router a placement hook (PlaceUnknown)", logattr.Tenant, req.Tenant)
			})
		}
	}
	if !st.decision.Forward() {
		return st.decision.Refusal(), false
	}
	return router.Refusal{}, true
}

// decideRegistry decides req by the registry's tenants and the
// unknown-tenant policy, for a tenant the directory does not hold. With a
// directory, an unknown tenant's refusal says it was looked for in both.
func (rt *Router) decideRegistry(snap *router.Snapshot, req router.Request) router.Decision {
	d := snap.Decide(req, rt.cfg.Health)
	if rt.dir != nil {
		d.NotInDirectory()
	}
	return d
}
