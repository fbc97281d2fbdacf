package aztable

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/cellfabric/cellfabric/workload/state"
)

// Error codes of the Table service that the adapter tells apart.
const (
	codeEntityExists     = "EntityAlreadyExists"
	codeResourceNotFound = "ResourceNotFound"
	codeTableNotFound    = "TableNotFound"
)

// responseError returns the service's answer in err, if it holds one.
func responseError(err error) (*azcore.ResponseError, bool) {
	var re *azcore.ResponseError
	ok := errors.As(err, &re)
	return re, ok
}

// notFound reports whether err is the service saying that the entity (not
// the table) does not exist.
func notFound(err error) bool {
	re, ok := responseError(err)
	return ok && re.StatusCode == http.StatusNotFound && re.ErrorCode == codeResourceNotFound
}

// writeErr maps the error of a conditional write: the record is not at the
// version expected (it exists when it must not, its ETag moved on, or it
// is gone when it must be there) → state.ErrConflict; anything else →
// state.ErrUnavailable.
func (b *Backend) writeErr(op string, err error) error {
	if re, ok := responseError(err); ok {
		switch {
		case re.StatusCode == http.StatusConflict && re.ErrorCode == codeEntityExists,
			re.StatusCode == http.StatusPreconditionFailed,
			re.StatusCode == http.StatusNotFound && re.ErrorCode == codeResourceNotFound:
			return fmt.Errorf("%s: %w", op, state.ErrConflict)
		}
	}
	return b.unavailable(op, err)
}

// unavailable wraps any failure that is not an answer the adapter expects
// in state.ErrUnavailable, saying what happened without the SDK's error
// value (which callers could mistake for something else) or its request
// dump. A context's error stays in the chain.
func (b *Backend) unavailable(op string, err error) error {
	switch {
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("%s: %w: %w", op, state.ErrUnavailable, context.Canceled)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s: %w: no answer from the table service in time (%v a request): %w", op, state.ErrUnavailable, b.timeout, context.DeadlineExceeded)
	}
	re, ok := responseError(err)
	if !ok {
		return fmt.Errorf("%s: %w: %v", op, state.ErrUnavailable, err)
	}
	hint := ""
	switch {
	case re.StatusCode == http.StatusNotFound && re.ErrorCode == codeTableNotFound:
		hint = fmt.Sprintf(": table %s does not exist at %s; the cell component creates it (check CELLFABRIC_STATE_STORE)", b.table, b.service)
	case re.StatusCode == http.StatusForbidden || re.StatusCode == http.StatusUnauthorized:
		hint = fmt.Sprintf(": the identity may not use table %s; grant it contract.AzureTableDataActions on the table", b.table)
	case re.StatusCode == http.StatusTooManyRequests || re.StatusCode == http.StatusServiceUnavailable:
		hint = ": the service is throttling or busy; retry later"
	}
	return fmt.Errorf("%s: %w: the table service answered %d %s%s", op, state.ErrUnavailable, re.StatusCode, re.ErrorCode, hint)
}
