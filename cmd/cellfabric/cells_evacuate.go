package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/cellfabric/cellfabric/control/evacuate"
	"github.com/cellfabric/cellfabric/control/mover"
	"github.com/cellfabric/cellfabric/fabric"
)

// evacuateFlags are the flags of `cells evacuate`.
type evacuateFlags struct {
	to, checkpoint, registry, router, reason string
	parallel                                 int
	dryRun                                   bool
	whenUnhealthy, checkEvery                time.Duration
	cellAPI                                  cellAPIFlag
	viaEdge                                  string
}

// defaultCheckEvery is how often --when-unhealthy checks the cell.
const defaultCheckEvery = 5 * time.Second

// evacuateProbeTenant is the tenant id whose (empty) meta a health check
// through the edge reads (--via-edge): any valid id no tenant has.
const evacuateProbeTenant = "cellfabric-health-probe"

const evacuateUsage = `evacuate CELL [--to CELL,...] [--parallel N] [--dry-run] [--checkpoint FILE] [--when-unhealthy FOR] [--via-edge URL] [-o json]

Moves every tenant whose primary is CELL to other cells, with its data:
drains CELL first (no new tenants), lists its tenants from the directory,
picks a target for each (in its residency, active, not drained, healthy,
fewest tenants; --to restricts the choice) and runs one move per tenant
(as cellfabric tenants move), N at a time. Each tenant is read-only only
during its own move's fence window; a failed or interrupted evacuation
leaves every tenant on its source or on its target, never both.

The checkpoint file records what is done, what failed and the moves in
flight: run the same command again after a failure, Ctrl-C or a crash to
skip what is done, resume the moves in flight and retry the rest. It is
removed once every tenant has moved. The exit status is 1 when a tenant
was not moved.

The cells' state admin APIs are reached as tenants move reaches them: at
their registry endpoints, through the edge Worker (--via-edge URL, how a
deployment's cells are reached; a cell's health is then a read of its
state API through the Worker, or at the URL --cell-api gives for it),
or where --cell-api says.

With --when-unhealthy FOR it first waits until CELL has failed every health
check (its registry health URL, every --check-every) for FOR, then
evacuates it, and stops starting moves if a target turns unhealthy. One
evacuation runs at a time: each takes the directory's evacuation guard
(which keeps automation from racing itself; KV has no compare-and-swap).`

