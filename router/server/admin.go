package server

import (
	"encoding/json"
	"net/http"
	"net/http/pprof"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/internal/logattr"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/health"
)

// AdminHandler serves the admin listener: /healthz, /readyz, /metrics,
// the admin API and, with Config.Pprof, /debug/pprof/. Keep it on a
// private address.
func (rt *Router) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	if rt.cfg.Pprof {
		// pprof.Index serves every named profile (heap, allocs, goroutine,
		// ...) under /debug/pprof/; the others need their own routes.
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("POST /debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		switch {
		case rt.draining.Load():
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("draining\n"))
		case rt.cfg.Store.Snapshot() == nil:
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("no valid registry yet\n"))
		case rt.dirSync != nil && !rt.dirSync.ready():
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("waiting for the tenant directory's first load\n"))
		case rt.dirSync != nil && !rt.dirSync.loaded.Load():
			_, _ = w.Write([]byte("ready (the tenant directory has not loaded: routing the registry's tenants only)\n"))
		default:
			_, _ = w.Write([]byte("ready\n"))
		}
	})
	mux.Handle("GET /metrics", rt.metricsHandler())
	mux.HandleFunc("GET /admin/registry", func(w http.ResponseWriter, _ *http.Request) {
		snap := rt.cfg.Store.Snapshot()
		if snap == nil {
			WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "no valid registry yet"})
			return
		}
		WriteJSON(w, http.StatusOK, snap.Registry())
	})
	mux.HandleFunc("GET /admin/directory", func(w http.ResponseWriter, _ *http.Request) {
		WriteJSON(w, http.StatusOK, rt.DirectoryStatus())
	})
	mux.HandleFunc("GET /admin/cells", func(w http.ResponseWriter, _ *http.Request) {
		WriteJSON(w, http.StatusOK, rt.Cells())
	})
	mux.HandleFunc("GET /admin/route", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		method := q.Get("method")
		if method == "" {
			method = http.MethodGet
		}
		path := q.Get("path")
		if path == "" {
			path = "/"
		}
		ex, ok := rt.Explain(router.Request{Method: method, Path: path, Tenant: q.Get("tenant")})
		if !ok {
			WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "no valid registry yet"})
			return
		}
		WriteJSON(w, http.StatusOK, ex)
	})
	mux.HandleFunc("POST /admin/cells/{id}/{action}", func(w http.ResponseWriter, r *http.Request) {
		if !rt.cfg.AdminWrites {
			WriteJSON(w, http.StatusForbidden, map[string]string{"error": "admin writes are off; start the router with admin writes enabled (cellfabric route --admin-writes)"})
			return
		}
		var o health.Override
		switch r.PathValue("action") {
		case "down":
			o = health.OverrideDown
		case "up":
			o = health.OverrideUp
		case "auto":
			o = health.OverrideNone
		default:
			WriteJSON(w, http.StatusNotFound, map[string]string{"error": "unknown action; want down, up or auto"})
			return
		}
		if err := rt.cfg.Health.SetOverride(r.PathValue("id"), o); err != nil {
			WriteJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
			return
		}
		rt.cfg.Logger.Info("cell override set by the admin API", logattr.Cell, r.PathValue("id"), "override", o.String())
		WriteJSON(w, http.StatusOK, rt.Cells())
	})
	return mux
}

// WriteJSON answers with status and v as the admin API answers: indented
// JSON, Content-Type application/json, Cache-Control no-store. Handlers
// served beside AdminHandler (cellfabric local's /local/ endpoints) answer
// with it too.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// CellView is a cell as the admin API shows it: registry data and health.
type CellView struct {
	ID        string           `json:"id"`
	Cloud     string           `json:"cloud"`
	Region    string           `json:"region"`
	Endpoint  string           `json:"endpoint"`
	HealthURL string           `json:"healthUrl,omitempty"`
	Weight    int              `json:"weight"`
	State     fabric.CellState `json:"state"`
	Health    health.Status    `json:"health"`
}

func cellView(c *router.Cell, h health.Status) CellView {
	return CellView{ID: c.ID, Cloud: string(c.Cloud), Region: c.Region, Endpoint: c.Endpoint, HealthURL: c.HealthURL, Weight: c.Weight, State: c.EffectiveState(), Health: h}
}

