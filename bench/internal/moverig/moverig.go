// Package moverig starts what the tenant-move benchmarks (bench/moves,
// bench/standby) run against, on loopback: two reference cells of
// internal/movekit (cell-a in memory, cell-b on the backend given) with the
// tenant directory, the tenant on cell-a holding its keys, and a server
// router of bench/internal/kit that follows the directory's feed. It also
// holds what their writers share: a write through the router, the last
// acknowledged write of each key with the check that a cell holds them
// all, and the load average they print.
package moverig

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cellfabric/cellfabric/bench/internal/kit"
	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/control/directory/dirhttp"
	"github.com/cellfabric/cellfabric/control/mover"
	"github.com/cellfabric/cellfabric/internal/movekit"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/router/server"
	"github.com/cellfabric/cellfabric/workload/state"
	"github.com/cellfabric/cellfabric/workload/state/embedded"
)

// Config is what Start sets up.
type Config struct {
	// Tenant is the tenant's id. Required.
	Tenant string
	// Failover is the tenant's failover cells in the directory. Zero: none.
	Failover []string
	// Keys is how many keys (k0 … k<Keys-1>, 100-byte values) the tenant
	// holds on cell-a at the start. At least 1: Start waits for the router
	// to read k0.
	Keys int
	// Second is cell-b's store adapter. Nil: embedded, in memory.
	Second state.Backend
	// Clients is how many requests the router's client sends at once.
	// Zero: 1.
	Clients int
}

// Rig is the running cells, directory and router.
type Rig struct {
	*movekit.Kit
	// Router is the server router in front of the cells; Client the
	// keep-alive client to send through it.
	Router *kit.Router
	Client *http.Client
}

// Start starts the rig; it returns once the router routes the tenant.
// Close stops it.
func Start(cfg Config) (*Rig, error) {
	second := cfg.Second
	if second == nil {
		second = embedded.New()
	}
	k, err := movekit.Start([]movekit.CellSpec{{ID: "cell-a", Backend: embedded.New()}, {ID: "cell-b", Backend: second}})
	if err != nil {
		return nil, err
	}
	r := &Rig{Kit: k, Client: kit.Client(max(1, cfg.Clients))}
	if err := r.start(cfg); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

func (r *Rig) start(cfg Config) error {
	ctx := context.Background()
	if _, err := r.Dir.Put(ctx, router.Tenant{ID: cfg.Tenant, Cell: "cell-a", Failover: cfg.Failover}, directory.PutOptions{IfAbsent: true}); err != nil {
		return err
	}
	a := r.Cells["cell-a"].Store
	for i := range cfg.Keys {
		if _, _, err := a.Put(ctx, cfg.Tenant, "k"+strconv.Itoa(i), []byte(strings.Repeat("v", 100)), state.Cond{}); err != nil {
			return err
		}
	}
	store := router.NewStore(nil)
	if err := store.Install(r.Registry, "bench"); err != nil {
		return err
	}
	signer, err := edgeauth.NewSigner(movekit.EdgeKey, nil) // the key the kit's cells accept
	if err != nil {
		return err
	}
	r.Router, err = kit.StartRouter(store, time.Hour, func(c *server.Config) {
		c.Signer = signer
		c.DirectoryFeed, c.DirectoryPoll = dirhttp.Feed{C: r.Dir}, 5*time.Millisecond
	})
	if err != nil {
		return err
	}
	for i := 0; ; i++ { // until the router has loaded the directory
		if st, err := kit.Get(r.Client, r.Router.URL+"/kv/k0", cfg.Tenant); err == nil && st == http.StatusOK {
			return nil
		}
		if i > 1000 {
			return fmt.Errorf("the router never routed the tenant")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Close stops the router, the cells and the directory.
func (r *Rig) Close() {
	if r.Router != nil {
		_ = r.Router.Stop()
	}
	r.Kit.Close()
}

// Mover returns a mover over the rig's directory and cells.
func (r *Rig) Mover() (*mover.Mover, error) {
	return mover.New(mover.Config{Directory: r.Dir, Registry: r.Registry, Cells: func(id string) (mover.CellState, error) { return r.CellAPI(id) }})
}

// Put writes value to key of tenant through the router at url. It returns
// the answer's status and, when the write was acknowledged (200, 201), its
// seq; err when no answer came.
func Put(hc *http.Client, url, tenant, key, value string) (int, uint64, error) {
	req, err := http.NewRequest(http.MethodPut, url+"/kv/"+key, strings.NewReader(value))
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("X-Tenant-ID", tenant)
	resp, err := hc.Do(req)
	if err != nil {
		return 0, 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	var seq uint64
	if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusCreated {
		seq, _ = state.ParseETag(resp.Header.Get("ETag"))
	}
	return resp.StatusCode, seq, nil
}

// Loadavg is the machine's load average (1, 5, 15 minutes), "?" when
// unknown.
func Loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// Acked is the last acknowledged write of each key, as the writers saw
// it. Writers may add to it at once. The zero value is ready to use.
type Acked struct {
	mu   sync.Mutex
	last map[string]ack
}

type ack struct {
	value string
	seq   uint64
}

// Add records that the write of value to key was acknowledged at seq.
func (a *Acked) Add(key, value string, seq uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.last == nil {
		a.last = map[string]ack{}
	}
	a.last[key] = ack{value, seq}
}

// Keys is how many keys were written.
func (a *Acked) Keys() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.last)
}

// Lost counts the keys whose last acknowledged write st does not hold
// for tenant, with its value and seq.
func (a *Acked) Lost(st state.Store, tenant string) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for key, w := range a.last {
		it, err := st.Get(context.Background(), tenant, key)
		if err != nil {
			return 0, fmt.Errorf("key %s: %w", key, err)
		}
		if string(it.Value) != w.value || it.Seq != w.seq {
			n++
		}
	}
	return n, nil
}
