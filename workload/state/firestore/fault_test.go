package firestore

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/cellfabric/cellfabric/workload/state"
)

// faultTimeout is the per-call timeout of the fault tests: short, so that
// calls to a dead store give up quickly.
const faultTimeout = 2 * time.Second

// callerCtx is the caller's context in the fault tests: far longer than
// the adapter's own timeout, so a call that returns while it is still live
// was ended by the adapter, not by the caller.
func callerCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// wantUnavailable checks that err is state.ErrUnavailable (and not a
// conflict) and that the adapter, not the caller's deadline, ended it.
func wantUnavailable(t *testing.T, what string, ctx context.Context, err error) {
	t.Helper()
	if !errors.Is(err, state.ErrUnavailable) || errors.Is(err, state.ErrConflict) {
		t.Errorf("%s: error %v, want state.ErrUnavailable", what, err)
	}
	if ctx.Err() != nil {
		t.Errorf("%s: ran into the caller's deadline: the adapter's own timeout did not end it", what)
	}
}

// TestEmulatorKilledAndRestarted kills the store under an open backend:
// every operation fails with ErrUnavailable within the adapter's timeout;
// once the store is back on the same port, the same backend works again.
func TestEmulatorKilledAndRestarted(t *testing.T) {
	t.Parallel()
	e, err := startEmulator()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Stop)
	b := openTest(t, e.Endpoint(), Options{Timeout: faultTimeout})
	waitReady(t, b)
	st := state.New(b)
	const tn = "fault"
	if _, _, err := st.Put(callerCtx(t), tn, "k", []byte("before"), state.Cond{}); err != nil {
		t.Fatalf("put before the kill: %v", err)
	}
	_, mv, _, err := b.GetMeta(callerCtx(t), tn)
	if err != nil {
		t.Fatal(err)
	}

	e.Kill()

	ctx := callerCtx(t)
	_, _, err = st.Put(ctx, tn, "k", []byte("during"), state.Cond{})
	wantUnavailable(t, "put", ctx, err)
	_, err = st.Get(ctx, tn, "k")
	wantUnavailable(t, "get", ctx, err)
	_, err = st.List(ctx, tn, "", "", 10)
	wantUnavailable(t, "list", ctx, err)
	_, _, err = st.Changes(ctx, tn, 0, 10)
	wantUnavailable(t, "changes", ctx, err)
	wantUnavailable(t, "ping", ctx, st.Ping(ctx))
	// The backend's own writes: a dead store is never a conflict.
	_, err = b.PutMeta(ctx, tn, state.Meta{Seq: 9}, mv)
	wantUnavailable(t, "conditional meta write", ctx, err)
	_, err = b.PutItem(ctx, tn, state.Record{Key: "new", Value: []byte("x"), Seq: 9}, state.NoVersion)
	wantUnavailable(t, "create of an item", ctx, err)
	_, err = b.ScanSeq(ctx, tn, 0, 10, 10)
	wantUnavailable(t, "feed scan", ctx, err)

	if err := e.Restart(); err != nil {
		t.Fatalf("restarting the emulator on %s: %v", e.Endpoint(), err)
	}
	waitReady(t, b) // the same backend, not reopened
	// The emulator keeps its data in memory: the tenant starts again.
	it, created, err := st.Put(callerCtx(t), tn, "k", []byte("after"), state.Cond{})
	if err != nil || !created {
		t.Fatalf("put after the restart: created %v: %v", created, err)
	}
	got, err := st.Get(callerCtx(t), tn, "k")
	if err != nil || string(got.Value) != "after" || got.Seq != it.Seq {
		t.Fatalf("get after the restart: %q at %d (%v), want %q at %d", got.Value, got.Seq, err, "after", it.Seq)
	}
}

