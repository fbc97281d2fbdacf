package aztable

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/emulator"
)

// op is one backend or port call, for tests that expect every call to fail
// the same way.
type op struct {
	name string
	fn   func(ctx context.Context) error
}

// everyOp lists every Backend method, and the port's calls that reach the
// store, over b (and st, the port over b).
func everyOp(b *Backend, st state.Store, tenant string) []op {
	rec := state.Record{Key: "k", Value: []byte("v"), Seq: 1}
	return []op{
		{"GetMeta", func(ctx context.Context) error { _, _, _, err := b.GetMeta(ctx, tenant); return err }},
		{"PutMeta new", func(ctx context.Context) error {
			_, err := b.PutMeta(ctx, tenant, state.Meta{Seq: 1}, state.NoVersion)
			return err
		}},
		{"PutMeta at a version", func(ctx context.Context) error {
			_, err := b.PutMeta(ctx, tenant, state.Meta{Seq: 1}, `W/"datetime'x'"`)
			return err
		}},
		{"GetItem", func(ctx context.Context) error { _, _, _, err := b.GetItem(ctx, tenant, "k"); return err }},
		{"PutItem new", func(ctx context.Context) error { _, err := b.PutItem(ctx, tenant, rec, state.NoVersion); return err }},
		{"PutItem at a version", func(ctx context.Context) error { _, err := b.PutItem(ctx, tenant, rec, `W/"datetime'x'"`); return err }},
		{"ScanKeys", func(ctx context.Context) error { _, err := b.ScanKeys(ctx, tenant, "", "", 10); return err }},
		{"ScanSeq", func(ctx context.Context) error { _, err := b.ScanSeq(ctx, tenant, 0, 10, 10); return err }},
		{"Ping", b.Ping},
		{"port Get", func(ctx context.Context) error { _, err := st.Get(ctx, tenant, "k"); return err }},
		{"port Put", func(ctx context.Context) error {
			_, _, err := st.Put(ctx, tenant, "k", []byte("v"), state.Cond{})
			return err
		}},
		{"port List", func(ctx context.Context) error { _, err := st.List(ctx, tenant, "", "", 10); return err }},
		{"port Changes", func(ctx context.Context) error { _, _, err := st.Changes(ctx, tenant, 0, 10); return err }},
		{"port Ping", st.Ping},
	}
}

// wantUnavailable fails unless every op fails with state.ErrUnavailable —
// not a conflict, and not by running into the test's own deadline.
func wantUnavailable(t *testing.T, ops []op, also error) {
	t.Helper()
	for _, o := range ops {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		start := time.Now()
		err := o.fn(ctx)
		took, expired := time.Since(start), ctx.Err() != nil
		cancel()
		switch {
		case !errors.Is(err, state.ErrUnavailable):
			t.Errorf("%s: %v, want ErrUnavailable", o.name, err)
		case errors.Is(err, state.ErrConflict):
			t.Errorf("%s: %v also says ErrConflict", o.name, err)
		case expired:
			t.Errorf("%s: ran into the test's deadline: %v", o.name, err)
		case also != nil && !errors.Is(err, also):
			t.Errorf("%s: %v, want it to say %v too", o.name, err, also)
		default:
			t.Logf("%s: failed in %v: %v", o.name, took.Round(time.Millisecond), err)
		}
	}
}

// TestEmulatorKilledAndRestarted kills azurite under a writer: every call
// fails with ErrUnavailable; azurite starts again on the same port and the
// same Backend, never reopened, pings and writes again.
func TestEmulatorKilledAndRestarted(t *testing.T) {
	t.Parallel()
	emu := ownEmulator(t)
	table := freshTable(t, emu, "faults")
	b := openBackend(t, emulatorOptions(emu.Endpoint(), table))
	st := state.New(b)
	ctx := context.Background()
	if _, _, err := st.Put(ctx, "tenant-a", "before", []byte("1"), state.Cond{}); err != nil {
		t.Fatal(err)
	}

	// A writer keeps writing while the store dies.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var wrote, failed atomic.Int64
	var badMu sync.Mutex
	var bad []error
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			_, _, err := st.Put(ctx, "tenant-w", fmt.Sprintf("k%d", i%10), []byte("v"), state.Cond{})
			switch {
			case err == nil:
				wrote.Add(1)
			case errors.Is(err, state.ErrUnavailable) && !errors.Is(err, state.ErrConflict):
				failed.Add(1)
			default:
				badMu.Lock()
				bad = append(bad, err)
				badMu.Unlock()
			}
		}
	}()
	for wrote.Load() < 5 {
		time.Sleep(10 * time.Millisecond) // let the writer get going; not an assertion
	}
	emu.Kill()
	wantUnavailable(t, everyOp(b, st, "tenant-a"), nil)
	for failed.Load() == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	for _, err := range bad {
		t.Errorf("the writer got %v, want success or ErrUnavailable", err)
	}
	t.Logf("the writer wrote %d times, then failed %d times with ErrUnavailable", wrote.Load(), failed.Load())

	if err := emu.Restart(); err != nil {
		t.Fatal(err)
	}
	// azurite ran in memory: its table went with the process. (An Azure
	// table outlives any front end.) Ping says what is wrong.
	err := b.Ping(ctx)
	if !errors.Is(err, state.ErrUnavailable) || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("ping of a missing table: %v, want ErrUnavailable saying the table does not exist", err)
	}
	createTable(t, emu.Endpoint(), table)
	if err := st.Ping(ctx); err != nil {
		t.Fatalf("ping after the restart, same backend: %v", err)
	}
	if _, _, err := st.Put(ctx, "tenant-a", "after", []byte("2"), state.Cond{}); err != nil {
		t.Fatalf("write after the restart, same backend: %v", err)
	}
	if it, err := st.Get(ctx, "tenant-a", "after"); err != nil || string(it.Value) != "2" {
		t.Fatalf("read after the restart: %q, %v", it.Value, err)
	}
}

