package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/control/directory/dirhttp"
	"github.com/cellfabric/cellfabric/control/mover"
	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/router"
)

func init() {
	register("standby", command{
		summary: "keep tenants' warm standbys: apply each tenant's change feed to its failover cell",
		flags:   func() *flag.FlagSet { return standbyUsageFlags() },
		run:     runStandby,
	})
}

// standbySubcommands are the subcommands, in the order help lists them.
var standbySubcommands = []string{"run"}

// defaultStandbyReport is how often `standby run` prints each tenant's lag.
const defaultStandbyReport = 5 * time.Second

func runStandby(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return standbyMain(ctx, args, stdout, stderr, osTenantsEnv())
}

func standbyMain(ctx context.Context, args []string, stdout, stderr io.Writer, env tenantsEnv) int {
	return subcommand(standbyUsageFlags(), standbySubcommands, args, stdout, stderr, func(sub string, rest []string) int {
		if sub == "run" {
			return standbyRun(ctx, rest, stdout, stderr, env)
		}
		return -1
	})
}

// standbyUsageFlags is the flag set `cellfabric help standby` and shell
// completion read: the flags every subcommand shares.
func standbyUsageFlags() *flag.FlagSet {
	var o apiOptions
	fs := flag.NewFlagSet("standby", flag.ContinueOnError)
	o.bind(fs)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: cellfabric standby <subcommand> [flags]

Keeps warm standbys: a follower per tenant applies the change feed of the
tenant's cell (its primary) to another cell, which holds the tenant fenced
for every write, so that a failover there serves data at a measured lag.
Promote a standby with 'cellfabric tenants promote TENANT --to CELL'.

  run TENANT... [--to CELL]   follow until interrupted, printing each tenant's lag
  run --cell CELL [--to CELL] the same for every tenant whose primary is CELL

'cellfabric standby run -h' shows its flags. Flags every subcommand takes:
`)
		fs.PrintDefaults()
	}
	return fs
}

const standbyRunUsage = `run TENANT... | --cell CELL [--to CELL] [--report DURATION] [--registry FILE|URL] [--via-edge URL] [--cell-api CELL=URL]...

Follows each tenant's primary cell (where the directory places it) onto
its standby cell: --to, or the tenant's first failover cell. The standby
is seeded from the primary's export, or resumes from the position an
earlier follower journaled there; it holds the tenant fenced for every
write (reads are served there). Runs until interrupted; an unreachable
cell is retried and logged. A follower stops when the directory places
its tenant elsewhere (moved or promoted).

With --cell CELL it follows every tenant whose primary is CELL when it
starts (the directory's, and the stack file's, which are added to the
directory as the registry places them): a standby per cell. A tenant
placed on CELL later is followed from the next start.

With --metrics-listen, serves each tenant's lag on /metrics
(cellfabric_standby_*, labelled by tenant: only the tenants this process
follows, named here or on --cell's cell).

This is control plane: while no follower runs, requests are served as
before and the standby's data just ages.`

func standbyRun(ctx context.Context, args []string, stdout, stderr io.Writer, env tenantsEnv) int {
	var o apiOptions
	var to, registry, metricsListen, cell string
	var cellAPI cellAPIFlag
	var viaEdge string
	var report time.Duration
	fs := flag.NewFlagSet("standby run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o.bind(fs)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: cellfabric standby %s\n\nflags:\n", standbyRunUsage)
		fs.PrintDefaults()
	}
	fs.StringVar(&cell, "cell", "", "follow every tenant whose primary is `CELL` (besides the tenants named)")
	fs.StringVar(&to, "to", "", "the standby `CELL` of every tenant named (default: each tenant's first failover cell)")
	fs.DurationVar(&report, "report", defaultStandbyReport, "print each tenant's lag this `often`")
	fs.StringVar(&metricsListen, "metrics-listen", "", "serve each tenant's lag as Prometheus metrics on `address`/metrics, e.g. 127.0.0.1:9465 (a tenant label for each tenant named on this command line only); empty: none")
	fs.StringVar(&registry, "registry", defaultMoveRegistry, "the registry the routers serve, as a `FILE or URL` (the cells and their endpoints)")
	fs.Var(&cellAPI, "cell-api", "reach `CELL=URL`'s state admin API at URL instead of its registry endpoint (repeatable)")
	bindViaEdge(fs, &viaEdge)
	tenants, code, ok := parseTenants(fs, args, func() bool { return cell != "" })
	if !ok {
		return code
	}
	if report <= 0 {
		return usageError(fs, "--report must be positive")
	}
	failf := func(err error) int {
		fmt.Fprintf(stderr, "cellfabric standby run: %v\n", err)
		return 1
	}
	dir, cr, err := reachCells(ctx, &o, env, registry, cellAPI, viaEdge)
	if err != nil {
		return failf(err)
	}
	named := slices.Clone(tenants)
	if cell != "" {
		of, err := tenantsOfCell(ctx, dir, cr.reg, cell)
		if err != nil {
			return failf(err)
		}
		for _, t := range of {
			if !slices.Contains(tenants, t) {
				tenants = append(tenants, t)
			}
		}
	}
	host, _ := os.Hostname()
	m, err := mover.New(mover.Config{Directory: dir, Registry: cr.reg, Cells: cr.client,
		Owner: fmt.Sprintf("cellfabric standby run on %s pid %d", host, os.Getpid()), Logger: logFormat("text").logger(stderr)})
	if err != nil {
		return failf(err)
	}
	var followers []*mover.Follower
	var errs []error
	for _, t := range tenants {
		// A tenant of the stack file is added to the directory first: the
		// follower reads its placement (and a promotion raises its epoch)
		// there.
		seeded, err := seedFromRegistry(ctx, dir, cr.reg, t, false)
		if err != nil {
			errs = append(errs, fmt.Errorf("tenant %s: %w", t, err))
			continue
		}
		if seeded != nil {
			fmt.Fprintf(stdout, "tenant %s is a tenant of the stack file: added to the tenant directory as the registry places it (cell %s)\n", t, seeded.Cell)
		}
		f, err := m.Follower(ctx, mover.StandbyOptions{Tenant: t, Standby: to})
		if errors.Is(err, mover.ErrNoStandbyCell) && !slices.Contains(named, t) {
			// A tenant of --cell's cell that has nowhere to keep a standby
			// does not stop the others' followers.
			fmt.Fprintf(stdout, "skipping tenant %s of cell %s: it has no failover cell to keep a standby on (give it one, or --to)\n", t, cell)
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("tenant %s: %w", t, err))
			continue
		}
		followers = append(followers, f)
	}
	if err := errors.Join(errs...); err != nil {
		return failf(err)
	}
	if len(followers) == 0 {
		return failf(fmt.Errorf("no tenant of cell %s has a failover cell to keep a standby on: give them one, or name the standby cell with --to", cell))
	}
	for _, f := range followers {
		fmt.Fprintf(stdout, "following tenant %s: %s -> %s\n", f.Lag().Tenant, f.Primary(), f.Standby())
	}
	metrics, err := serveStandbyMetrics(metricsListen, followers, stdout, logFormat("text").logger(stderr))
	if err != nil {
		return failf(err)
	}
	defer metrics.close()
	var wg sync.WaitGroup
	results := make([]error, len(followers))
	for i, f := range followers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = f.Run(ctx)
			metrics.stopped(f)
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	t := time.NewTicker(report)
	defer t.Stop()
	for running := true; running; {
		select {
		case <-done:
			running = false
		case <-t.C:
			for _, f := range followers {
				printLag(stdout, o.output, f.Lag())
			}
		}
	}
	code = 0
	for i, f := range followers {
		printLag(stdout, o.output, f.Lag())
		if results[i] != nil {
			fmt.Fprintf(stderr, "cellfabric standby run: tenant %s: %v\n", f.Lag().Tenant, results[i])
			code = 1
		}
	}
	return code
}

