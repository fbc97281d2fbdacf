package dynamo

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/contract"
)

// isConflict reports whether err is a failed write condition.
func isConflict(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

// fail wraps a failed call's error in state.ErrUnavailable, with what was
// being done and what to do about it. The SDK's error stays in the chain.
func (b *Backend) fail(what string, err error) error {
	return fmt.Errorf("dynamodb table %s: %s: %w: %s: %w", b.table, what, state.ErrUnavailable, b.hint(err), err)
}

// hint says what a failure means for the operator.
func (b *Backend) hint(err error) string {
	var rnf *types.ResourceNotFoundException
	var quota ratelimit.QuotaExceededError
	var api smithy.APIError
	var resp *awshttp.ResponseError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("no answer within %v: DynamoDB is slow or unreachable, retry", b.timeout)
	case errors.Is(err, context.Canceled):
		return "the request was cancelled"
	case errors.As(err, &rnf):
		return "no such table or index: the AWS cell component creates it; check " + envStoreHint
	case errors.As(err, &quota):
		return "too many failed calls lately: the client stopped retrying for now, retry"
	case retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err).Bool():
		return "DynamoDB is throttling the table: retry later"
	case errors.As(err, &resp) && resp.HTTPStatusCode() >= 500:
		return "DynamoDB failed to answer: retry"
	case errors.As(err, &api):
		switch api.ErrorCode() {
		case "AccessDeniedException", "UnrecognizedClientException", "InvalidSignatureException",
			"MissingAuthenticationTokenException", "ExpiredTokenException":
			return "DynamoDB refused the credentials or permission: the workload's role needs the permissions in workload/state/contract/dynamo.go"
		}
		if api.ErrorFault() == smithy.FaultServer {
			return "DynamoDB failed to answer: retry"
		}
		return "DynamoDB refused the request"
	}
	return "DynamoDB could not be reached: retry"
}

// envStoreHint names the setting of the table's name.
const envStoreHint = "the table name and region the workload was given (" + contract.EnvStore + ", " + contract.EnvRegion + ")"
