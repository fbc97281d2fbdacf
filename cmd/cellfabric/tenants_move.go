package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/control/directory/dirhttp"
	"github.com/cellfabric/cellfabric/control/mover"
	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/workload/refcell"
	"github.com/cellfabric/cellfabric/workload/state"
)

// Defaults of `cellfabric tenants move`, in one place.
const (
	// defaultMoveRegistry is where `cellfabric local` serves the registry
	// its router holds (the router's admin API): the cells' endpoints.
	defaultMoveRegistry = "http://" + localAdmin + "/admin/registry"
	// defaultMoveRouter is `cellfabric local`'s router, which the verify
	// step reads the tenant through.
	defaultMoveRouter = "http://" + localListen
	// moveHTTPTimeout bounds a registry fetch, a health check and a read
	// through the router.
	moveHTTPTimeout = 10 * time.Second
)

// moveFlags are the flags of `tenants move`.
type moveFlags struct {
	to, moveID, registry, router string
	dryRun, abort, force         bool
	fenceAtDeadline              bool
	cellAPI                      cellAPIFlag
	viaEdge                      string
	lag                          uint64
	followDeadline               time.Duration
	batch, parallel              int
}

// cellAPIFlag is the repeatable --cell-api CELL=URL.
type cellAPIFlag map[string]string

func (f *cellAPIFlag) String() string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(*f)) {
		parts = append(parts, k+"="+(*f)[k])
	}
	return strings.Join(parts, ",")
}

func (f *cellAPIFlag) Set(v string) error {
	cell, u, ok := strings.Cut(v, "=")
	if !ok || cell == "" || (!strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://")) {
		return errors.New("want CELL=http(s)://host:port")
	}
	if *f == nil {
		*f = cellAPIFlag{}
	}
	(*f)[cell] = u
	return nil
}

const moveUsage = `move TENANT --to CELL [--dry-run] [--abort] [--move-id ID] [--registry FILE|URL] [--via-edge URL] [--cell-api CELL=URL]...

Moves a tenant with its data to another cell while it keeps serving:
check, copy, follow, fence, drain, switch, verify, done. Writes are refused
(503, retry) only between fence and switch; reads never stop. Each step is
journaled in the tenant's move lock on its cells: a move that stopped is
resumed with --move-id ID, or undone with --abort (before its switch).

The cells' state admin APIs are reached at their registry endpoints (the
registry the router serves: cellfabric local's is the default), or where
--cell-api says. In a deployment the cells admit only the edge: give
--via-edge with the edge Worker's URL (it needs its CONTROL_KEY bound),
which verifies the control key and forwards each call to the cell; the
target's health is then checked by reading the tenant's state meta
through it. --cell-api still wins for the cells it names (their health
is then a read of the meta at that URL).`

