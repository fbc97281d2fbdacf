package refcell

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/cellfabric/cellfabric/workload/state"
)

// EpochHeader carries the placement epoch the edge routed a request with
// (docs/design/moving-tenants.md): decimal, absent when 0. The cell passes
// it to the state port with every write (state.Cond.Epoch), so a tenant's
// fence refuses writes routed on an older placement.
const EpochHeader = "X-Tenant-Epoch"

// StalePlacementReason is the reason of a 421 answer: the request was
// routed on a placement this cell no longer holds for the tenant.
const StalePlacementReason = "stale_placement"

// maxEpochDigits is the most digits an int64 epoch has.
const maxEpochDigits = 19

// requestEpoch returns the placement epoch of a verified request: 0 when
// it carries none, an error saying what is wrong with a malformed one.
func requestEpoch(r *http.Request) (int64, error) {
	vals := r.Header.Values(EpochHeader)
	switch len(vals) {
	case 0:
		return 0, nil
	case 1:
	default:
		return 0, fmt.Errorf("the request carries %d %s headers: send one", len(vals), EpochHeader)
	}
	s := vals[0]
	ok := s != "" && len(s) <= maxEpochDigits
	for i := 0; ok && i < len(s); i++ {
		ok = s[i] >= '0' && s[i] <= '9'
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if !ok || err != nil {
		return 0, fmt.Errorf("%s %q is not a placement epoch: it is a decimal number from 0 to %d, set by the router", EpochHeader, s, int64(1<<63-1))
	}
	return n, nil
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