func cellsEvacuate(ctx context.Context, args []string, stdout, stderr io.Writer, env tenantsEnv) int {
	var o apiOptions
	var f evacuateFlags
	fs := cellsSubFlags("evacuate", evacuateUsage, &o, stderr)
	fs.StringVar(&f.to, "to", "", "move tenants only to these cells, `CELL,...` (default: every cell that may take them)")
	fs.IntVar(&f.parallel, "parallel", evacuate.DefaultParallel, fmt.Sprintf("moves at once, `N` (1..%d)", evacuate.MaxParallel))
	fs.BoolVar(&f.dryRun, "dry-run", false, "print the plan (tenant → target, and why a tenant has none); drain nothing, move nothing")
	fs.StringVar(&f.checkpoint, "checkpoint", "", "checkpoint `FILE` that lets an interrupted evacuation continue (default cellfabric-evacuate-CELL.checkpoint in the current directory)")
	fs.StringVar(&f.reason, "reason", "", "why the cell is drained, kept with its flag (`R`; default \"evacuated\")")
	fs.StringVar(&f.registry, "registry", defaultMoveRegistry, "the registry the routers serve, as a `FILE or URL` (the cells, their endpoints, geo and state)")
	fs.Var(&f.cellAPI, "cell-api", "reach `CELL=URL`'s state admin API at URL instead of its registry endpoint (repeatable)")
	bindViaEdge(fs, &f.viaEdge)
	fs.StringVar(&f.router, "router", defaultMoveRouter, "router `URL` each move's verify step reads its tenant through; \"\" to skip")
	fs.DurationVar(&f.whenUnhealthy, "when-unhealthy", 0, "wait until CELL has been unhealthy for `FOR` (e.g. 5m), then evacuate it; stop starting moves if a target degrades (default: evacuate now)")
	fs.DurationVar(&f.checkEvery, "check-every", defaultCheckEvery, "with --when-unhealthy, check CELL's health this `often`")
	var to []string
	cell, code, ok := parseSub(fs, args, "the CELL", func() string {
		switch {
		case f.whenUnhealthy < 0:
			return fmt.Sprintf("--when-unhealthy %s is negative: give how long CELL must be unhealthy, e.g. 5m", f.whenUnhealthy)
		case f.whenUnhealthy > 0 && f.dryRun:
			return "--when-unhealthy and --dry-run together: pick one (a dry run prints the plan now)"
		case f.checkEvery <= 0:
			return fmt.Sprintf("--check-every %s: give a positive interval, e.g. 5s", f.checkEvery)
		}
		if f.parallel < 1 || f.parallel > evacuate.MaxParallel {
			return fmt.Sprintf("--parallel %d is out of range: give 1..%d moves at once", f.parallel, evacuate.MaxParallel)
		}
		if f.to != "" {
			for _, c := range strings.Split(f.to, ",") {
				c = strings.TrimSpace(c)
				if !fabric.ValidCellID(c) {
					return fmt.Sprintf("--to: %q is not a cell id: give cell ids separated by commas (cellfabric cells list shows them)", c)
				}
				to = append(to, c)
			}
		}
		return reasonProblem(f.reason)
	})
	if !ok {
		return code
	}
	if code, ok := checkCellArg(fs, cell); !ok {
		return code
	}
	if slices.Contains(to, cell) {
		return usageError(fs, fmt.Sprintf("--to names %s, the cell being evacuated: name other cells", cell))
	}
	if f.checkpoint == "" {
		f.checkpoint = "cellfabric-evacuate-" + cell + ".checkpoint"
	}
	dir, cr, err := reachCells(ctx, &o, env, f.registry, f.cellAPI, f.viaEdge)
	if err != nil {
		return cellsFail(stderr, "evacuate", err)
	}
	reg, hc := cr.reg, cr.hc
	// A cell reached through the edge is checked by a read of a tenant's
	// meta there; the evacuation checks cells, not tenants, so it reads a
	// name no tenant has (an empty meta, answered by the cell's store).
	health := cr.healthBy(evacuateProbeTenant)
	m, err := mover.New(mover.Config{Directory: dir, Registry: reg, Cells: cr.client, Health: health,
		Owner: strings.Replace(moveOwner(), "tenants move", "cells evacuate", 1)})
	if err != nil {
		return cellsFail(stderr, "evacuate", err)
	}
	host, _ := os.Hostname()
	ev, err := evacuate.New(evacuate.Config{Directory: dir, Mover: m, Registry: reg, Health: health,
		Guard: dir, Owner: fmt.Sprintf("cellfabric cells evacuate %s on %s", cell, host)})
	if err != nil {
		return cellsFail(stderr, "evacuate", err)
	}
	opts := evacuate.Options{Source: cell, To: to, Parallel: f.parallel, Checkpoint: f.checkpoint, Reason: f.reason}
	if f.router != "" {
		opts.Move.ReadThrough = func(ctx context.Context, tenant, key string) (string, error) {
			return readThrough(ctx, hc, f.router, tenant, key)
		}
	}
	if f.dryRun {
		cp, _, err := evacuate.ReadCheckpoint(f.checkpoint, cell)
		if err != nil {
			return cellsFail(stderr, "evacuate", err)
		}
		p, err := ev.Plan(ctx, opts, cp)
		if err != nil {
			return cellsFail(stderr, "evacuate", err)
		}
		return printEvacuationPlan(stdout, stderr, o.output, p)
	}
	prog := newProgress(stderr, env.terminal(stderr), cell, 0)
	if f.whenUnhealthy > 0 {
		fmt.Fprintf(stderr, "waiting until cell %s has been unhealthy for %s (checked every %s)\n", cell, f.whenUnhealthy, f.checkEvery)
		since, err := ev.WaitUnhealthy(ctx, cell, f.whenUnhealthy, f.checkEvery, func(err error, d time.Duration) {
			prog.show(func(time.Duration) string {
				if err == nil {
					return fmt.Sprintf("cell %s: healthy", cell)
				}
				return fmt.Sprintf("cell %s: unhealthy for %s of %s (%v)", cell, d.Round(time.Second), f.whenUnhealthy, err)
			})
		})
		prog.done()
		if err != nil {
			return cellsFail(stderr, "evacuate", fmt.Errorf("waiting for cell %s to be unhealthy: %w", cell, err))
		}
		fmt.Fprintf(stderr, "cell %s has been unhealthy since %s: evacuating it\n", cell, since.UTC().Format(time.RFC3339))
		opts.StopWhenTargetsDegrade = true
	}
	opts.OnProgress = func(p evacuate.Progress) {
		prog.show(func(time.Duration) string { return evacuationLine(cell, p) })
	}
	sum, err := ev.Run(ctx, opts)
	prog.done()
	if err != nil && sum.Source == "" {
		return cellsFail(stderr, "evacuate", err)
	}
	if err != nil {
		fmt.Fprintf(stderr, "cellfabric cells evacuate: %v\n", err)
	}
	if o.output == "json" {
		if sum.Moved == nil {
			sum.Moved = []evacuate.Moved{}
		}
		if sum.Failed == nil {
			sum.Failed = []evacuate.Failed{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(sum); err != nil {
			return cellsFail(stderr, "evacuate", err)
		}
	} else {
		printEvacuation(stdout, sum)
	}
	if err != nil || len(sum.Failed) > 0 || sum.NotStarted > 0 {
		return 1
	}
	return 0
}

// evacuationLine is the progress line: counts, rate and ETA.
func evacuationLine(cell string, p evacuate.Progress) string {
	ended := p.Moved + p.Failed + p.NotStarted
	pct := 100.0
	if p.Total > 0 {
		pct = float64(ended) * 100 / float64(p.Total)
	}
	rate := 0.0
	if s := p.Elapsed.Seconds(); s > 0 {
		rate = float64(p.Moved) / s
	}
	eta := "-"
	if d := p.ETA(); d > 0 {
		eta = d.Round(time.Second).String()
	}
	return fmt.Sprintf("evacuate %s: %5.1f%% (%d of %d), %d moved, %d failed, %d in flight, %.1f moves/s, ETA %s",
		cell, pct, ended, p.Total, p.Moved, p.Failed, p.InFlight, rate, eta)
}

// printEvacuation prints the summary, each failure with what to do.
func printEvacuation(w io.Writer, s evacuate.Summary) {
	fmt.Fprintf(w, "evacuated cell %s: %d moved, %d failed, %d skipped (moved by an earlier run), %d not started, in %s (%.1f moves/s)\n",
		s.Source, len(s.Moved), len(s.Failed), s.Skipped, s.NotStarted, s.Elapsed.Round(time.Millisecond), s.MovesPerSecond)
	per := map[string]int{}
	for _, m := range s.Moved {
		per[m.Target]++
	}
	targets := make([]string, 0, len(per))
	for t := range per {
		targets = append(targets, t)
	}
	slices.Sort(targets)
	for _, t := range targets {
		fmt.Fprintf(w, "  to %-12s %d tenants\n", t, per[t])
	}
	for _, f := range s.Failed {
		fmt.Fprintf(w, "failed: tenant %s: %s\n  next: %s\n", f.Tenant, f.Reason, f.Next)
	}
	if s.Stopped != "" {
		fmt.Fprintf(w, "stopped: %s\n", s.Stopped)
	}
	switch {
	case s.Checkpoint != "":
		fmt.Fprintf(w, "the checkpoint %s is kept: run the same command again to resume (it skips the tenants moved)\n", s.Checkpoint)
	case len(s.Failed) == 0 && s.NotStarted == 0:
		fmt.Fprintf(w, "cell %s holds no tenant now; it stays drained (cellfabric cells undrain %s opens it again)\n", s.Source, s.Source)
	}
}

// printEvacuationPlan prints a dry run's plan; status 1 when a tenant has
// no target.
func printEvacuationPlan(stdout, stderr io.Writer, format outputFormat, p evacuate.Plan) int {
	problems := 0
	for _, a := range p.Moves {
		if a.Problem != "" {
			problems++
		}
	}
	if format == "json" {
		if p.Moves == nil {
			p.Moves = []evacuate.Assignment{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(p); err != nil {
			return cellsFail(stderr, "evacuate", err)
		}
	} else {
		fmt.Fprintf(stdout, "plan: evacuate cell %s: %d tenants to move, %d skipped (moved by an earlier run)\n", p.Source, len(p.Moves), p.Skipped)
		for _, t := range p.Targets {
			if t.Excluded != "" {
				fmt.Fprintf(stdout, "  target %-12s takes none: %s\n", t.ID, t.Excluded)
				continue
			}
			fmt.Fprintf(stdout, "  target %-12s geo %-6s %d tenants now, +%d\n", t.ID, t.Geo, t.Tenants, t.Planned)
		}
		for _, a := range p.Moves {
			switch {
			case a.Problem != "":
				fmt.Fprintf(stdout, "  %s → none: %s\n", a.Tenant, a.Problem)
			case a.MoveID != "":
				fmt.Fprintf(stdout, "  %s → %s (resumes move %s)\n", a.Tenant, a.Target, a.MoveID)
			case a.Seed != nil:
				fmt.Fprintf(stdout, "  %s → %s (a tenant of the stack file: added to the tenant directory before its move)\n", a.Tenant, a.Target)
			default:
				fmt.Fprintf(stdout, "  %s → %s\n", a.Tenant, a.Target)
			}
		}
		fmt.Fprintln(stdout, "dry run: nothing was drained or moved")
	}
	if problems > 0 {
		return 1
	}
	return 0
}
