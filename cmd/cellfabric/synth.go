package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/infra/program"
	"github.com/cellfabric/cellfabric/infra/synth"
	"github.com/cellfabric/cellfabric/stacks"
)

func init() {
	register("synth", command{
		summary: "print every resource a stack would deploy (offline, no cloud account)",
		flags:   func() *flag.FlagSet { return new(synthOptions).flagSet() },
		run:     runSynth,
	})
}

// synthOptions are synth's flags.
type synthOptions struct {
	stackFlags
	format, out string
}

// flagSet binds synth's flags to o.
func (o *synthOptions) flagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("synth", flag.ContinueOnError)
	o.stackFlags.bind(fs, "")
	fs.StringVar(&o.format, "format", "text", "output `FORMAT`: "+strings.Join(synth.Formats, ", "))
	fs.StringVar(&o.out, "out", "", "write to `FILE` instead of standard output")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: cellfabric synth (--stack NAME | --config FILE) [--format text|json|markdown] [--out FILE]")
		fmt.Fprintln(fs.Output(), "\nRuns the infra program against Pulumi's mock engine and prints every resource it would\nregister: type, name, parent, provider and inputs, with secrets shown as [secret].\n\nflags:")
		fs.PrintDefaults()
	}
	return fs
}

func runSynth(args []string, stdout, stderr io.Writer) int {
	var o synthOptions
	fs := o.flagSet()
	fs.SetOutput(stderr)
	if code, ok := parseFlags(fs, args, o.exactlyOne); !ok {
		return code
	}
	if !validFormat(o.format) {
		fmt.Fprintf(stderr, "synth: unknown format %q: use %s\n", o.format, strings.Join(synth.Formats, ", "))
		return 2
	}
	path := o.path()
	sf, err := stacks.ReadStackFile(path)
	if err != nil {
		fmt.Fprintf(stderr, "synth: %v\n", err)
		return 1
	}
	plan, err := synth.Synthesize(sf, program.Options{})
	if err != nil {
		var ps fabric.Problems
		if errors.As(err, &ps) {
			fmt.Fprintf(stderr, "synth: %s: %v\n", path, err)
		} else {
			fmt.Fprintf(stderr, "synth: %v\n", err)
		}
		return 1
	}
	w := stdout
	if o.out != "" {
		f, err := os.Create(o.out)
		if err != nil {
			fmt.Fprintf(stderr, "synth: %v\n", err)
			return 1
		}
		defer f.Close()
		w = f
	}
	if err := plan.Write(w, o.format); err != nil {
		fmt.Fprintf(stderr, "synth: writing the plan: %v\n", err)
		return 1
	}
	return 0
}

func validFormat(f string) bool {
	for _, x := range synth.Formats {
		if f == x {
			return true
		}
	}
	return f == "md"
}
