package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/observe"
)

func init() {
	register("observe", command{
		summary: "write Prometheus rules and a Grafana dashboard for a stack's cells",
		flags:   func() *flag.FlagSet { return new(observeOptions).flagSet() },
		run:     runObserve,
	})
}

// Files `cellfabric observe` writes in --out.
const (
	observeRulesFile     = "rules.yml"
	observeDashboardFile = "dashboard.json"
)

// observeOptions are observe's flags.
type observeOptions struct {
	stackFlags
	out string
}

// flagSet binds observe's flags to o.
func (o *observeOptions) flagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("observe", flag.ContinueOnError)
	o.stackFlags.bind(fs, "")
	fs.StringVar(&o.out, "out", ".", "`DIR` to write "+observeRulesFile+" and "+observeDashboardFile+" in (created if missing)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: cellfabric observe (--stack NAME | --config FILE) [--dir DIR] [--out DIR]")
		fmt.Fprintln(fs.Output(), "\nWrites, for the stack's cells, Prometheus recording and alerting rules ("+observeRulesFile+":\nper-cell SLO burn rates, cell down, edge/router disagreement, registry stale, warm\nstandbys lagging or down) and a Grafana dashboard ("+observeDashboardFile+": a fleet row,\nthen one row per cell by cloud).\nLoad the rules in the Prometheus that scrapes the routers' /metrics; import the\ndashboard into Grafana and pick that Prometheus as its datasource.\n\nflags:")
		fs.PrintDefaults()
	}
	return fs
}

func runObserve(args []string, stdout, stderr io.Writer) int {
	var o observeOptions
	fs := o.flagSet()
	fs.SetOutput(stderr)
	if code, ok := parseFlags(fs, args, o.exactlyOne); !ok {
		return code
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "observe: %v\n", err)
		return 1
	}
	topo, path, err := o.topology()
	if err != nil {
		return fail(err)
	}
	rules, err := observe.Rules(topo)
	if err != nil {
		var ps fabric.Problems
		if errors.As(err, &ps) {
			return fail(fmt.Errorf("%s: %w", path, err))
		}
		return fail(err)
	}
	dash, err := observe.NewDashboard(topo)
	if err != nil {
		return fail(err)
	}
	rulesYAML, err := rules.Marshal(topo.Stack)
	if err != nil {
		return fail(err)
	}
	dashJSON, err := dash.Marshal()
	if err != nil {
		return fail(err)
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return fail(fmt.Errorf("creating the output directory: %w; pick another with --out", err))
	}
	recorded, alerts := 0, 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Alert != "" {
				alerts++
			} else {
				recorded++
			}
		}
	}
	rows := 0
	for _, p := range dash.Panels {
		if p.Type == "row" {
			rows++
		}
	}
	for _, f := range []struct {
		name, what string
		data       []byte
	}{
		{observeRulesFile, fmt.Sprintf("%d recording rules, %d alerts for %d cells", recorded, alerts, len(topo.Cells)), rulesYAML},
		{observeDashboardFile, fmt.Sprintf("Grafana dashboard %q: a fleet row and %d cell rows", dash.UID, rows-1), dashJSON},
	} {
		p := filepath.Join(o.out, f.name)
		if err := os.WriteFile(p, f.data, 0o644); err != nil {
			return fail(fmt.Errorf("writing %s: %w; pick another directory with --out", f.name, err))
		}
		fmt.Fprintf(stdout, "wrote %s (%s)\n", p, f.what)
	}
	fmt.Fprintf(stdout, "next: add %s to rule_files in prometheus.yml (check it with promtool check rules), import %s into Grafana; README, \"Observing cells\", lists every alert and what to do when it fires\n", observeRulesFile, observeDashboardFile)
	return 0
}