// TestStoreErrorsAreUnavailable: throttling, server errors and refusals
// from the store reach the core as ErrUnavailable, never as a conflict,
// and within the adapter's timeout (the SDK retries some of them).
func TestStoreErrorsAreUnavailable(t *testing.T) {
	t.Parallel()
	e := sharedEmulator(t)
	p := startFaultProxy(t, e)
	b := openTest(t, p.addr, Options{Timeout: faultTimeout})
	waitReady(t, b)
	st := state.New(b)
	tn := "errors-" + time.Now().Format("150405")
	if _, _, err := st.Put(callerCtx(t), tn, "k", []byte("v"), state.Cond{}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		method string
		code   codes.Code
	}{
		{"throttled read", "/BatchGetDocuments", codes.ResourceExhausted},
		{"throttled write", "/Commit", codes.ResourceExhausted},
		{"throttled query", "/RunQuery", codes.ResourceExhausted},
		{"server error on a write", "/Commit", codes.Internal},
		{"server error on a read", "/BatchGetDocuments", codes.Internal},
		{"unavailable write", "/Commit", codes.Unavailable},
		{"permission denied", "/BatchGetDocuments", codes.PermissionDenied},
		{"unknown error on a write", "/Commit", codes.Unknown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rule := p.inject(faultRule{method: tc.method, code: tc.code, times: -1})
			defer p.clear()
			ctx := callerCtx(t)
			var err error
			switch tc.method {
			case "/Commit":
				_, _, err = st.Put(ctx, tn, "k", []byte("w"), state.Cond{})
			case "/RunQuery":
				_, err = st.List(ctx, tn, "", "", 10)
			default:
				_, err = st.Get(ctx, tn, "k")
			}
			wantUnavailable(t, tc.name, ctx, err)
			if p.hitsOf(rule) == 0 {
				t.Fatalf("the fault was never injected: the call went elsewhere (%v)", err)
			}
			if tc.code == codes.PermissionDenied && !strings.Contains(err.Error(), "datastore.entities.get") {
				t.Errorf("a denied call does not say which permissions to grant: %v", err)
			}
		})
	}
	// Nothing failed was half-applied: the key holds what was put first.
	if got, err := st.Get(callerCtx(t), tn, "k"); err != nil || string(got.Value) != "v" {
		t.Errorf("after the faults k = %q (%v), want %q", got.Value, err, "v")
	}
}

// TestLostCommitReplyIsNotAConflict: the store applies a conditional write
// but its reply is lost (UNAVAILABLE); the SDK retries the Commit, which
// now fails its precondition. The write happened, so the backend must not
// call it a conflict (which tells the core nothing was written): it
// reports ErrUnavailable.
func TestLostCommitReplyIsNotAConflict(t *testing.T) {
	t.Parallel()
	e := sharedEmulator(t)
	p := startFaultProxy(t, e)
	b := openTest(t, p.addr, Options{Timeout: faultTimeout})
	waitReady(t, b)
	tn := "lost-" + time.Now().Format("150405")
	for _, tc := range []struct {
		name   string
		expect func() state.Version
	}{
		{"create", func() state.Version { return state.NoVersion }},
		{"update", func() state.Version {
			v, err := b.PutItem(callerCtx(t), tn, state.Record{Key: "update", Value: []byte("1"), Seq: 1}, state.NoVersion)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expect := tc.expect()
			rule := p.inject(faultRule{method: "/Commit", code: codes.Unavailable, afterForward: true, times: 1})
			defer p.clear()
			ctx := callerCtx(t)
			_, err := b.PutItem(ctx, tn, state.Record{Key: tc.name, Value: []byte("2"), Seq: 2}, expect)
			if p.hitsOf(rule) != 1 {
				t.Fatalf("the reply was not lost (%d hits): the test proves nothing", p.hitsOf(rule))
			}
			wantUnavailable(t, "a write whose reply was lost", ctx, err)
			// It was applied: the conflict would have been a lie.
			r, _, found, gerr := b.GetItem(callerCtx(t), tn, tc.name)
			if gerr != nil || !found || r.Seq != 2 {
				t.Fatalf("the write was not applied after all (seq %d, found %v, %v): the fault did not happen as the test means", r.Seq, found, gerr)
			}
		})
	}
}