func tenantsMove(ctx context.Context, args []string, stdout, stderr io.Writer, env tenantsEnv) int {
	var o apiOptions
	var f moveFlags
	fs := subFlags("move", moveUsage, &o, stderr)
	fs.StringVar(&f.to, "to", "", "the `CELL` to move the tenant to")
	fs.BoolVar(&f.dryRun, "dry-run", false, "print the plan and what would stop it; change nothing")
	fs.BoolVar(&f.abort, "abort", false, "undo the tenant's unfinished move (before its switch): the tenant goes back to its source, unchanged")
	fs.StringVar(&f.moveID, "move-id", "", "resume the move with this `ID` (printed when a move stops), without waiting for its lock to expire")
	fs.StringVar(&f.registry, "registry", defaultMoveRegistry, "the registry the routers serve, as a `FILE or URL` (the cells, their endpoints, geo and state)")
	fs.Var(&f.cellAPI, "cell-api", "reach `CELL=URL`'s state admin API at URL instead of its registry endpoint (repeatable)")
	bindViaEdge(fs, &f.viaEdge)
	fs.StringVar(&f.router, "router", defaultMoveRouter, "router `URL` the verify step reads the tenant through (GET /kv/<key>, X-Tenant-ID); \"\" to skip")
	fs.Uint64Var(&f.lag, "lag-threshold", mover.DefaultLagThreshold, "fence once a read of the change feed brings at most `N` records")
	fs.DurationVar(&f.followDeadline, "follow-deadline", mover.DefaultFollowDeadline, "follow the change feed at most this `long`; still behind then, the move is aborted (or fenced with --fence-at-deadline)")
	fs.BoolVar(&f.fenceAtDeadline, "fence-at-deadline", false, "fence at the follow deadline whatever the lag (writes then wait for the whole lag to drain) instead of aborting")
	fs.IntVar(&f.batch, "import-batch", mover.DefaultImportBatch, "records per import (at most 1000)")
	fs.IntVar(&f.parallel, "import-parallel", mover.DefaultImportParallel, "imports at once")
	fs.BoolVar(&f.force, "force-overwrite", false, "replace data the target holds for the tenant that no earlier move left there")
	check := func() string {
		switch {
		case f.abort && f.dryRun:
			return "--abort and --dry-run together: pick one"
		case !f.abort && f.to == "":
			return "--to is required: the cell to move the tenant to"
		}
		return ""
	}
	id, code, ok := parseSub(fs, args, "the tenant ID", check)
	if !ok {
		return code
	}
	dir, cr, err := reachCells(ctx, &o, env, f.registry, f.cellAPI, f.viaEdge)
	if err != nil {
		return fail(stderr, "move", err)
	}
	reg := cr.reg
	start := time.Now()
	steps := stdout // the step lines; with -o json stdout holds the JSON only
	if o.output == "json" {
		steps = stderr
	}
	var mdir mover.Directory = dir
	if !f.abort {
		seeded, err := seedFromRegistry(ctx, dir, reg, id, f.dryRun)
		if err != nil {
			return fail(stderr, "move", err)
		}
		if seeded != nil {
			verb := "added to"
			if f.dryRun {
				verb, mdir = "would be added to", seededDirectory{Directory: dir, entry: *seeded}
			}
			fmt.Fprintf(steps, "tenant %s is a tenant of the stack file (the registry's seed), not of the tenant directory: %s the directory as the registry places it (cell %s) before the move, so that the move can raise its epoch\n", id, verb, seeded.Cell)
		}
	}
	m, err := mover.New(mover.Config{
		Directory: mdir, Registry: reg,
		Cells:  cr.client,
		Health: cr.healthBy(id),
		Owner:  moveOwner(),
		OnStep: func(e mover.Event) { printStep(steps, e) },
	})
	if err != nil {
		return fail(stderr, "move", err)
	}
	opts := mover.Options{Tenant: id, Target: f.to, MoveID: f.moveID, LagThreshold: f.lag, FollowDeadline: f.followDeadline, FenceAtDeadline: f.fenceAtDeadline,
		ImportBatch: f.batch, ImportParallel: f.parallel, ForceOverwrite: f.force}
	if f.router != "" {
		opts.ReadThrough = func(ctx context.Context, tenant, key string) (string, error) {
			return readThrough(ctx, cr.hc, f.router, tenant, key)
		}
	}
	switch {
	case f.abort:
		ar, err := m.Abort(ctx, id, f.to)
		if err != nil {
			return fail(stderr, "move", err)
		}
		fmt.Fprintf(stdout, "aborted move %s of tenant %s (journaled at %s): the tenant is back on cell %s, unchanged\n", ar.MoveID, ar.Tenant, ar.Step, ar.Source)
		if ar.Left != "" {
			fmt.Fprintf(stdout, "note: %s\n", ar.Left)
		}
		return 0
	case f.dryRun:
		p, err := m.Plan(ctx, opts)
		if err != nil {
			return fail(stderr, "move", err)
		}
		return printPlan(stdout, stderr, o.output, p)
	}
	res, err := m.Move(ctx, opts)
	if err != nil {
		fmt.Fprintf(stderr, "cellfabric tenants move: %v\n", err)
		var pe *mover.PendingError
		if errors.As(err, &pe) {
			fmt.Fprint(stderr, nextSteps(pe, f, o))
		}
		return 1
	}
	if o.output == "json" {
		return encodeJSON(stdout, stderr, "move", res)
	}
	printSummary(stdout, res, time.Since(start))
	return 0
}