// faultProxy stands between the adapter and azurite and answers the next
// `count` requests with a fault instead of forwarding them.
type faultProxy struct {
	srv      *httptest.Server
	target   *url.URL
	forward  *httputil.ReverseProxy
	fault    atomic.Value // func(w, r)
	count    atomic.Int64
	requests atomic.Int64
}

func newFaultProxy(t *testing.T, emu *emulator.Emulator) *faultProxy {
	t.Helper()
	target, err := url.Parse(fmt.Sprintf("http://127.0.0.1:%d", emu.Port()))
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{target: target, forward: httputil.NewSingleHostReverseProxy(target)}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.requests.Add(1)
		if p.count.Add(-1) >= 0 {
			p.fault.Load().(func(http.ResponseWriter, *http.Request))(w, r)
			return
		}
		p.forward.ServeHTTP(w, r)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

// url is the emulated account's URL through the proxy.
func (p *faultProxy) url() string { return p.srv.URL + "/" + devAccount }

// inject makes the next count requests get fault; it resets the request
// counter.
func (p *faultProxy) inject(count int64, fault func(http.ResponseWriter, *http.Request)) {
	p.fault.Store(fault)
	p.count.Store(count)
	p.requests.Store(0)
}

// answer returns a fault that answers as the table service does when it
// refuses a request.
func answer(status int, code string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json;odata=minimalmetadata")
		w.Header().Set("x-ms-error-code", code)
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"odata.error":{"code":%q,"message":{"lang":"en-US","value":"injected by the test"}}}`, code)
	}
}

// applyThenDrop forwards the request, so azurite applies it, then closes
// the connection without answering: the answer is lost.
func (p *faultProxy) applyThenDrop(w http.ResponseWriter, r *http.Request) {
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.URL.Scheme, out.URL.Host, out.Host = p.target.Scheme, p.target.Host, p.target.Host
	if resp, err := http.DefaultTransport.RoundTrip(out); err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		conn.Close()
	}
}

// TestServiceAnswersFaults: throttling (503 ServerBusy, 429), an internal
// error (500) and a refusal (403) are ErrUnavailable, never a conflict; a
// read is retried, a write only when the service says it did not take it.
func TestServiceAnswersFaults(t *testing.T) {
	t.Parallel()
	emu := sharedEmulator(t)
	table := freshTable(t, emu, "throttled")
	p := newFaultProxy(t, emu)
	b := openBackend(t, emulatorOptions(p.url(), table))
	st := state.New(b)
	ctx := context.Background()

	t.Run("busy until further notice", func(t *testing.T) {
		p.inject(1<<40, answer(http.StatusServiceUnavailable, "ServerBusy"))
		wantUnavailable(t, everyOp(b, st, "tenant-busy"), nil)
		p.inject(1<<40, answer(http.StatusServiceUnavailable, "ServerBusy"))
		_, _, _, err := b.GetItem(ctx, "tenant-busy", "k")
		if !strings.Contains(fmt.Sprint(err), "503 ServerBusy") {
			t.Errorf("the error does not say what the service answered: %v", err)
		}
		if n := p.requests.Load(); n != 3 {
			t.Errorf("a read went out %d times, want 3 (two retries)", n)
		}
		p.inject(1<<40, answer(http.StatusServiceUnavailable, "ServerBusy"))
		if _, err := b.PutItem(ctx, "tenant-busy", state.Record{Key: "k", Seq: 1}, state.NoVersion); err == nil {
			t.Fatal("a write to a busy service succeeded")
		}
		if n := p.requests.Load(); n != 3 {
			t.Errorf("a refused write went out %d times, want 3 (503 says it was not taken: retried twice)", n)
		}
	})

	t.Run("busy once then fine", func(t *testing.T) {
		for _, code := range []struct {
			status int
			code   string
		}{{http.StatusServiceUnavailable, "ServerBusy"}, {http.StatusTooManyRequests, "TooManyRequests"}} {
			p.inject(1, answer(code.status, code.code))
			if _, err := b.PutItem(ctx, "tenant-once", state.Record{Key: code.code, Value: []byte("x"), Seq: 1}, state.NoVersion); err != nil {
				t.Errorf("a write refused once with %d: %v, want it retried", code.status, err)
			}
			p.inject(1, answer(code.status, code.code))
			r, _, found, err := b.GetItem(ctx, "tenant-once", code.code)
			if err != nil || !found || string(r.Value) != "x" {
				t.Errorf("a read refused once with %d: found %v %q: %v, want it retried", code.status, found, r.Value, err)
			}
			if n := p.requests.Load(); n != 2 {
				t.Errorf("%d requests for a read refused once, want 2", n)
			}
		}
	})

	t.Run("internal error", func(t *testing.T) {
		p.inject(1<<40, answer(http.StatusInternalServerError, "InternalError"))
		wantUnavailable(t, everyOp(b, st, "tenant-500"), nil)
		p.inject(1<<40, answer(http.StatusInternalServerError, "InternalError"))
		if _, err := b.PutMeta(ctx, "tenant-500", state.Meta{Seq: 1}, state.NoVersion); !errors.Is(err, state.ErrUnavailable) {
			t.Fatalf("write: %v", err)
		}
		if n := p.requests.Load(); n != 1 {
			t.Errorf("a write that got 500 went out %d times, want once: it may have been applied", n)
		}
	})

	t.Run("forbidden", func(t *testing.T) {
		p.inject(1<<40, answer(http.StatusForbidden, "AuthorizationPermissionMismatch"))
		err := st.Ping(ctx)
		if !errors.Is(err, state.ErrUnavailable) || !strings.Contains(err.Error(), "AzureTableDataActions") {
			t.Fatalf("ping without permission: %v, want ErrUnavailable naming the permissions to grant", err)
		}
	})
}

// TestLostAnswerToAWriteIsNotAConflict: azurite applies a write, then its
// answer is lost. The write fails with ErrUnavailable and is not sent
// again: sent again, it would meet itself (409 on an insert, 412 on an
// update) and be reported as a lost race.
func TestLostAnswerToAWriteIsNotAConflict(t *testing.T) {
	t.Parallel()
	emu := sharedEmulator(t)
	table := freshTable(t, emu, "lostanswers")
	p := newFaultProxy(t, emu)
	b := openBackend(t, emulatorOptions(p.url(), table))
	direct := openBackend(t, emulatorOptions(emu.Endpoint(), table))
	ctx := context.Background()

	p.inject(1, p.applyThenDrop)
	_, err := b.PutMeta(ctx, "tenant-a", state.Meta{Seq: 1}, state.NoVersion)
	if !errors.Is(err, state.ErrUnavailable) || errors.Is(err, state.ErrConflict) {
		t.Fatalf("insert whose answer was lost: %v, want ErrUnavailable (not a conflict)", err)
	}
	if n := p.requests.Load(); n != 1 {
		t.Errorf("the insert went out %d times, want once", n)
	}
	m, v, found, err := direct.GetMeta(ctx, "tenant-a")
	if err != nil || !found || m.Seq != 1 {
		t.Fatalf("the insert was not applied (found %v, %+v): %v", found, m, err)
	}

	p.inject(1, p.applyThenDrop)
	_, err = b.PutMeta(ctx, "tenant-a", state.Meta{Seq: 2}, v)
	if !errors.Is(err, state.ErrUnavailable) || errors.Is(err, state.ErrConflict) {
		t.Fatalf("update whose answer was lost: %v, want ErrUnavailable (not a conflict)", err)
	}
	if n := p.requests.Load(); n != 1 {
		t.Errorf("the update went out %d times, want once", n)
	}
	if m, _, _, err := direct.GetMeta(ctx, "tenant-a"); err != nil || m.Seq != 2 {
		t.Fatalf("the update was not applied (%+v): %v", m, err)
	}
}

// TestHungServiceTimesOut: a service that accepts connections and never
// answers fails every call with ErrUnavailable once Options.Timeout has
// passed.
func TestHungServiceTimesOut(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	o := emulatorOptions(srv.URL+"/"+devAccount, "hung")
	o.Timeout = 200 * time.Millisecond
	b := openBackend(t, o)
	wantUnavailable(t, everyOp(b, state.New(b), "tenant-a"), context.DeadlineExceeded)
}
