package stateapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/workload/refcell"
	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/embedded"
	"github.com/cellfabric/cellfabric/workload/state/stateapi"
)

var (
	edgeKey    = edgeauth.Key{ID: "edge", Secret: []byte("edge-secret-for-the-state-api-tests")}
	controlKey = edgeauth.Key{ID: "control", Secret: []byte("control-secret-for-state-api-tests")}
)

// cell is a reference cell on loopback with its store and a client of its
// state API.
type cell struct {
	url    string
	store  state.Store
	client *stateapi.Client
}

// startCell starts a reference cell over st, with the state API on when
// control is true.
func startCell(t *testing.T, id string, st state.Store, control bool) cell {
	t.Helper()
	cfg := refcell.Config{CellID: id, Cloud: "aws", Region: "local", Keys: []edgeauth.Key{edgeKey}, Store: st}
	if control {
		cfg.ControlKeys = []edgeauth.Key{controlKey}
	}
	c, err := refcell.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(c)
	t.Cleanup(func() { srv.Close(); c.Close() })
	cl, err := stateapi.NewClient(stateapi.ClientConfig{BaseURL: srv.URL, Key: controlKey, MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return cell{url: srv.URL, store: st, client: cl}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

// checksum is the mover's verification: sha256 over key|seq|value of the
// tenant's export, in key order, and the record count.
func checksum(t *testing.T, st state.Store, tenant string) (string, int) {
	t.Helper()
	h := sha256.New()
	n := 0
	if _, err := st.Export(ctx(t), tenant, func(r state.Record) error {
		fmt.Fprintf(h, "%s|%d|", r.Key, r.Seq)
		h.Write(r.Value)
		h.Write([]byte{'\n'})
		n++
		return nil
	}); err != nil {
		t.Fatalf("export for the checksum: %v", err)
	}
	return hex.EncodeToString(h.Sum(nil)), n
}

// edgeWrite sends a write through the cell's data path, signed as the edge,
// with the placement epoch (0: none).
func edgeWrite(t *testing.T, base, method, tenant, key string, value []byte, epoch int64) int {
	t.Helper()
	s, err := edgeauth.NewSigner(edgeKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(method, base+"/kv/"+key, bytes.NewReader(value))
	if err != nil {
		t.Fatal(err)
	}
	s.SignRequestEpoch(req, tenant, epoch)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// moveThroughTheAPI copies tenant from src to dst as the mover does: an
// export into an import, then the feed after the export's position, and
// checks that both hold the same records.
func moveThroughTheAPI(t *testing.T, src, dst cell, tenant string) {
	t.Helper()
	for i := range 30 {
		if _, _, err := src.store.Put(ctx(t), tenant, fmt.Sprintf("k%02d", i), bytes.Repeat([]byte{byte(i)}, i*100), state.Cond{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := src.store.Delete(ctx(t), tenant, "k03", state.Cond{}); err != nil {
		t.Fatal(err)
	}
	var recs []state.Record
	p, err := src.client.Export(ctx(t), tenant, func(r state.Record) error { recs = append(recs, r); return nil })
	if err != nil || p != 31 || len(recs) != 29 {
		t.Fatalf("export through the API: %d records to %d (%v), want 29 to 31", len(recs), p, err)
	}
	// The target's sequence continues above the highest record imported
	// (the deletion at 31 is not in the export; the feed brings it).
	if got, err := dst.client.Import(ctx(t), tenant, recs); err != nil || got != 30 {
		t.Fatalf("import through the API: position %d (%v), want 30", got, err)
	}
	want, n := checksum(t, src.store, tenant)
	if got, m := checksum(t, dst.store, tenant); got != want || m != n {
		t.Fatalf("after the copy: %d records, checksum %s; the source has %d, %s", m, got, n, want)
	}
	// Writes after the export reach the target through the feed,
	// deletions included.
	if _, _, err := src.store.Put(ctx(t), tenant, "k01", []byte("changed"), state.Cond{}); err != nil {
		t.Fatal(err)
	}
	if err := src.store.Delete(ctx(t), tenant, "k02", state.Cond{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := src.store.Put(ctx(t), tenant, "new", []byte{}, state.Cond{}); err != nil {
		t.Fatal(err)
	}
	var feed []state.Record
	for since := p; ; {
		page, next, err := src.client.Changes(ctx(t), tenant, since, 2)
		if err != nil {
			t.Fatalf("changes after %d: %v", since, err)
		}
		feed = append(feed, page...)
		if len(page) < 2 {
			if next != 34 {
				t.Errorf("the feed ended at %d, want 34", next)
			}
			break
		}
		since = next
	}
	if len(feed) != 3 || !feed[1].Deleted || feed[1].Key != "k02" || feed[1].Value != nil || feed[2].Key != "new" || feed[2].Value == nil {
		t.Fatalf("the feed after %d: %+v, want k01, a tombstone of k02, new (empty)", p, feed)
	}
	if _, err := dst.client.Import(ctx(t), tenant, feed); err != nil {
		t.Fatal(err)
	}
	want, n = checksum(t, src.store, tenant)
	if got, m := checksum(t, dst.store, tenant); got != want || m != n {
		t.Fatalf("after following the feed: %d records, checksum %s; the source has %d, %s", m, got, n, want)
	}
	if it, err := dst.store.Get(ctx(t), tenant, "k02"); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("k02, deleted on the source, reads %q on the target (%v)", it.Value, err)
	}
}

func TestMoveThroughTheAPI(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, open func(*testing.T) state.Store) {
		src := startCell(t, "aws-1", open(t), true)
		dst := startCell(t, "azure-1", open(t), true)
		moveThroughTheAPI(t, src, dst, "acme")
	})
}

// TestFenceThroughTheAPI: a fence set through the API refuses a write
// routed on an older epoch through the data path (421), takes one at the
// fence's epoch, and is what the meta reports; the lock goes to one mover.
func TestFenceThroughTheAPI(t *testing.T) {
	t.Parallel()
	eachStore(t, fenceThroughTheAPI)
}

func fenceThroughTheAPI(t *testing.T, open func(*testing.T) state.Store) {
	c := startCell(t, "aws-1", open(t), true)
	if st := edgeWrite(t, c.url, "PUT", "acme", "k", []byte("v"), 0); st != http.StatusCreated {
		t.Fatalf("write before the fence: %d", st)
	}
	m, err := c.client.SetFence(ctx(t), "acme", state.FenceState{Fence: 3})
	if err != nil || m.Fence != 3 || m.Position != 1 {
		t.Fatalf("fence through the API: %+v %v", m, err)
	}
	if st := edgeWrite(t, c.url, "PUT", "acme", "k", []byte("stale"), 2); st != http.StatusMisdirectedRequest {
		t.Errorf("a write at epoch 2 over fence 3: %d, want 421", st)
	}
	if st := edgeWrite(t, c.url, "PUT", "acme", "k", []byte("fresh"), 3); st != http.StatusOK {
		t.Errorf("a write at epoch 3 over fence 3: %d, want 200", st)
	}
	if st := edgeWrite(t, c.url, "PUT", "globex", "k", []byte("v"), 0); st != http.StatusCreated {
		t.Errorf("another tenant's write: %d, want 201", st)
	}
	if m, err := c.client.Meta(ctx(t), "acme"); err != nil || m.Fence != 3 || m.Position != 2 {
		t.Errorf("meta through the API: %+v %v", m, err)
	}
	if _, err := c.client.SetFence(ctx(t), "acme", state.FenceState{Fence: -1}); !errors.Is(err, state.ErrInvalid) {
		t.Errorf("a negative fence: %v, want ErrInvalid", err)
	}
}

func TestLockContentionThroughTheAPI(t *testing.T) {
	t.Parallel()
	eachStore(t, lockContention)
}

func lockContention(t *testing.T, open func(*testing.T) state.Store) {
	c := startCell(t, "aws-1", open(t), true)
	other, err := stateapi.NewClient(stateapi.ClientConfig{BaseURL: c.url, Key: controlKey})
	if err != nil {
		t.Fatal(err)
	}
	clients := []*stateapi.Client{c.client, other, c.client, other}
	errs := make([]error, len(clients))
	var wg sync.WaitGroup
	for i, cl := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = cl.Lock(ctx(t), "acme", state.MoveLock{ID: fmt.Sprintf("move-%d", i), Owner: "test", Expires: time.Now().Add(time.Minute)})
		}()
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		if err == nil {
			if winner >= 0 {
				t.Fatalf("moves %d and %d both hold the lock", winner, i)
			}
			winner = i
		}
	}
	if winner < 0 {
		t.Fatalf("no move took the lock: %v", errs)
	}
	holder := fmt.Sprintf("move-%d", winner)
	for i, err := range errs {
		var le *state.LockedError
		if i != winner && (!errors.As(err, &le) || le.Holder == nil || le.Holder.ID != holder) {
			t.Errorf("move %d: %v, want a LockedError naming %s", i, err, holder)
		}
	}
	loser := state.MoveLock{ID: "move-x", Expires: time.Now().Add(time.Minute)}
	// The refusal names the move that asked, as the store's own does.
	var le *state.LockedError
	if _, err := other.Renew(ctx(t), "acme", loser); !errors.As(err, &le) || le.ID != loser.ID {
		t.Errorf("renew by a non-holder: %v, want a LockedError of move %s", err, loser.ID)
	}
	if _, err := other.Unlock(ctx(t), "acme", loser); !errors.As(err, &le) || le.ID != loser.ID {
		t.Errorf("unlock by a non-holder: %v, want a LockedError of move %s", err, loser.ID)
	}
	won := state.MoveLock{ID: holder, Step: "copy", Expires: time.Now().Add(2 * time.Minute)}
	if m, err := c.client.Renew(ctx(t), "acme", won); err != nil || m.Lock == nil || m.Lock.Step != "copy" {
		t.Errorf("renew by the holder: %+v %v", m.Lock, err)
	}
	if m, err := c.client.Unlock(ctx(t), "acme", won); err != nil || m.Lock != nil {
		t.Errorf("unlock by the holder: %+v %v", m.Lock, err)
	}
}

// TestRefusedRequestsChangeNothing: requests that are unsigned, signed
// with a forged control secret, signed with the edge key, or altered after
// signing get 401, and the tenant's fence, lock and data are unchanged.
func TestRefusedRequestsChangeNothing(t *testing.T) {
	t.Parallel()
	eachStore(t, refusedRequests)
}

func refusedRequests(t *testing.T, open func(*testing.T) state.Store) {
	c := startCell(t, "aws-1", open(t), true)
	if _, _, err := c.store.Put(ctx(t), "acme", "k", []byte("v"), state.Cond{}); err != nil {
		t.Fatal(err)
	}
	signerOf := func(k edgeauth.Key) *edgeauth.Signer {
		s, err := edgeauth.NewSigner(k, nil)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	forged := edgeauth.Key{ID: controlKey.ID, Secret: []byte("not-the-control-secret-but-long-enough")}
	u, _ := url.Parse(c.url)
	fence, _ := json.Marshal(state.FenceState{Fence: 9, FenceAll: true})
	lock, _ := json.Marshal(state.MoveLock{ID: "evil", Expires: time.Now().Add(time.Minute)})
	imp := []byte(`{"key":"k","value":"ZXZpbA==","seq":99,"deleted":false}` + "\n")
	type req struct {
		method, op string
		body       []byte
	}
	reqs := []req{{"PUT", "fence", fence}, {"POST", "lock", lock}, {"POST", "import", imp}}
	for _, tc := range []struct {
		name, reason string
		sign         func(r *http.Request, q req)
	}{
		{"unsigned", directory.AuthUnsigned, func(r *http.Request, q req) { r.URL.RawQuery = "body=" + directory.BodyHash(q.body) }},
		{"forged control secret", directory.AuthBadSignature, func(r *http.Request, q req) {
			h, raw := directory.SignControl(signerOf(forged), r.Method, u.Host, r.URL.EscapedPath(), nil, q.body)
			r.Header.Set(edgeauth.SignatureHeader, h)
			r.URL.RawQuery = raw
		}},
		{"edge key", directory.AuthUnknownKey, func(r *http.Request, q req) {
			h, raw := directory.SignControl(signerOf(edgeKey), r.Method, u.Host, r.URL.EscapedPath(), nil, q.body)
			r.Header.Set(edgeauth.SignatureHeader, h)
			r.URL.RawQuery = raw
		}},
		{"edge request signature", directory.AuthUnknownKey, func(r *http.Request, q req) { signerOf(edgeKey).SignRequest(r, "acme") }},
		{"body altered", directory.AuthBodyMismatch, func(r *http.Request, q req) {
			h, raw := directory.SignControl(signerOf(controlKey), r.Method, u.Host, r.URL.EscapedPath(), nil, []byte("{}"))
			r.Header.Set(edgeauth.SignatureHeader, h)
			r.URL.RawQuery = raw
		}},
		{"signed for another endpoint", directory.AuthBadSignature, func(r *http.Request, q req) {
			h, raw := directory.SignControl(signerOf(controlKey), r.Method, u.Host, stateapi.BasePath+"/acme/meta", nil, q.body)
			r.Header.Set(edgeauth.SignatureHeader, h)
			r.URL.RawQuery = raw
		}},
	} {
		for _, q := range reqs {
			t.Run(tc.name+" "+q.op, func(t *testing.T) {
				r, err := http.NewRequest(q.method, c.url+stateapi.BasePath+"/acme/"+q.op, bytes.NewReader(q.body))
				if err != nil {
					t.Fatal(err)
				}
				tc.sign(r, q)
				resp, err := http.DefaultClient.Do(r)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var eb stateapi.ErrorBody
				_ = json.NewDecoder(resp.Body).Decode(&eb)
				if resp.StatusCode != http.StatusUnauthorized || eb.Reason != tc.reason {
					t.Errorf("%d %s (%s), want 401 %s", resp.StatusCode, eb.Reason, eb.Error, tc.reason)
				}
			})
		}
	}
	if m, err := c.store.Meta(ctx(t), "acme"); err != nil || m != (state.TenantMeta{Position: 1}) {
		t.Errorf("refused requests changed the tenant's meta: %+v (%v)", m, err)
	}
	if it, err := c.store.Get(ctx(t), "acme", "k"); err != nil || string(it.Value) != "v" || it.Seq != 1 {
		t.Errorf("refused requests changed the data: %q at %d (%v)", it.Value, it.Seq, err)
	}
}

// TestAPIOffWithoutAControlKey: a cell started without a control key
// answers 404 on the API's paths, even to a request signed with one.
func TestAPIOffWithoutAControlKey(t *testing.T) {
	t.Parallel()
	c := startCell(t, "aws-1", state.New(embedded.New()), false)
	_, err := c.client.SetFence(ctx(t), "acme", state.FenceState{Fence: 1})
	var ae *stateapi.Error
	if !errors.As(err, &ae) || ae.Status != http.StatusNotFound {
		t.Fatalf("fence on a cell without a control key: %v, want 404", err)
	}
	if m, err := c.store.Meta(ctx(t), "acme"); err != nil || m.Fence != 0 {
		t.Errorf("the fence was set: %+v (%v)", m, err)
	}
}

// TestAControlKeyMustDifferFromTheEdgeKey: a cell refuses to start with a
// control key that has an edge key's secret.
func TestAControlKeyMustDifferFromTheEdgeKey(t *testing.T) {
	t.Parallel()
	_, err := refcell.New(refcell.Config{CellID: "aws-1", Cloud: "aws", Keys: []edgeauth.Key{edgeKey},
		ControlKeys: []edgeauth.Key{{ID: "control", Secret: edgeKey.Secret}}, Store: state.New(embedded.New())})
	if err == nil {
		t.Fatal("a control key with the edge key's secret was accepted")
	}
}
