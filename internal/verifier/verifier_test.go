package verifier_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/internal/verifier"
	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/workload/refcell"
	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/embedded"
)

var edgeKey = edgeauth.Key{ID: "k1", Secret: []byte("verifier-test-edge-key-0123456")}

// front is what the writers talk to: a reference cell on an embedded
// store behind a stand-in for the router that signs each request for its
// X-Tenant-ID. fault, when set, may answer a PUT itself: before
// forwarding it (the write never reaches the cell) or after (the write
// landed, its answer is lost).
type front struct {
	store state.Store
	url   string
	puts  atomic.Int64
}

type fault func(n int64) (before, after bool)

func startFront(t *testing.T, f fault) *front {
	t.Helper()
	st := state.New(embedded.New())
	cell, err := refcell.New(refcell.Config{CellID: "aws-use1", Cloud: "aws", Keys: []edgeauth.Key{edgeKey}, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	cellSrv := httptest.NewServer(cell)
	signer, err := edgeauth.NewSigner(edgeKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	fr := &front{store: st}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var before, after bool
		if r.Method == http.MethodPut {
			if n := fr.puts.Add(1); f != nil {
				before, after = f(n)
			}
		}
		if before {
			http.Error(w, "refused before the cell", http.StatusServiceUnavailable)
			return
		}
		body, _ := io.ReadAll(r.Body)
		out, _ := http.NewRequestWithContext(r.Context(), r.Method, cellSrv.URL+r.URL.Path, bytes.NewReader(body))
		signer.SignRequest(out, r.Header.Get("X-Tenant-ID"))
		resp, err := hc.Do(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		if after {
			http.Error(w, "the answer was lost", http.StatusGatewayTimeout)
			return
		}
		w.Header().Set("X-Cell-ID", resp.Header.Get("X-Cell-ID"))
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}))
	t.Cleanup(func() {
		srv.Close()
		cellSrv.Close()
		cell.Close()
	})
	fr.url = srv.URL
	return fr
}

// runUntil writes until at least n writes were attempted, then stops.
func runUntil(t *testing.T, cfg verifier.Config, n int64) *verifier.Writer {
	t.Helper()
	w, err := verifier.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for w.Stats().Attempted < n {
		if time.Now().After(deadline) {
			w.Stop()
			t.Fatalf("only %+v in a minute", w.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
	w.Stop()
	return w
}

// TestVerifierAgainstARefcell: the writers write through a signing front to
// a real reference cell; Verify reads every key back. Writes refused
// before the cell are failures that do not land; writes whose answer is
// lost are failures that land; neither is a loss.
func TestVerifierAgainstARefcell(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		fault      fault
		wantFailed string // FailedBy key that must be non-zero; "" none
		wantLanded bool
	}{
		{name: "every write answered"},
		{name: "every third write refused before the cell", fault: func(n int64) (bool, bool) { return n%3 == 0, false }, wantFailed: "503"},
		{name: "every third write's answer lost", fault: func(n int64) (bool, bool) { return false, n%3 == 0 }, wantFailed: "504", wantLanded: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fr := startFront(t, tt.fault)
			kv, err := verifier.NewKV(fr.url, "acme")
			if err != nil {
				t.Fatal(err)
			}
			w := runUntil(t, verifier.Config{Target: kv, Writers: 8, Keys: 5}, 400)
			rep, err := w.Verify(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			t.Log(rep)
			if !rep.Clean() || rep.Keys != 40 || rep.OK != 40 || len(rep.Problems) != 0 {
				t.Errorf("report %v, problems %v; want 40 keys ok", rep, rep.Problems)
			}
			if rep.Attempted != rep.Acknowledged+rep.Failed || rep.Attempted != fr.puts.Load() {
				t.Errorf("counts %+v; the front saw %d PUTs", rep.Stats, fr.puts.Load())
			}
			switch {
			case tt.wantFailed == "" && rep.Failed != 0:
				t.Errorf("failures %v with every write answered", rep.FailedBy)
			case tt.wantFailed != "" && rep.FailedBy[tt.wantFailed] == 0:
				t.Errorf("failures %v, want some %s", rep.FailedBy, tt.wantFailed)
			}
			if tt.wantLanded != (rep.FailedLanded > 0) {
				t.Errorf("%d keys hold a failed write; want some: %v", rep.FailedLanded, tt.wantLanded)
			}
		})
	}
}

// TestVerifierFindsLostWrites: after the writers stop, one acknowledged key
// is deleted behind their back and another overwritten with a value no
// writer wrote: Verify counts one lost and one mismatched, and names them.
func TestVerifierFindsLostWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fr := startFront(t, nil)
	kv, err := verifier.NewKV(fr.url, "acme")
	if err != nil {
		t.Fatal(err)
	}
	// One writer, two keys, so key 0 was written at least twice.
	w := runUntil(t, verifier.Config{Target: kv, Writers: 1, Keys: 2}, 6)
	k0, k1 := w.Key(0, 0), w.Key(0, 1)
	older, found, err := kv.Get(ctx, k0)
	if err != nil || !found {
		t.Fatal(found, err)
	}
	older = bytes.Replace(older, []byte("|n"), []byte("|n0"), 1) // n4 → n04: not a value written
	if _, _, err := fr.store.Put(ctx, "acme", k0, older, state.Cond{}); err != nil {
		t.Fatal(err)
	}
	if err := fr.store.Delete(ctx, "acme", k1, state.Cond{}); err != nil {
		t.Fatal(err)
	}
	rep, err := w.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Clean() || rep.Lost != 1 || rep.Mismatched != 1 || rep.OK != 0 || len(rep.Problems) != 2 {
		t.Fatalf("report %v, problems %v; want 1 lost, 1 mismatched", rep, rep.Problems)
	}
	if p := rep.Problems[0]; p.Key != k0 || p.Outcome != verifier.Mismatched || string(p.Got) != string(older) {
		t.Errorf("problem 0: %v", p)
	}
	if p := rep.Problems[1]; p.Key != k1 || p.Outcome != verifier.Lost || p.Got != nil || p.Want == nil {
		t.Errorf("problem 1: %v", p)
	}
}

func TestVerifierRefusesBadInput(t *testing.T) {
	t.Parallel()
	kv := &verifier.KV{URL: "http://127.0.0.1:1", Tenant: "acme"}
	tests := []struct {
		name string
		cfg  verifier.Config
		want string
	}{
		{"no target", verifier.Config{}, "no target"},
		{"negative writers", verifier.Config{Target: kv, Writers: -1}, "must not be negative"},
		{"negative keys", verifier.Config{Target: kv, Keys: -1}, "must not be negative"},
		{"negative pause", verifier.Config{Target: kv, Pause: -time.Second}, "must not be negative"},
		{"negative max retry wait", verifier.Config{Target: kv, MaxRetryWait: -time.Second}, "must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := verifier.Start(context.Background(), tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Start: %v, want %q", err, tt.want)
			}
		})
	}
	for _, tt := range []struct{ url, tenant, want string }{
		{"127.0.0.1:8080", "acme", "give http(s)://"},
		{"http://127.0.0.1:8080", "", "no tenant"},
	} {
		if _, err := verifier.NewKV(tt.url, tt.tenant); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewKV(%q, %q): %v, want %q", tt.url, tt.tenant, err, tt.want)
		}
	}
}

// TestVerifyWaitsForStop: Verify while the writers run is refused.
func TestVerifyWaitsForStop(t *testing.T) {
	t.Parallel()
	fr := startFront(t, nil)
	kv, _ := verifier.NewKV(fr.url, "acme")
	w, err := verifier.Start(context.Background(), verifier.Config{Target: kv, Writers: 1, Keys: 1, Pause: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	if _, err := w.Verify(context.Background()); !errors.Is(err, verifier.ErrRunning) {
		t.Errorf("Verify while running: %v", err)
	}
}

// TestKVRouterNotFoundIsNoAnswer: a 404 that no cell gave (the router's
// unknown tenant) is an error, not a missing key: it must not count as a
// loss, nor hide one.
func TestKVRouterNotFoundIsNoAnswer(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	kv, _ := verifier.NewKV(srv.URL, "nobody")
	var se *verifier.StatusError
	if _, _, err := kv.Get(context.Background(), "k"); !errors.As(err, &se) || se.Status != 404 {
		t.Errorf("Get: %v, want a 404 StatusError", err)
	}
}
