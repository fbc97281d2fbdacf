package firestore

import (
	"context"
	"fmt"
	"maps"
	"path"
	"slices"
	"sync"
	"testing"

	"cloud.google.com/go/firestore/apiv1/firestorepb"
	"google.golang.org/api/option"
	"google.golang.org/grpc"

	"github.com/cellfabric/cellfabric/workload/state/contract"
)

// callRecorder records every call a client makes, as contract.FirestoreCalls
// names them: the gRPC method, and for Commit the kind of each write.
type callRecorder struct {
	mu    sync.Mutex
	calls map[string]int
}

func newCallRecorder() *callRecorder { return &callRecorder{calls: map[string]int{}} }

// options are the client options that make a backend report to r.
func (r *callRecorder) options() []option.ClientOption {
	return []option.ClientOption{
		option.WithGRPCDialOption(grpc.WithChainUnaryInterceptor(r.unary)),
		option.WithGRPCDialOption(grpc.WithChainStreamInterceptor(r.stream)),
	}
}

func (r *callRecorder) add(names ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range names {
		r.calls[n]++
	}
}

func (r *callRecorder) recorded() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.calls)
}

func (r *callRecorder) unary(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	r.add(callNames(method, req)...)
	return invoker(ctx, method, req, reply, cc, opts...)
}

func (r *callRecorder) stream(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	r.add(path.Base(method))
	return streamer(ctx, desc, cc, method, opts...)
}

// callNames names a unary call; a Commit by the kind of each write, which
// decides the permission it needs.
func callNames(method string, req any) []string {
	name := path.Base(method)
	c, ok := req.(*firestorepb.CommitRequest)
	if !ok {
		return []string{name}
	}
	if len(c.Writes) == 0 {
		return []string{name + ":empty"}
	}
	var out []string
	for _, w := range c.Writes {
		out = append(out, name+":"+writeKind(w))
	}
	return out
}

// writeKind is what Firestore's IAM table distinguishes about a write.
func writeKind(w *firestorepb.Write) string {
	switch {
	case w.GetDelete() != "":
		return "delete"
	case w.GetTransform() != nil:
		return "transform"
	}
	switch p := w.GetCurrentDocument().GetConditionType().(type) {
	case *firestorepb.Precondition_Exists:
		if p.Exists {
			return "update"
		}
		return "create"
	case *firestorepb.Precondition_UpdateTime:
		return "update"
	}
	return "upsert" // needs create and update
}

// permissionProblems compares the calls made with the declared ones: a
// call with no declared permissions, a declared call never made, and a
// declared permission that no declared call needs, or that the list of
// permissions lacks.
func permissionProblems(made map[string]int, calls map[string][]string, perms []string) []string {
	var problems []string
	for _, c := range slices.Sorted(maps.Keys(made)) {
		if _, ok := calls[c]; !ok {
			problems = append(problems, fmt.Sprintf("the adapter made %d %s call(s), for which no permission is declared in contract.FirestoreCalls", made[c], c))
		}
	}
	needed := map[string]bool{}
	for _, c := range slices.Sorted(maps.Keys(calls)) {
		if made[c] == 0 {
			problems = append(problems, fmt.Sprintf("contract.FirestoreCalls declares %s, which the adapter never made", c))
		}
		for _, p := range calls[c] {
			needed[p] = true
		}
	}
	for _, p := range perms {
		if !needed[p] {
			problems = append(problems, fmt.Sprintf("permission %s is declared but no call needs it", p))
		}
		delete(needed, p)
	}
	for _, p := range slices.Sorted(maps.Keys(needed)) {
		problems = append(problems, fmt.Sprintf("a call needs %s, which contract.FirestorePermissions lacks", p))
	}
	return problems
}

// checkPermissions fails t unless the calls r recorded map exactly onto
// the declared permissions.
func checkPermissions(t *testing.T, r *callRecorder) {
	t.Helper()
	made := r.recorded()
	t.Logf("calls made: %v", made)
	for _, p := range permissionProblems(made, contract.FirestoreCalls, contract.FirestorePermissions) {
		t.Error(p)
	}
}

func TestPermissionProblems(t *testing.T) {
	t.Parallel()
	calls := map[string][]string{"Get": {"p.get"}, "Commit:update": {"p.update"}}
	for _, tc := range []struct {
		name  string
		made  map[string]int
		perms []string
		want  int
	}{
		{"exact", map[string]int{"Get": 3, "Commit:update": 1}, []string{"p.get", "p.update"}, 0},
		{"a call without a permission", map[string]int{"Get": 1, "Commit:update": 1, "Commit:delete": 1}, []string{"p.get", "p.update"}, 1},
		{"a declared call never made", map[string]int{"Get": 1}, []string{"p.get", "p.update"}, 1},
		{"a permission no call needs", map[string]int{"Get": 1, "Commit:update": 1}, []string{"p.get", "p.update", "p.delete"}, 1},
		{"a needed permission not listed", map[string]int{"Get": 1, "Commit:update": 1}, []string{"p.get"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := permissionProblems(tc.made, calls, tc.perms); len(got) != tc.want {
				t.Errorf("%d problems, want %d: %v", len(got), tc.want, got)
			}
		})
	}
}

func TestWriteKind(t *testing.T) {
	t.Parallel()
	update := &firestorepb.Write_Update{Update: &firestorepb.Document{Name: "d"}}
	for _, tc := range []struct {
		name string
		w    *firestorepb.Write
		want string
	}{
		{"create", &firestorepb.Write{Operation: update, CurrentDocument: &firestorepb.Precondition{ConditionType: &firestorepb.Precondition_Exists{Exists: false}}}, "create"},
		{"update if it exists", &firestorepb.Write{Operation: update, CurrentDocument: &firestorepb.Precondition{ConditionType: &firestorepb.Precondition_Exists{Exists: true}}}, "update"},
		{"update at a time", &firestorepb.Write{Operation: update, CurrentDocument: &firestorepb.Precondition{ConditionType: &firestorepb.Precondition_UpdateTime{}}}, "update"},
		{"set", &firestorepb.Write{Operation: update}, "upsert"},
		{"delete", &firestorepb.Write{Operation: &firestorepb.Write_Delete{Delete: "d"}}, "delete"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := writeKind(tc.w); got != tc.want {
				t.Errorf("writeKind = %s, want %s", got, tc.want)
			}
		})
	}
}
