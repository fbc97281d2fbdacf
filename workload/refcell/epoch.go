package refcell

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/workload/state"
)

// StalePlacementReason is the reason of a 421 answer: the request was
// routed on a placement this cell no longer holds for the tenant.
const StalePlacementReason = "stale_placement"

// requestEpoch returns the placement epoch a verified request was routed
// with (docs/design/moving-tenants.md): the epoch the edge signature
// covers (edgeauth's v2 signature and its X-Tenant-Epoch header), 0 for a
// v1 signature. The verifier has already refused a request whose epoch
// header the signature does not cover, or that is malformed, so a client
// cannot choose the epoch a write is fenced by. The cell passes it to the
// state port with every write (state.Cond.Epoch).
func requestEpoch(r *http.Request) int64 {
	epoch, _ := edgeauth.EpochFromContext(r.Context())
	return epoch
}

// staleBody is the answer of a request refused for its placement.
type staleBody struct {
	Error  string `json:"error"`
	Reason string `json:"reason"`
	Tenant string `json:"tenant"`
	// Epoch is the tenant's fence on this cell: the router retries once
	// on a fresh placement with a higher epoch.
	Epoch int64 `json:"epoch"`
	// MovedTo is the cell the tenant moved to, when it moved.
	MovedTo string `json:"movedTo,omitempty"`
}

// stale answers 421 Misdirected Request when err is the store refusing
// the request for its placement (a stale epoch, or a tenant that moved
// away), and reports whether it did. Nothing was read or written.
func stale(w http.ResponseWriter, err error, tenant string) bool {
	var se *state.StaleEpochError
	var me *state.MovedError
	switch {
	case errors.As(err, &me):
		writeJSON(w, http.StatusMisdirectedRequest, staleBody{
			Error:  fmt.Sprintf("tenant %s moved to cell %s at placement epoch %d; this cell no longer serves it: fetch the tenant's placement again", tenant, me.MovedTo, me.Fence),
			Reason: StalePlacementReason, Tenant: tenant, Epoch: me.Fence, MovedTo: me.MovedTo,
		})
	case errors.As(err, &se) && se.All:
		writeJSON(w, http.StatusMisdirectedRequest, staleBody{
			Error:  fmt.Sprintf("tenant %s is being moved and takes no writes on this cell (fence %d); nothing was written: fetch the tenant's placement again, or retry once the move is done", tenant, se.Fence),
			Reason: StalePlacementReason, Tenant: tenant, Epoch: se.Fence,
		})
	case errors.As(err, &se):
		writeJSON(w, http.StatusMisdirectedRequest, staleBody{
			Error:  fmt.Sprintf("the request was routed on placement epoch %d of tenant %s, and this cell takes writes for it from epoch %d on; nothing was written: fetch the tenant's placement again", se.Epoch, tenant, se.Fence),
			Reason: StalePlacementReason, Tenant: tenant, Epoch: se.Fence,
		})
	default:
		return false
	}
	return true
}
