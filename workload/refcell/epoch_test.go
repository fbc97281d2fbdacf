package refcell

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/embedded"
)

// withEpoch sets the request's placement epoch header ("" leaves none).
func withEpoch(v string) func(*http.Request) {
	return func(r *http.Request) {
		if v != "" {
			r.Header.Set(EpochHeader, v)
		}
	}
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
		r := send(t, srv.URL, "PUT", "/kv/plan", "acme", []byte("stale"), s, withEpoch(epoch))
		wantStalePlacement(t, "put at epoch "+epoch, r, "acme", 5, "")
		r = send(t, srv.URL, "DELETE", "/kv/plan", "acme", nil, s, withEpoch(epoch))
		wantStalePlacement(t, "delete at epoch "+epoch, r, "acme", 5, "")
	}
	if r := send(t, srv.URL, "GET", "/kv/plan", "acme", nil, s, nil); r.status != http.StatusOK || string(r.body) != "gold" {
		t.Errorf("read after refused writes: %d %q", r.status, r.body)
	}
	for _, epoch := range []string{"5", "6"} {
		if r := send(t, srv.URL, "PUT", "/kv/plan", "acme", []byte("e"+epoch), s, withEpoch(epoch)); r.status != http.StatusOK {
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
	wantStalePlacement(t, "put while fenced for every write", send(t, srv.URL, "PUT", "/kv/plan", "acme", []byte("x"), s, withEpoch("99")), "acme", 6, "")
	if r := send(t, srv.URL, "GET", "/kv/", "acme", nil, s, nil); r.status != http.StatusOK {
		t.Errorf("list while fenced: %d %s", r.status, r.body)
	}
	// Moved: reads are refused too, with the cell it moved to.
	if _, err := st.SetFence(ctx, "acme", state.FenceState{Fence: 7, Moved: true, MovedTo: "azure-1"}); err != nil {
		t.Fatal(err)
	}
	wantStalePlacement(t, "get of a moved tenant", send(t, srv.URL, "GET", "/kv/plan", "acme", nil, s, nil), "acme", 7, "azure-1")
	wantStalePlacement(t, "list of a moved tenant", send(t, srv.URL, "GET", "/kv/", "acme", nil, s, nil), "acme", 7, "azure-1")
	wantStalePlacement(t, "put to a moved tenant", send(t, srv.URL, "PUT", "/kv/plan", "acme", []byte("x"), s, withEpoch("7")), "acme", 7, "azure-1")
}

func TestEpochHeaderMalformed(t *testing.T) {
	t.Parallel()
	st := state.New(embedded.New())
	_, srv := testCell(t, Config{Store: st})
	s := signer(t, testKey, nil)
	for _, tc := range []struct {
		name string
		edit func(*http.Request)
	}{
		{"negative", withEpoch("-1")},
		{"plus sign", withEpoch("+5")},
		{"fraction", withEpoch("1.5")},
		{"letters", withEpoch("five")},
		{"hex", withEpoch("0x5")},
		{"over int64", withEpoch("9223372036854775808")},
		{"twenty digits", withEpoch("00000000000000000001")},
		{"empty", func(r *http.Request) { r.Header[EpochHeader] = []string{""} }},
		{"repeated", func(r *http.Request) { r.Header[EpochHeader] = []string{"5", "6"} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, m := range []string{"PUT", "DELETE", "GET"} {
				r := send(t, srv.URL, m, "/kv/k-"+strings.ReplaceAll(tc.name, " ", "-"), "acme", []byte("v"), s, tc.edit)
				var b map[string]string
				r.json(t, &b)
				if r.status != http.StatusBadRequest || !strings.Contains(b["error"], EpochHeader) {
					t.Errorf("%s: %d %s, want 400 naming %s", m, r.status, r.body, EpochHeader)
				}
			}
		})
	}
	if p, err := st.Position(context.Background(), "acme"); err != nil || p != 0 {
		t.Errorf("requests with a malformed epoch wrote: position %d (%v)", p, err)
	}
	if r := send(t, srv.URL, "PUT", "/kv/k", "acme", []byte("v"), s, withEpoch("9223372036854775807")); r.status != http.StatusCreated {
		t.Errorf("the largest epoch: %d %s", r.status, r.body)
	}
}
