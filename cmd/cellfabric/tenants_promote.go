package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/cellfabric/cellfabric/control/mover"
)

const promoteUsage = `promote TENANT --to CELL [--accept-loss] [--move-id ID] [--registry FILE|URL] [--via-edge URL] [--cell-api CELL=URL]...

Makes the tenant's warm standby on CELL (kept by 'cellfabric standby run',
which must be stopped first) the tenant's cell: a move without its copy.
With the tenant's cell reachable it follows the rest of the change feed,
fences, drains, switches the directory to CELL and verifies: nothing
acknowledged is lost. With the tenant's cell unreachable it stops and
prints what the standby holds (its position and how old it is: the
writes acknowledged after that are lost); --accept-loss then switches
the tenant to what the standby holds. The unreachable cell is not told:
see README "Moving tenants" before it comes back.`

func tenantsPromote(ctx context.Context, args []string, stdout, stderr io.Writer, env tenantsEnv) int {
	var o apiOptions
	var f moveFlags
	var acceptLoss bool
	fs := subFlags("promote", promoteUsage, &o, stderr)
	fs.StringVar(&f.to, "to", "", "the standby `CELL` to promote")
	fs.BoolVar(&acceptLoss, "accept-loss", false, "promote while the tenant's cell is unreachable, losing the writes it acknowledged after the standby was last current")
	fs.StringVar(&f.moveID, "move-id", "", "resume the promotion with this `ID` (printed when it stops)")
	fs.StringVar(&f.registry, "registry", defaultMoveRegistry, "the registry the routers serve, as a `FILE or URL` (the cells, their endpoints, geo and state)")
	fs.Var(&f.cellAPI, "cell-api", "reach `CELL=URL`'s state admin API at URL instead of its registry endpoint (repeatable)")
	bindViaEdge(fs, &f.viaEdge)
	fs.StringVar(&f.router, "router", defaultMoveRouter, "router `URL` the verify step reads the tenant through; \"\" to skip")
	fs.Uint64Var(&f.lag, "lag-threshold", mover.DefaultLagThreshold, "fence once a read of the change feed brings at most `N` records")
	fs.DurationVar(&f.followDeadline, "follow-deadline", mover.DefaultFollowDeadline, "follow the rest of the change feed at most this `long`")
	id, code, ok := parseSub(fs, args, "the tenant ID", func() string {
		if f.to == "" {
			return "--to is required: the standby cell to promote"
		}
		return ""
	})
	if !ok {
		return code
	}
	dir, cr, err := reachCells(ctx, &o, env, f.registry, f.cellAPI, f.viaEdge)
	if err != nil {
		return fail(stderr, "promote", err)
	}
	start := time.Now()
	steps := stdout
	if o.output == "json" {
		steps = stderr
	}
	m, err := mover.New(mover.Config{
		Directory: dir, Registry: cr.reg,
		Cells:  cr.client,
		Health: cr.healthBy(id),
		Owner:  moveOwner(),
		OnStep: func(e mover.Event) { printStep(steps, e) },
	})
	if err != nil {
		return fail(stderr, "promote", err)
	}
	opts := mover.Options{Tenant: id, Target: f.to, MoveID: f.moveID, LagThreshold: f.lag, FollowDeadline: f.followDeadline,
		Promote: true, AcceptLoss: acceptLoss}
	if f.router != "" {
		opts.ReadThrough = func(ctx context.Context, tenant, key string) (string, error) {
			return readThrough(ctx, cr.hc, f.router, tenant, key)
		}
	}
	res, err := m.Move(ctx, opts)
	if err != nil {
		fmt.Fprintf(stderr, "cellfabric tenants promote: %v\n", err)
		var sd *mover.SourceDownError
		var pe *mover.PendingError
		switch {
		case errors.As(err, &sd):
			fmt.Fprintf(stderr, "the standby holds position %d (its own store is at %d); to promote it anyway, losing what %s acknowledged after that:\n  cellfabric tenants promote %s --to %s --accept-loss%s\n", sd.Standby.Position, sd.Standby.Stored, sd.Source, id, f.to, f.again(o))
		case errors.As(err, &pe):
			fmt.Fprint(stderr, nextSteps(pe, f, o))
		}
		return 1
	}
	if o.output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return fail(stderr, "promote", err)
		}
		return 0
	}
	printSummary(stdout, res, time.Since(start))
	if s := res.Standby; s != nil {
		fmt.Fprintf(stdout, "  standby held       %s\n", s)
	}
	if res.SourceDown {
		fmt.Fprintf(stdout, "warning: cell %s was unreachable: writes it acknowledged after the standby's position are lost, and it was not told of the promotion. Before it serves again, mark the tenant moved there (%s {\"fence\":%d,\"moved\":true,\"movedTo\":%q}), or routers that still place the tenant on it may write there.\n", res.Source, cr.fenceRoute(res.Source, res.Tenant), res.Epoch, res.Target)
	}
	return 0
}
