package refcell

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/embedded"
)

// withEpoch signs the request again for tenant, as a router does, with
// placement epoch v ("" or "0": none, a v1 signature).
func withEpoch(s *edgeauth.Signer, tenant, v string) func(*http.Request) {
	return func(r *http.Request) {
		var epoch int64
		if v != "" {
			var err error
			if epoch, err = strconv.ParseInt(v, 10, 64); err != nil {
				panic(err)
			}
		}
		s.SignRequestEpoch(r, tenant, epoch)
	}
}

// withEpochHeader sets the epoch header after signing: what a client that
// is not the edge would try.
func withEpochHeader(vals ...string) func(*http.Request) {
	return func(r *http.Request) { r.Header[edgeauth.EpochHeader] = vals }
}

// wantStalePlacement fails the test unless r is a 421 stale_placement
// answer for tenant with the cell's fence epoch.
func wantStalePlacement(t *testing.T, what string, r reply, tenant string, epoch int64, movedTo string) {
	t.Helper()
	if r.status != http.StatusMisdirectedRequest {
		t.Fatalf("%s: %d %s, want 421", what, r.status, r.body)
	}
	var b staleBody
	r.json(t, &b)
	if b.Reason != StalePlacementReason || b.Tenant != tenant || b.Epoch != epoch || b.MovedTo != movedTo || !strings.Contains(b.Error, tenant) {
		t.Errorf("%s: body %+v, want reason %s, tenant %s, epoch %d, movedTo %q and a sentence", what, b, StalePlacementReason, tenant, epoch, movedTo)
	}
}

func TestEpochFencesWrites(t *testing.T) {
	t.Parallel()
	st := state.New(embedded.New())
	_, srv := testCell(t, Config{Store: st})
	s := signer(t, testKey, nil)
	ctx := context.Background()
	if r := send(t, srv.URL, "PUT", "/kv/plan", "acme", []byte("gold"), s, nil); r.status != http.StatusCreated {
		t.Fatalf("put before the fence: %d %s", r.status, r.body)
	}
	if _, err := st.SetFence(ctx, "acme", state.FenceState{Fence: 5}); err != nil {
		t.Fatal(err)
	}
	for _, epoch := range []string{"", "0", "4"} {
		r := send(t, srv.URL, "PUT", "/kv/plan", "acme", []byte("stale"), s, withEpoch(s, "acme", epoch))
		wantStalePlacement(t, "put at epoch "+epoch, r, "acme", 5, "")
		r = send(t, srv.URL, "DELETE", "/kv/plan", "acme", nil, s, withEpoch(s, "acme", epoch))
		wantStalePlacement(t, "delete at epoch "+epoch, r, "acme", 5, "")
	}
	if r := send(t, srv.URL, "GET", "/kv/plan", "acme", nil, s, nil); r.status != http.StatusOK || string(r.body) != "gold" {
		t.Errorf("read after refused writes: %d %q", r.status, r.body)
	}
	for _, epoch := range []string{"5", "6"} {
		if r := send(t, srv.URL, "PUT", "/kv/plan", "acme", []byte("e"+epoch), s, withEpoch(s, "acme", epoch)); r.status != http.StatusOK {
			t.Errorf("put at epoch %s over fence 5: %d %s", epoch, r.status, r.body)
		}
	}
	// Another tenant has no fence.
	if r := send(t, srv.URL, "PUT", "/kv/plan", "globex", []byte("x"), s, nil); r.status != http.StatusCreated {
		t.Errorf("another tenant's write: %d %s", r.status, r.body)
	}
	// Fenced for every write while it moves: reads go on.
	if _, err := st.SetFence(ctx, "acme", state.FenceState{Fence: 6, FenceAll: true}); err != nil {
		t.Fatal(err)
	}
	wantStalePlacement(t, "put while fenced for every write", send(t, srv.URL, "PUT", "/kv/plan", "acme", []byte("x"), s, withEpoch(s, "acme", "99")), "acme", 6, "")
	if r := send(t, srv.URL, "GET", "/kv/", "acme", nil, s, nil); r.status != http.StatusOK {
		t.Errorf("list while fenced: %d %s", r.status, r.body)
	}
	// Moved: reads are refused too, with the cell it moved to.
	if _, err := st.SetFence(ctx, "acme", state.FenceState{Fence: 7, Moved: true, MovedTo: "azure-1"}); err != nil {
		t.Fatal(err)
	}
	wantStalePlacement(t, "get of a moved tenant", send(t, srv.URL, "GET", "/kv/plan", "acme", nil, s, nil), "acme", 7, "azure-1")
	wantStalePlacement(t, "list of a moved tenant", send(t, srv.URL, "GET", "/kv/", "acme", nil, s, nil), "acme", 7, "azure-1")
	wantStalePlacement(t, "put to a moved tenant", send(t, srv.URL, "PUT", "/kv/plan", "acme", []byte("x"), s, withEpoch(s, "acme", "7")), "acme", 7, "azure-1")
}

func TestEpochHeaderMalformed(t *testing.T) {
	t.Parallel()
	st := state.New(embedded.New())
	_, srv := testCell(t, Config{Store: st})
	s := signer(t, testKey, nil)
	// An epoch header the edge signature does not cover, or that is not a
	// placement epoch, is refused by the signature check before the
	// request reaches the store: a client cannot choose the epoch its
	// write is fenced by.
	for _, tc := range []struct {
		name string
		vals []string
	}{
		{"added to a v1 signature", []string{"5"}},
		{"negative", []string{"-1"}},
		{"plus sign", []string{"+5"}},
		{"fraction", []string{"1.5"}},
		{"letters", []string{"five"}},
		{"hex", []string{"0x5"}},
		{"over int64", []string{"9223372036854775808"}},
		{"leading zeros", []string{"00000000000000000001"}},
		{"empty", []string{""}},
		{"repeated", []string{"5", "6"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, m := range []string{"PUT", "DELETE", "GET"} {
				r := send(t, srv.URL, m, "/kv/k-"+strings.ReplaceAll(tc.name, " ", "-"), "acme", []byte("v"), s, withEpochHeader(tc.vals...))
				if r.status != http.StatusUnauthorized {
					t.Errorf("%s: %d %s, want 401", m, r.status, r.body)
				}
			}
		})
	}
	if p, err := st.Position(context.Background(), "acme"); err != nil || p != 0 {
		t.Errorf("requests with a malformed epoch wrote: position %d (%v)", p, err)
	}
	// A signature over a changed epoch fails too.
	tampered := func(r *http.Request) {
		s.SignRequestEpoch(r, "acme", 3)
		r.Header.Set(edgeauth.EpochHeader, "9")
	}
	if r := send(t, srv.URL, "PUT", "/kv/k", "acme", []byte("v"), s, tampered); r.status != http.StatusUnauthorized {
		t.Errorf("a tampered epoch: %d %s, want 401", r.status, r.body)
	}
	if r := send(t, srv.URL, "PUT", "/kv/k", "acme", []byte("v"), s, withEpoch(s, "acme", "9223372036854775807")); r.status != http.StatusCreated {
		t.Errorf("the largest epoch: %d %s", r.status, r.body)
	}
}
