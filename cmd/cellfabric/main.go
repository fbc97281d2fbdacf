// Command cellfabric is the project's CLI: synth (print what a stack would
// deploy), registry (build the router's registry from stack outputs), route
// (run the router), cell (run the reference cell), local (run the whole
// topology on this machine), tenants (write and read the tenant directory
// through its control API, move tenants with their data, promote a warm
// standby), standby (keep tenants' warm standbys), observe (write Prometheus rules and a Grafana
// dashboard for a stack's cells), edge-health (export the edge's cell health
// to Prometheus), version and completion (shell completion scripts).
//
// Each subcommand lives in its own file and registers itself in init.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
)

// command is one subcommand.
type command struct {
	// summary is the one-line description shown by `cellfabric help`.
	summary string
	// flags returns the command's flag set, bound to fresh values, without
	// running anything: completion and help read it. Its Usage writes to
	// the set's Output.
	flags func() *flag.FlagSet
	// run executes the command with its arguments (after the command name)
	// and returns the process exit status.
	run func(args []string, stdout, stderr io.Writer) int
}

var commands = map[string]command{}

func register(name string, c command) {
	if _, dup := commands[name]; dup {
		panic("cellfabric: command registered twice: " + name)
	}
	if c.flags == nil || c.run == nil {
		panic("cellfabric: command without flags or run: " + name)
	}
	commands[name] = c
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 0:
		usage(stdout)
		return 2
	case args[0] == "help" && len(args) > 1:
		return help(args[1:], stdout, stderr)
	case args[0] == "help" || args[0] == "-h" || args[0] == "--help":
		usage(stdout)
		return 0
	case args[0] == "--version" || args[0] == "-version":
		return runVersion(args[1:], stdout, stderr)
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "cellfabric: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	return c.run(args[1:], stdout, stderr)
}

// help prints a command's usage: `cellfabric help route` is `cellfabric
// route -h` on stdout.
func help(args []string, stdout, stderr io.Writer) int {
	c, ok := commands[args[0]]
	if !ok || len(args) > 1 {
		if ok {
			fmt.Fprintf(stderr, "cellfabric help: unexpected argument %q: name one command\n\n", args[1])
		} else {
			fmt.Fprintf(stderr, "cellfabric help: unknown command %q\n\n", args[0])
		}
		usage(stderr)
		return 2
	}
	fs := c.flags()
	fs.SetOutput(stdout)
	fs.Usage()
	return 0
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: cellfabric <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'cellfabric help <command>' (or 'cellfabric <command> -h') for a command's flags,\n'cellfabric --version' for the version, and 'cellfabric completion bash|zsh|fish'\nfor shell completion.")
}
