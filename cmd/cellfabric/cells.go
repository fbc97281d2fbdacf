package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/fabric"
)

func init() {
	register("cells", command{
		summary: "drain, undrain and evacuate cells (close them to new tenants, move their tenants out) through the tenant directory",
		flags:   func() *flag.FlagSet { return cellsUsageFlags() },
		run:     runCells,
	})
}

// cellsSubcommands are the subcommands, in the order help lists them.
var cellsSubcommands = []string{"drain", "undrain", "evacuate", "list"}

func runCells(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return cellsMain(ctx, args, stdout, stderr, osTenantsEnv())
}

func cellsMain(ctx context.Context, args []string, stdout, stderr io.Writer, env tenantsEnv) int {
	return subcommand(cellsUsageFlags(), cellsSubcommands, args, stdout, stderr, func(sub string, rest []string) int {
		switch sub {
		case "drain", "undrain":
			return cellsDrain(ctx, sub, rest, stdout, stderr, env)
		case "evacuate":
			return cellsEvacuate(ctx, rest, stdout, stderr, env)
		case "list":
			return cellsList(ctx, rest, stdout, stderr, env)
		}
		return -1
	})
}

// cellsUsageFlags is the flag set `cellfabric help cells` and shell
// completion read: the flags every subcommand shares (tenants').
func cellsUsageFlags() *flag.FlagSet {
	var o apiOptions
	fs := flag.NewFlagSet("cells", flag.ContinueOnError)
	o.bind(fs)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: cellfabric cells <subcommand> [CELL] [flags]

Closes and opens cells to new tenants through the tenant directory's control
API (signed with the control key, as cellfabric tenants).

  drain CELL [--reason R]   close CELL to new tenants: placements skip it
  undrain CELL              open CELL to new tenants again
  evacuate CELL [--to CELL,...] [--parallel N] [--dry-run] [--checkpoint FILE]
           [--when-unhealthy FOR]
                            drain CELL, then move every tenant off it with its data
                            (after CELL has been unhealthy for FOR)
  list                      print every cell with its placement and tenant count

Draining moves nothing: the cell keeps its tenants, and requests for them
are routed to it as before (the registry's draining state, which sends
traffic to failover cells, is another thing). Moving its tenants out is
evacuate (all of them) or cellfabric tenants move (one).

'cellfabric cells <subcommand> -h' shows a subcommand's flags. Flags every
subcommand takes:
`)
		fs.PrintDefaults()
	}
	return fs
}

// cellsSubFlags is a cells subcommand's flag set with the shared flags
// bound.
func cellsSubFlags(name, usage string, o *apiOptions, stderr io.Writer) *flag.FlagSet {
	return apiSubFlags("cells", name, usage, o, stderr)
}

// cellsFail prints err for cells subcommand sub and returns exit status 1.
func cellsFail(stderr io.Writer, sub string, err error) int {
	return commandFail(stderr, "cells "+sub, err)
}

// cellsDrain closes (drain) or opens (undrain) a cell to new tenants.
func cellsDrain(ctx context.Context, sub string, args []string, stdout, stderr io.Writer, env tenantsEnv) int {
	var o apiOptions
	var reason string
	usage := "undrain CELL"
	if sub == "drain" {
		usage = "drain CELL [--reason R]"
	}
	fs := cellsSubFlags(sub, usage, &o, stderr)
	if sub == "drain" {
		fs.StringVar(&reason, "reason", "", fmt.Sprintf("why the cell is drained, kept with its flag (`R`, at most %d characters; default none)", directory.MaxFlagReason))
	}
	cell, code, ok := parseSub(fs, args, "the CELL", func() string { return reasonProblem(reason) })
	if !ok {
		return code
	}
	if code, ok := checkCellArg(fs, cell); !ok {
		return code
	}
	c, err := o.client(env)
	if err != nil {
		return cellsFail(stderr, sub, err)
	}
	var p directory.CellPlacement
	if sub == "drain" {
		p, err = c.CloseCell(ctx, cell, reason)
	} else {
		p, err = c.OpenCell(ctx, cell)
	}
	if err != nil {
		return cellsFail(stderr, sub, err)
	}
	if o.output == "json" {
		if err := writeJSON(stdout, p); err != nil {
			return cellsFail(stderr, sub, err)
		}
		return 0
	}
	if sub == "drain" {
		fmt.Fprintf(stdout, "cell %s drained: closed to new tenants since %s; its %d tenants stay and are routed to it as before\n",
			p.ID, time.Unix(p.Since, 0).UTC().Format(time.RFC3339), p.Tenants)
	} else {
		fmt.Fprintf(stdout, "cell %s undrained: open to new tenants\n", p.ID)
	}
	return 0
}

// cellsList prints every cell with its placement flag.
func cellsList(ctx context.Context, args []string, stdout, stderr io.Writer, env tenantsEnv) int {
	var o apiOptions
	fs := cellsSubFlags("list", "list", &o, stderr)
	_, code, ok := parseSub(fs, args, "", nil)
	if !ok {
		return code
	}
	c, err := o.client(env)
	if err != nil {
		return cellsFail(stderr, "list", err)
	}
	cells, err := c.Cells(ctx)
	if err != nil {
		return cellsFail(stderr, "list", err)
	}
	if o.output == "json" {
		if cells == nil {
			cells = []directory.CellPlacement{}
		}
		if err := writeJSON(stdout, cells); err != nil {
			return cellsFail(stderr, "list", err)
		}
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CELL\tSTATE\tPLACEMENT\tSINCE\tTENANTS\tREASON")
	for _, p := range cells {
		state, since, why := string(p.State), "-", p.Reason
		if p.NotInRegistry {
			state = "not in registry"
		}
		if p.Since > 0 {
			since = time.Unix(p.Since, 0).UTC().Format(time.RFC3339)
		}
		if why == "" {
			why = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", p.ID, state, p.Placement, since, p.Tenants, why)
	}
	if err := tw.Flush(); err != nil {
		return cellsFail(stderr, "list", err)
	}
	return 0
}

// reasonProblem is what is wrong with a --reason for a cell's flag, "" when
// nothing.
func reasonProblem(reason string) string {
	if n := len([]rune(reason)); n > directory.MaxFlagReason {
		return fmt.Sprintf("--reason has %d characters: give at most %d", n, directory.MaxFlagReason)
	}
	return ""
}

// checkCellArg refuses a CELL argument that is not a cell id (a usage
// error, exit 2).
func checkCellArg(fs *flag.FlagSet, cell string) (int, bool) {
	if !fabric.ValidCellID(cell) {
		return usageError(fs, fmt.Sprintf("%q is not a cell id: use %s (cellfabric cells list shows them)", cell, fabric.CellIDRule)), false
	}
	return 0, true
}
