package mover

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/control/directory/dirhttp"
	"github.com/cellfabric/cellfabric/internal/movekit"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/router/health"
	"github.com/cellfabric/cellfabric/router/server"
	"github.com/cellfabric/cellfabric/workload/refcell"
	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/embedded"
	"github.com/cellfabric/cellfabric/workload/state/stateapi"
)

// The test kit: two reference cells of internal/movekit on loopback with
// different store adapters (embedded in memory, embedded on disk), the
// tenant directory over dirhttp, and server routers in front, all real
// servers.

const tenantID = "acme"

// The clients the CLI gives the mover implement its interfaces.
var (
	_ Directory = (*dirhttp.Client)(nil)
	_ CellState = (*stateapi.Client)(nil)
)

type kit struct {
	t      *testing.T
	cells  map[string]*movekit.Cell
	reg    *router.Registry
	dir    *dirhttp.Client
	router string // the live router's URL
	hc     *http.Client
}

func newKit(t *testing.T) *kit {
	t.Helper()
	k := &kit{t: t, hc: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 10 * time.Second}}
	t.Cleanup(k.hc.CloseIdleConnections)
	disk, err := embedded.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	mk, err := movekit.Start([]movekit.CellSpec{{ID: "cell-a", Backend: embedded.New()}, {ID: "cell-b", Backend: disk}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mk.Close)
	k.cells, k.reg, k.dir = mk.Cells, mk.Registry, mk.Dir
	if _, err := k.dir.Put(context.Background(), router.Tenant{ID: tenantID, Cell: "cell-a", Residency: "eu"}, directory.PutOptions{IfAbsent: true}); err != nil {
		t.Fatal(err)
	}
	k.router = k.startRouter(5 * time.Millisecond)
	return k
}

// startRouter starts a server router over the directory, polling it
// every poll, and returns its URL once it routes the tenant.
func (k *kit) startRouter(poll time.Duration) string {
	u, _ := k.startRouterServer(poll)
	return u
}

