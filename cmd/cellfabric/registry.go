package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/cellfabric/cellfabric/router"
)

func init() {
	register("registry", command{
		summary: "build the router's registry from `pulumi stack output --json` or a synth plan",
		flags:   func() *flag.FlagSet { return new(registryOptions).flagSet() },
		run:     runRegistry,
	})
}

// registryOptions are registry's flags.
type registryOptions struct {
	from  string
	epoch int64
	out   string
}

// flagSet binds registry's flags to o.
func (o *registryOptions) flagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("registry", flag.ContinueOnError)
	fs.StringVar(&o.from, "from", "", "`FILE` holding the stack outputs, as pulumi stack output --json prints them, or the plan of cellfabric synth --format json (\"-\" for stdin); required")
	fs.Int64Var(&o.epoch, "epoch", 0, "registry epoch `N` (default: the current Unix time, so newer builds always win)")
	fs.StringVar(&o.out, "out", "", "write the registry to `FILE` instead of stdout (replaced atomically)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: cellfabric registry --from outputs.json [--epoch N] [--out FILE]\n\nBuilds and validates the router registry from a stack's outputs:\n  pulumi stack output --json > outputs.json && cellfabric registry --from outputs.json\nor, without a Pulumi backend, from the offline plan of a stack (its endpoints are the mock engine's):\n  cellfabric synth --stack dev --format json > plan.json && cellfabric registry --from plan.json\n\nflags:")
		fs.PrintDefaults()
	}
	return fs
}

// runRegistry implements `cellfabric registry --from outputs.json [--epoch N]
// [--out FILE]`. The file holds what `pulumi stack output --json` prints, or
// the JSON plan of `cellfabric synth` (whose "outputs" are read). The default
// epoch is the current Unix time in seconds, so a registry built later always
// has a greater epoch than one built earlier and routers accept it; pass
// --epoch to build reproducibly.
func runRegistry(args []string, stdout, stderr io.Writer) int {
	var o registryOptions
	fs := o.flagSet()
	fs.SetOutput(stderr)
	if code, ok := parseFlags(fs, args, requireFlag("from", &o.from)); !ok {
		return code
	}
	if o.epoch == 0 {
		o.epoch = time.Now().Unix()
	}
	data, err := readOutputsFile(o.from)
	if err != nil {
		fmt.Fprintf(stderr, "cellfabric registry: %v\n", err)
		return 1
	}
	outputs, err := router.ParseStackOutputs(data)
	var plan *synthPlan
	if errors.Is(err, router.ErrNoCells) {
		// Not stack outputs: perhaps the plan of `cellfabric synth --format json`.
		var isPlan bool
		var perr error
		plan, isPlan, perr = planOutputs(data)
		switch {
		case perr != nil:
			err = perr
		case isPlan:
			if outputs, err = router.ParseStackOutputs(plan.Outputs); err != nil {
				err = fmt.Errorf("%s: %w", plan.describe(), err)
			}
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "cellfabric registry: %s: %v\n", o.from, err)
		return 1
	}
	reg, err := router.FromStackOutputs(outputs, o.epoch)
	if err != nil {
		fmt.Fprintf(stderr, "cellfabric registry: %s: %v\n", o.from, err)
		return 1
	}
	if plan != nil {
		fmt.Fprintf(stderr, "cellfabric registry: warning: "+planWarning, plan.describe())
	}
	doc, err := reg.Encode()
	if err != nil {
		fmt.Fprintf(stderr, "cellfabric registry: %v\n", err)
		return 1
	}
	if o.out == "" {
		_, _ = stdout.Write(doc)
		return 0
	}
	if err := writeFileAtomic(o.out, doc, 0o644); err != nil {
		fmt.Fprintf(stderr, "cellfabric registry: writing %s: %v\n", o.out, err)
		return 1
	}
	fmt.Fprintf(stderr, "cellfabric registry: wrote %s (epoch %d, %d cells, %d tenants)\n", o.out, reg.Epoch, len(reg.Cells), len(reg.Tenants))
	return 0
}

func readOutputsFile(path string) ([]byte, error) {
	if path == "-" {
		return router.ReadLimited(os.Stdin, router.MaxOutputsBytes)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return router.ReadLimited(f, router.MaxOutputsBytes)
}