// CellsView is the answer of GET /admin/cells.
type CellsView struct {
	Epoch int64      `json:"epoch"`
	Cells []CellView `json:"cells"`
}

// Cells returns the registry's cells with their health.
func (rt *Router) Cells() CellsView {
	var v CellsView
	snap := rt.cfg.Store.Snapshot()
	if snap == nil {
		return v
	}
	v.Epoch = snap.Epoch()
	status := map[string]health.Status{}
	for _, s := range rt.cfg.Health.Status() {
		status[s.Cell] = s
	}
	for i := range snap.Cells() {
		c := &snap.Cells()[i]
		v.Cells = append(v.Cells, cellView(c, status[c.ID]))
	}
	return v
}

// Explanation is the answer of GET /admin/route: what the tenant directory
// or the registry says about the request and where it would go now. Its
// JSON keys are camelCase, nested ones included (router.Request and
// router.TenantRoute carry their own tags).
type Explanation struct {
	Epoch   int64          `json:"epoch"`
	Request router.Request `json:"request"`
	Known   bool           `json:"known"`
	// Source says where the tenant's placement comes from: "directory" or
	// "registry"; empty for an unknown tenant or a shared route.
	Source string              `json:"source,omitempty"`
	Tenant *router.TenantRoute `json:"tenant,omitempty"`
	Policy fabric.Policy       `json:"unknownTenants"`
	// Cells are the tenant's cells in order (primary first) with their
	// health, or the candidates of a shared route or placement.
	Cells   []CellView `json:"cells"`
	Forward bool       `json:"forward"`
	Status  int        `json:"status,omitempty"`
	Reason  string     `json:"reason,omitempty"`
	Via     string     `json:"via,omitempty"`
	Chosen  string     `json:"chosen,omitempty"`
	Retries []string   `json:"retryOrder,omitempty"`
	Message string     `json:"message"`
}

// Explain decides req against the current directory, registry and health,
// without sending anything (a tenant in neither is shown as the registry's
// policy would place it; the placement hook is not called), and says why.
// ok is false without a registry.
func (rt *Router) Explain(req router.Request) (Explanation, bool) {
	snap := rt.cfg.Store.Snapshot()
	if snap == nil {
		return Explanation{}, false
	}
	var (
		d         router.Decision
		tr        router.TenantRoute
		source    string
		placement router.Placement
		given     router.Tenant
	)
	if p, ok := rt.lookup(req.Tenant); ok {
		placement = p
		given = placement.Tenant()
		d = snap.DecideFor(req, &given, rt.cfg.Health)
		source = "directory"
		tr = router.TenantRoute{Tenant: p.ID, Cells: append([]string{p.Cell}, p.Failover()...), State: p.State.OrDefault()}
	} else {
		d = rt.decideRegistry(snap, req)
		if tr, ok = snap.Tenant(req.Tenant); ok {
			source = "registry"
		}
	}
	ex := Explanation{Epoch: snap.Epoch(), Request: req, Policy: snap.Policy(), Forward: d.Forward(), Message: d.Message()}
	if !d.Forward() {
		ex.Status, ex.Reason = d.Status, string(d.Reason)
	} else {
		ex.Via, ex.Chosen = string(d.Via), d.Cell(0).ID
		for i := 1; i < d.Len(); i++ {
			if rt.cfg.Health.Healthy(d.Cell(i).ID) {
				ex.Retries = append(ex.Retries, d.Cell(i).ID)
			}
		}
	}
	status := map[string]health.Status{}
	for _, s := range rt.cfg.Health.Status() {
		status[s.Cell] = s
	}
	var ids []string
	if source != "" {
		ex.Known, ex.Source, ex.Tenant = true, source, &tr
		ids = tr.Cells
	} else {
		for i := 0; i < d.Len(); i++ {
			ids = append(ids, d.Cell(i).ID)
		}
	}
	for _, id := range ids {
		c, ok := snap.Cell(id)
		if !ok { // a directory entry may name a cell this registry lacks
			c = &router.Cell{ID: id, State: fabric.CellDown}
		}
		ex.Cells = append(ex.Cells, cellView(c, status[id]))
	}
	return ex, true
}