// startRouterServer is startRouter, also returning the router.
func (k *kit) startRouterServer(poll time.Duration) (string, *server.Router) {
	t := k.t
	t.Helper()
	store := router.NewStore(nil)
	if err := store.Install(k.reg, "memory"); err != nil {
		t.Fatal(err)
	}
	signer, err := edgeauth.NewSigner(movekit.EdgeKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := server.New(server.Config{Store: store, Signer: signer, Health: health.New(health.Config{Interval: time.Hour}),
		DirectoryFeed: dirhttp.Feed{C: k.dir}, DirectoryPoll: poll, UpstreamTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rt.Serve(ctx, ln, nil) }()
	t.Cleanup(func() { cancel(); <-done })
	u := "http://" + ln.Addr().String()
	for i := 0; ; i++ { // until the directory has loaded
		if _, cell, err := k.get(u, "probe"); err == nil && cell != "" {
			break
		}
		if i > 500 {
			t.Fatal("the router never routed the tenant")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return u, rt
}

// put writes key=value for the tenant through the router at base; it
// returns the status, the cell that answered and the ETag's seq.
func (k *kit) put(base, key, value string) (int, string, uint64, error) {
	req, _ := http.NewRequest(http.MethodPut, base+"/kv/"+key, strings.NewReader(value))
	req.Header.Set("X-Tenant-ID", tenantID)
	resp, err := k.hc.Do(req)
	if err != nil {
		return 0, "", 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	seq, _ := state.ParseETag(resp.Header.Get("ETag"))
	return resp.StatusCode, resp.Header.Get(refcell.CellIDHeader), seq, nil
}

// get reads key through the router at base: its status and the cell.
func (k *kit) get(base, key string) (int, string, error) {
	req, _ := http.NewRequest(http.MethodGet, base+"/kv/"+key, nil)
	req.Header.Set("X-Tenant-ID", tenantID)
	resp, err := k.hc.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get(refcell.CellIDHeader), nil
}

// mover returns a Mover over the kit; onStep, when set, sees every event.
func (k *kit) mover(onStep func(Event)) *Mover {
	k.t.Helper()
	return k.moverOver(onStep, nil)
}

// moverOver is a mover whose cells' state APIs are wrap's (nil: as they
// are), for faults between the mover and a cell.
func (k *kit) moverOver(onStep func(Event), wrap func(cell string, c CellState) CellState) *Mover {
	k.t.Helper()
	m, err := New(Config{
		Directory: k.dir, Registry: k.reg, OnStep: onStep,
		Cells: func(id string) (CellState, error) {
			c, ok := k.cells[id]
			if !ok {
				return nil, fmt.Errorf("no cell %s", id)
			}
			if wrap != nil {
				return wrap(id, c.API), nil
			}
			return c.API, nil
		},
	})
	if err != nil {
		k.t.Fatal(err)
	}
	return m
}

// options are a move of the tenant to cell-b with small test sizes (the
// lag threshold above the 256 keys the load rewrites all the time) and a
// read through the live router.
func (k *kit) options() Options {
	return Options{Tenant: tenantID, Target: "cell-b", LagThreshold: 300, FollowDeadline: 5 * time.Second, ImportBatch: 100, LockTTL: 5 * time.Second,
		ReadThrough: func(ctx context.Context, tenant, key string) (string, error) {
			status, cell, err := k.get(k.router, key)
			if err == nil && status >= 500 {
				err = fmt.Errorf("status %d", status)
			}
			return cell, err
		}}
}

// seed writes n keys of the tenant straight into the source's store.
func (k *kit) seed(n int) {
	for i := range n {
		if _, _, err := k.cells["cell-a"].Store.Put(context.Background(), tenantID, "seed-"+strconv.Itoa(i), []byte("v"+strconv.Itoa(i)), state.Cond{}); err != nil {
			k.t.Fatal(err)
		}
	}
}

// ack is one write's outcome as its writer saw it.
type ack struct {
	value string
	seq   uint64
	cell  string
}

// load is writers writing the tenant through the router: each writer its
// own keys, one write at a time, so each key's last acknowledged value is
// the one the store must hold.
type load struct {
	k       *kit
	stop    chan struct{}
	once    sync.Once
	wg      sync.WaitGroup
	acked   atomic.Int64
	byCell  sync.Map // cell → *atomic.Int64
	mu      sync.Mutex
	last    map[string]ack    // key → last acknowledged write
	unknown map[string]string // key → value of a write whose outcome is unknown, after last
	errs    []error
}

const writerKeys = 8

func (k *kit) startLoad(writers int) *load {
	l := &load{k: k, stop: make(chan struct{}), last: map[string]ack{}, unknown: map[string]string{}}
	for w := range writers {
		l.wg.Add(1)
		go l.writer(w)
	}
	return l
}

func (l *load) writer(w int) {
	defer l.wg.Done()
	for i := 0; ; i++ {
		select {
		case <-l.stop:
			return
		default:
		}
		key := fmt.Sprintf("w%d-k%d", w, i%writerKeys)
		value := fmt.Sprintf("w%d-%d", w, i)
		status, cell, seq, err := l.k.put(l.k.router, key, value)
		l.mu.Lock()
		switch {
		case err == nil && (status == 200 || status == 201):
			if prev, ok := l.last[key]; ok && seq <= prev.seq {
				l.errs = append(l.errs, fmt.Errorf("key %s: acknowledged seq %d after seq %d", key, seq, prev.seq))
			}
			l.last[key] = ack{value: value, seq: seq, cell: cell}
			delete(l.unknown, key)
			l.acked.Add(1)
			n, _ := l.byCell.LoadOrStore(cell, new(atomic.Int64))
			n.(*atomic.Int64).Add(1)
		case err == nil && (status == 503 || status == 421):
			// Refused before anything was written (fenced / migrating).
			time.Sleep(time.Millisecond)
		case err == nil && status < 500:
			l.errs = append(l.errs, fmt.Errorf("key %s: status %d", key, status))
		default:
			// A 502/504 or a cut connection: the write may have happened.
			l.unknown[key] = value
			time.Sleep(time.Millisecond)
		}
		l.mu.Unlock()
	}
}

// cellAcks returns how many writes cell acknowledged.
func (l *load) cellAcks(cell string) int64 {
	if n, ok := l.byCell.Load(cell); ok {
		return n.(*atomic.Int64).Load()
	}
	return 0
}

// waitFor waits until cond holds (the load makes progress), failing the
// test after a generous bound.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (l *load) finish() {
	l.once.Do(func() { close(l.stop) })
	l.wg.Wait()
}

// checkZeroLoss is the zero-loss verifier: every acknowledged write is
// on cell (the tenant's cell after the move) with its value and seq (or a
// later write whose outcome was unknown), and the old cell accepted no
// write after switchPos.
func (l *load) checkZeroLoss(t *testing.T, cell, old string, switchPos uint64) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, err := range l.errs {
		t.Error(err)
	}
	if len(l.last) == 0 {
		t.Fatal("no write was acknowledged")
	}
	st := l.k.cells[cell].Store
	for key, a := range l.last {
		it, err := st.Get(context.Background(), tenantID, key)
		if err != nil {
			t.Errorf("key %s (last acknowledged %q seq %d by %s): %v", key, a.value, a.seq, a.cell, err)
			continue
		}
		if u, ok := l.unknown[key]; ok && string(it.Value) == u && it.Seq > a.seq {
			continue
		}
		if string(it.Value) != a.value || it.Seq != a.seq {
			t.Errorf("key %s on %s is %q seq %d, want the last acknowledged %q seq %d (by %s)", key, cell, it.Value, it.Seq, a.value, a.seq, a.cell)
		}
	}
	if old == "" {
		return
	}
	var late []string
	if _, err := l.k.cells[old].Store.Export(context.Background(), tenantID, func(r state.Record) error {
		if r.Seq > switchPos {
			late = append(late, fmt.Sprintf("%s@%d", r.Key, r.Seq))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	recs, _, err := l.k.cells[old].Store.Changes(context.Background(), tenantID, switchPos, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(late) > 0 || len(recs) > 0 {
		t.Errorf("the old cell %s accepted writes after the switch at %d: %v, %d in its feed", old, switchPos, late, len(recs))
	}
}

// errorsAs is errors.As for a target type.
func errorsAs[T error](err error) (T, bool) {
	var t T
	ok := errors.As(err, &t)
	return t, ok
}
