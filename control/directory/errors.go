package directory

import (
	"errors"
	"fmt"
)

// Reasons the directory refuses a request; stable, they are the "reason"
// of the API's error bodies and appear in logs and the CLI's output.
const (
	ReasonNotFound        = "not_found"          // 404: no such tenant
	ReasonExists          = "exists"             // 409: ifAbsent, and the tenant exists
	ReasonEpochMismatch   = "epoch_mismatch"     // 409: ifEpoch is not the tenant's epoch
	ReasonInvalidID       = "invalid_id"         // 422: the tenant id breaks fabric.TenantIDRule
	ReasonInvalidEntry    = "invalid_entry"      // 422: the entry breaks the registry's rules
	ReasonNoEligibleCell  = "no_eligible_cell"   // 422: place found no cell for the tenant
	ReasonDuplicate       = "duplicate_id"       // batch: the id appears earlier in the batch
	ReasonMalformed       = "malformed_body"     // 400: the body is not the JSON the endpoint takes
	ReasonBadQuery        = "bad_query"          // 400: a query parameter is wrong
	ReasonBatchTooLarge   = "batch_too_large"    // 400: more than MaxBatch entries
	ReasonBodyTooLarge    = "body_too_large"     // 413: the body is over MaxBodyBytes
	ReasonBadPosition     = "bad_position"       // 400: since is not a position this directory gave
	ReasonPositionExpired = "position_expired"   // 410: since is older than the journal
	ReasonNoRoute         = "no_route"           // 404: no endpoint at this path
	ReasonMethod          = "method_not_allowed" // 405
	ReasonNoRegistry      = "no_registry"        // 503: the writer holds no registry to validate against
	ReasonStore           = "store_unavailable"  // 503: the store failed; nothing was changed
	ReasonNotStored       = "entry_not_stored"   // 503: journaled, but the entry write failed; retry
	ReasonUnauthenticated = "unauthenticated"    // 401: the request was not verified
	ReasonUnknownCell     = "unknown_cell"       // 422: the cell is not in the registry (placement flags)
	ReasonInvalidFlag     = "invalid_placement"  // 422: a placement flag breaks its rules (placement, reason)
	ReasonEvacuating      = "evacuation_running" // 409: another owner holds the evacuation guard
)

// Error is a refused request or a failed operation: the HTTP status the API
// answers with, a stable reason, the tenant it is about ("" for none) and a
// sentence that names the tenant and says what to fix.
type Error struct {
	Status int
	Reason string
	Tenant string
	Msg    string
	// RetryAfter is the seconds to wait before retrying (503), 0 for none.
	RetryAfter int
	// MaxBatch is, with ReasonBatchTooLarge, the most entries a batch may
	// carry (ErrorBody.MaxBatch); 0 otherwise.
	MaxBatch int
	// Err is the underlying error (a store's), for errors.Is/As; never
	// shown in the API's answers.
	Err error
}

func (e *Error) Error() string { return e.Msg }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// errorf builds an *Error.
func errorf(status int, reason, tenant, format string, args ...any) *Error {
	return &Error{Status: status, Reason: reason, Tenant: tenant, Msg: fmt.Sprintf(format, args...)}
}

// storeError is the answer when the store fails before anything was
// written for tenant.
func storeError(tenant, doing string, err error) *Error {
	what := "the directory"
	if tenant != "" {
		what = fmt.Sprintf("tenant %q", tenant)
	}
	return &Error{Status: 503, Reason: ReasonStore, Tenant: tenant, RetryAfter: 1, Err: err,
		Msg: fmt.Sprintf("the directory's store failed while %s (%v): nothing was changed for %s; retry", doing, err, what)}
}

// AsError returns err as an *Error: itself when it is one, otherwise a 500
// wrapping it.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Status: 500, Reason: "internal", Msg: err.Error(), Err: err}
}
