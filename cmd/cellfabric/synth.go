package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/infra/program"
	"github.com/cellfabric/cellfabric/infra/synth"
	"github.com/cellfabric/cellfabric/stacks"
)

func init() {
	register("synth", command{
		summary: "print every resource a stack would deploy (offline, no cloud account)",
		run:     runSynth,
	})
}

func runSynth(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("synth", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stack := fs.String("stack", "", "stack `NAME`: reads Pulumi.NAME.yaml in --dir")
	dir := fs.String("dir", ".", "project `DIR` holding Pulumi.yaml and the stack files")
	file := fs.String("config", "", "stack config `FILE` to read instead of --stack")
	format := fs.String("format", "text", "output `FORMAT`: "+strings.Join(synth.Formats, ", "))
	out := fs.String("out", "", "write to `FILE` instead of standard output")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: cellfabric synth (--stack NAME | --config FILE) [--format text|json|markdown] [--out FILE]")
		fmt.Fprintln(stderr, "\nRuns the infra program against Pulumi's mock engine and prints every resource it would\nregister: type, name, parent, provider and inputs, with secrets shown as [secret].\n\nflags:")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args, func() bool {
		if (*stack == "") == (*file == "") {
			fmt.Fprintln(stderr, "synth: give exactly one of --stack NAME or --config FILE")
			return false
		}
		return true
	}); !ok {
		return code
	}
	if !validFormat(*format) {
		fmt.Fprintf(stderr, "synth: unknown format %q: use %s\n", *format, strings.Join(synth.Formats, ", "))
		return 2
	}
	path := *file
	if path == "" {
		path = filepath.Join(*dir, "Pulumi."+*stack+".yaml")
	}
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
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintf(stderr, "synth: %v\n", err)
			return 1
		}
		defer f.Close()
		w = f
	}
	if err := plan.Write(w, *format); err != nil {
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
