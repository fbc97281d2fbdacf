package firestore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/contract"
)

// conflictCode reports whether a write's gRPC code says its condition did
// not hold: the document exists (a create), it moved on (an update with an
// update-time precondition), or Firestore aborted the write for
// contention. In each case nothing was written. (NOT_FOUND is not among
// them: the adapter never deletes a document, so it means the database is
// gone, not that a record moved on.)
func conflictCode(c codes.Code) bool {
	switch c {
	case codes.AlreadyExists, codes.FailedPrecondition, codes.Aborted:
		return true
	}
	return false
}

// unavailable wraps err, a failed call to Firestore, in
// state.ErrUnavailable with what to do about it.
func unavailable(what string, err error) error {
	c := status.Code(err)
	if errors.Is(err, context.DeadlineExceeded) {
		c = codes.DeadlineExceeded
	}
	hint := ""
	switch c {
	case codes.Unavailable, codes.DeadlineExceeded, codes.Canceled:
		hint = "; Firestore did not answer in time: retry"
	case codes.ResourceExhausted:
		hint = "; Firestore is throttling: retry later"
	case codes.PermissionDenied, codes.Unauthenticated:
		hint = "; check the workload's service account holds " + strings.Join(contract.FirestorePermissions, ", ") + " on the database"
	case codes.NotFound:
		hint = "; check that the Firestore database exists in the project"
	}
	return fmt.Errorf("%s: %w (firestore %s%s): %w", what, state.ErrUnavailable, c, hint, err)
}

// writeErr maps a failed conditional write: state.ErrConflict when its
// condition did not hold, unless an earlier attempt of the same write
// failed in transit (attempts > 1) and so may have been applied.
func writeErr(what string, err error, attempts int32) error {
	c := status.Code(err)
	if !conflictCode(c) {
		return unavailable(what, err)
	}
	if attempts > 1 {
		return fmt.Errorf("%s: %w: an attempt failed in transit and its retry found the document changed (firestore %s), so the write may have been applied; read before retrying: %w", what, state.ErrUnavailable, c, err)
	}
	return fmt.Errorf("%s: %w (firestore %s)", what, state.ErrConflict, c)
}

// attemptsKey carries a counter of Commit attempts in a write's context.
type attemptsKey struct{}

// countAttempts returns ctx with a counter that commitCounter increments
// for every attempt of a Commit made with it.
func countAttempts(ctx context.Context) (context.Context, *atomic.Int32) {
	n := new(atomic.Int32)
	return context.WithValue(ctx, attemptsKey{}, n), n
}

// commitCounter is a gRPC interceptor that counts the attempts of each
// Commit (the SDK retries Commit on UNAVAILABLE and RESOURCE_EXHAUSTED).
func commitCounter(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	if n, ok := ctx.Value(attemptsKey{}).(*atomic.Int32); ok && strings.HasSuffix(method, "/Commit") {
		n.Add(1)
	}
	return invoker(ctx, method, req, reply, cc, opts...)
}