// parseTenants parses flags with one or more tenant ids among them (none
// when noneOK says so after the flags are parsed, e.g. --cell is set).
func parseTenants(fs *flag.FlagSet, args []string, noneOK func() bool) ([]string, int, bool) {
	var tenants []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, 0, false
			}
			return nil, 2, false
		}
		if fs.NArg() == 0 {
			break
		}
		tenants = append(tenants, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(tenants) == 0 && !noneOK() {
		return nil, usageError(fs, "name at least one tenant, or a cell with --cell"), false
	}
	for _, t := range tenants {
		if !fabric.ValidTenantID(t) {
			return nil, usageError(fs, fmt.Sprintf("%q is not a tenant id: %s", t, fabric.TenantIDRule)), false
		}
	}
	return tenants, 0, true
}

// tenantsOfCell returns the tenants whose primary is cell: the
// directory's, and the stack file's (the registry's) it does not hold.
func tenantsOfCell(ctx context.Context, dir *dirhttp.Client, reg *router.Registry, cell string) ([]string, error) {
	if !slices.ContainsFunc(reg.Cells, func(c router.Cell) bool { return c.ID == cell }) {
		return nil, fmt.Errorf("--cell %s: the registry holds no such cell: name one of its cells (cellfabric cells list)", cell)
	}
	var out []string
	listed := map[string]bool{}
	if _, err := directory.LoadPages(ctx, dir.List, func(page []router.Tenant) error {
		for _, t := range page {
			listed[t.ID] = true
			if t.Cell == cell {
				out = append(out, t.ID)
			}
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("listing the tenants of cell %s: %w", cell, err)
	}
	for _, t := range reg.Tenants {
		if t.Cell == cell && !listed[t.ID] {
			out = append(out, t.ID)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("cell %s holds no tenant (in the directory or the stack file): nothing to follow", cell)
	}
	return out, nil
}

// lagLine is a tenant's lag as `standby run -o json` prints it, one
// object a line.
type lagLine struct {
	Tenant     string  `json:"tenant"`
	Primary    string  `json:"primary"`
	Standby    string  `json:"standby"`
	Applied    uint64  `json:"applied"`
	Records    uint64  `json:"records"`
	AgeSeconds float64 `json:"ageSeconds"`
	Current    bool    `json:"current"`
	Retrying   string  `json:"retrying,omitempty"`
}

func printLag(w io.Writer, format outputFormat, l mover.Lag) {
	line := lagLine{Tenant: l.Tenant, Primary: l.Primary, Standby: l.Standby, Applied: l.Applied, Records: l.Records,
		AgeSeconds: l.Age.Seconds(), Current: !l.CurrentAt.IsZero(), Retrying: l.Retrying}
	if format == "json" {
		_ = json.NewEncoder(w).Encode(line)
		return
	}
	age := "never current yet"
	if line.Current {
		age = fmt.Sprintf("age %.3fs", line.AgeSeconds)
	}
	fmt.Fprintf(w, "%s %s -> %s: position %d, %d records behind, %s", l.Tenant, l.Primary, l.Standby, l.Applied, l.Records, age)
	if l.Retrying != "" {
		fmt.Fprintf(w, " (retrying: %s)", l.Retrying)
	}
	fmt.Fprintln(w)
}
