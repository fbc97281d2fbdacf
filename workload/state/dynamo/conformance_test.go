package dynamo

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"

	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/contract"
	"github.com/cellfabric/cellfabric/workload/state/statetest"
)

// TestConformance runs the state port's conformance suite against dynalite
// while recording every call the adapter makes, then checks that the calls
// need exactly the permissions contract.DynamoPermissions declares: a call
// without its permission fails, and so does a permission never used.
func TestConformance(t *testing.T) {
	table := newTable(t, shared.Endpoint(), nil)
	rec := &callRecorder{}
	o := testOptions(shared.Endpoint(), table)
	o.APIOptions = []func(*middleware.Stack) error{rec.add}
	t.Run("suite", func(t *testing.T) {
		statetest.Run(t, statetest.Harness{
			Open: func(t *testing.T) state.Backend { return openTest(t, o) },
		})
	})
	if t.Failed() {
		return
	}
	// Ping is the adapter's too, though the suite does not call it.
	if err := openTest(t, o).Ping(context.Background()); err != nil {
		t.Fatalf("ping: %v", err)
	}
	used := rec.permissions()
	var declared []contract.DynamoPermission
	for _, p := range contract.DynamoPermissions {
		declared = append(declared, contract.DynamoPermission{Action: p.Action, On: p.On})
	}
	for _, p := range used {
		if !slices.Contains(declared, p) {
			t.Errorf("the adapter calls %s on the %s, which contract.DynamoPermissions does not grant", p.Action, p.On)
		}
	}
	for _, p := range declared {
		if !slices.Contains(used, p) {
			t.Errorf("contract.DynamoPermissions grants %s on the %s, which the adapter never used", p.Action, p.On)
		}
	}
	t.Logf("calls made: %v", rec.counts())
}

// callRecorder is middleware that records the permission each call needs.
type callRecorder struct {
	mu    sync.Mutex
	calls map[contract.DynamoPermission]int
}

// add puts the recorder first on a call's stack.
func (r *callRecorder) add(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("cellfabricRecordCall",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			r.record(permissionOf(awsmiddleware.GetOperationName(ctx), in.Parameters))
			return next.HandleInitialize(ctx, in)
		}), middleware.Before)
}

// permissionOf is the IAM permission a call needs: DynamoDB's IAM actions
// are its operations' names, and a Query of an index is granted on the
// index's ARN.
func permissionOf(op string, params any) contract.DynamoPermission {
	p := contract.DynamoPermission{Action: "dynamodb:" + op, On: contract.DynamoTableResource}
	if q, ok := params.(*dynamodb.QueryInput); ok && q.IndexName != nil {
		p.On = contract.DynamoSeqIndexResource
		if *q.IndexName != contract.DynamoSeqIndex {
			p.On = contract.DynamoResource("index " + *q.IndexName)
		}
	}
	return p
}

func (r *callRecorder) record(p contract.DynamoPermission) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.calls == nil {
		r.calls = map[contract.DynamoPermission]int{}
	}
	r.calls[p]++
}

// permissions are the permissions used, in no order.
func (r *callRecorder) permissions() []contract.DynamoPermission {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []contract.DynamoPermission
	for p := range r.calls {
		out = append(out, p)
	}
	return out
}

// counts says how often each permission was used.
func (r *callRecorder) counts() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for p, n := range r.calls {
		out = append(out, fmt.Sprintf("%s on %s: %d", p.Action, p.On, n))
	}
	slices.Sort(out)
	return out
}