// nextSteps says exactly what to run after a move stopped.
func nextSteps(pe *mover.PendingError, f moveFlags, o apiOptions) string {
	common := f.again(o)
	var b strings.Builder
	if pe.Fenced {
		fmt.Fprintf(&b, "tenant %s is fenced: reads are served, writes are refused until the move finishes or is aborted.\n", pe.Tenant)
	}
	fmt.Fprintf(&b, "to resume it (once the cells answer again):\n  cellfabric tenants move %s --to %s --move-id %s%s\n", pe.Tenant, pe.Target, pe.MoveID, common)
	if pe.Abortable {
		fmt.Fprintf(&b, "to undo it instead (the tenant goes back to its source, unchanged):\n  cellfabric tenants move %s --abort%s\n", pe.Tenant, common)
	}
	return b.String()
}

// again returns the flags, each with a leading space, that a command
// printed to run next needs to reach the same directory and cells as this
// one: those given that are not the default.
func (f moveFlags) again(o apiOptions) string {
	common := ""
	if o.api != defaultAPI {
		common += " --api " + o.api
	}
	if o.keyFile != "" {
		common += " --key-file " + o.keyFile
	}
	if f.registry != defaultMoveRegistry {
		common += " --registry " + f.registry
	}
	if f.viaEdge != "" {
		common += " --via-edge " + f.viaEdge
	}
	for _, c := range slices.Sorted(maps.Keys(f.cellAPI)) { // the same command every time
		common += " --cell-api " + c + "=" + f.cellAPI[c]
	}
	return common
}

// loadMoveRegistry reads the registry from a file or a URL.
func loadMoveRegistry(ctx context.Context, hc *http.Client, src string) (*router.Registry, error) {
	var data []byte
	if strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://") {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
		if err != nil {
			return nil, fmt.Errorf("registry URL %q: %w", src, err)
		}
		resp, err := hc.Do(req)
		if err != nil {
			return nil, fmt.Errorf("reading the registry from %s: %w; is cellfabric local running, or pass --registry FILE|URL", src, err)
		}
		defer resp.Body.Close()
		data, err = io.ReadAll(io.LimitReader(resp.Body, router.MaxRegistryBytes+1))
		if err != nil || resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("reading the registry from %s: status %d %v; pass --registry FILE|URL", src, resp.StatusCode, err)
		}
	} else {
		var err error
		if data, err = os.ReadFile(src); err != nil {
			return nil, fmt.Errorf("reading the registry: %w; pass --registry FILE|URL", err)
		}
	}
	reg, err := router.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("the registry from %s: %w", src, err)
	}
	return reg, nil
}

// cellHealth asks the cell's health URL (its registry HealthURL).
func cellHealth(ctx context.Context, hc *http.Client, reg *router.Registry, id string) error {
	for _, c := range reg.Cells {
		if c.ID != id || c.HealthURL == "" {
			continue
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.HealthURL, nil)
		if err != nil {
			return err
		}
		resp, err := hc.Do(req)
		if err != nil {
			return fmt.Errorf("%s: %w", c.HealthURL, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s answered %d", c.HealthURL, resp.StatusCode)
		}
	}
	return nil
}

// readThrough reads the tenant's key through the router and returns the
// cell that answered.
func readThrough(ctx context.Context, hc *http.Client, base, tenant, key string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+"/kv/"+key, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("X-Tenant-ID", tenant)
	resp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("the router %s: %w (--router URL, or \"\" to skip)", base, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, state.MaxValueBytes))
	if resp.StatusCode >= 500 {
		return "", fmt.Errorf("the router %s answered %d", base, resp.StatusCode)
	}
	return resp.Header.Get(refcell.CellIDHeader), nil
}

func moveOwner() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("cellfabric tenants move on %s pid %d", host, os.Getpid())
}

// printStep prints a step as it starts and ends, with the time since the
// move started.
func printStep(w io.Writer, e mover.Event) {
	if !e.Done {
		fmt.Fprintf(w, "[%8.3fs] %-6s ...\n", e.Elapsed.Seconds(), e.Step)
		return
	}
	fmt.Fprintf(w, "[%8.3fs] %-6s ok: %s\n", e.Elapsed.Seconds(), e.Step, e.Detail)
}

func printSummary(w io.Writer, r mover.Result, took time.Duration) {
	fmt.Fprintf(w, "\nmoved tenant %s from %s to %s (move %s) in %s\n", r.Tenant, r.Source, r.Target, r.MoveID, took.Round(time.Millisecond))
	if r.Resumed != "" {
		fmt.Fprintf(w, "  resumed from       %s\n", r.Resumed)
	}
	fmt.Fprintf(w, "  keys copied        %d (then %d changes followed, %d left-over keys removed)\n", r.KeysCopied, r.Followed, r.Reconciled)
	fmt.Fprintf(w, "  lag at fence       %d records\n", r.LagAtFence)
	fmt.Fprintf(w, "  writes unavailable %s (fence to switch)\n", r.WriteUnavailable.Round(time.Microsecond))
	v := "not compared in this run (compared before the switch by the run that stopped)"
	if r.Verify.Checked {
		v = fmt.Sprintf("%d keys, sha256 %s, match %t", r.Verify.Keys, r.Verify.SHA256, r.Verify.Match)
	}
	fmt.Fprintf(w, "  verify             %s\n", v)
	if r.Verify.RouterCell != "" {
		fmt.Fprintf(w, "  read via router    answered by %s\n", r.Verify.RouterCell)
	}
	fmt.Fprintf(w, "  placement epoch    %d\n", r.Epoch)
}

func printPlan(stdout, stderr io.Writer, format outputFormat, p mover.Plan) int {
	if format == "json" {
		if code := encodeJSON(stdout, stderr, "move", p); code != 0 {
			return code
		}
	} else {
		fmt.Fprintf(stdout, "plan: move tenant %s (epoch %d) from %s to %s\n", p.Tenant, p.Epoch, p.Source, p.Target)
		fmt.Fprintf(stdout, "  %d live keys, position %d; target health: %s\n", p.Keys, p.Position, p.TargetHealth)
		for i, s := range p.Steps {
			fmt.Fprintf(stdout, "  %d. %-6s %s\n", i+1, s.Step, s.Does)
		}
		if len(p.Problems) == 0 {
			fmt.Fprintln(stdout, "nothing stops the move (dry run: nothing was changed)")
		}
		for _, pr := range p.Problems {
			fmt.Fprintf(stdout, "problem: %s\n", pr)
		}
	}
	if len(p.Problems) > 0 {
		return 1
	}
	return 0
}

var _ flag.Value = (*cellAPIFlag)(nil)

// seedFromRegistry adds tenant id to the directory as the registry places
// it when the directory has no entry for it and the registry lists it (a
// tenant of the stack file): a move writes the tenant's placement with a
// higher epoch, which only a directory entry can carry. It returns the
// entry added (with dryRun, the one that would be), or nil when the
// directory already holds the tenant or the registry does not list it (the
// move then says the tenant is unknown).
func seedFromRegistry(ctx context.Context, dir *dirhttp.Client, reg *router.Registry, id string, dryRun bool) (*router.Tenant, error) {
	_, err := dir.Get(ctx, id)
	if dirhttp.Reason(err) != directory.ReasonNotFound {
		return nil, nil // found, or an error the move reports when it reads the tenant
	}
	i := slices.IndexFunc(reg.Tenants, func(t router.Tenant) bool { return t.ID == id })
	if i < 0 {
		return nil, nil
	}
	t := reg.Tenants[i]
	t.Epoch = 0
	if dryRun {
		return &t, nil
	}
	stored, err := dir.Put(ctx, t, directory.PutOptions{IfAbsent: true})
	if dirhttp.Reason(err) == directory.ReasonExists {
		return nil, nil // added meanwhile: the move reads it
	}
	if err != nil {
		return nil, fmt.Errorf("adding tenant %s of the stack file to the tenant directory before moving or following it: %w", id, err)
	}
	return &stored, nil
}

// seededDirectory is the directory as a dry run sees it: the tenant of the
// stack file it would add is there, at epoch 0.
type seededDirectory struct {
	mover.Directory
	entry router.Tenant
}

// Get returns the seeded entry for its tenant.
func (d seededDirectory) Get(ctx context.Context, id string) (router.Tenant, error) {
	if id == d.entry.ID {
		return d.entry, nil
	}
	return d.Directory.Get(ctx, id)
}
