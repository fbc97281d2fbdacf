package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// parseFlags parses a command's arguments into fs. The command goes on only
// when ok is true; otherwise it exits with code: 0 after -h; 2 after a bad
// flag (the flag package says which, then prints fs.Usage), a stray
// argument, or a problem check reports once the flags are parsed (a missing
// required flag, two that conflict): those are said first, then fs.Usage.
// check may be nil and returns "" when the flags are complete.
func parseFlags(fs *flag.FlagSet, args []string, check func() string) (code int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		return 2, false
	}
	if fs.NArg() > 0 {
		return usageError(fs, fmt.Sprintf("unexpected argument %q: %s takes flags only (flags go before any other argument)", fs.Arg(0), fs.Name())), false
	}
	if check != nil {
		if problem := check(); problem != "" {
			return usageError(fs, problem), false
		}
	}
	return 0, true
}

// usageError says what was wrong with a command line, prints the command's
// usage and returns the exit status for it.
func usageError(fs *flag.FlagSet, problem string) int {
	fmt.Fprintf(fs.Output(), "cellfabric %s: %s\n\n", fs.Name(), problem)
	fs.Usage()
	return 2
}

// requireFlag is a parseFlags check: the flag name must have a value.
func requireFlag(name string, value *string) func() string {
	return func() string {
		if *value == "" {
			return "--" + name + " is required"
		}
		return ""
	}
}

// choiceValue is a flag.Value that accepts a fixed set of values; shell
// completion offers them.
type choiceValue interface {
	flag.Value
	choices() []string
}

// subcommand runs a command made of subcommands (tenants, cells): fs holds
// the flags they share (its Usage lists subs), run runs subcommand sub
// with the rest of the arguments and returns its exit status, or -1 when
// sub is not one of its subcommands. -h and help print the usage.
func subcommand(fs *flag.FlagSet, subs, args []string, stdout, stderr io.Writer, run func(sub string, rest []string) int) int {
	fs.SetOutput(stderr)
	if len(args) == 0 {
		return usageError(fs, "name a subcommand: "+strings.Join(subs, ", "))
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "-h", "-help", "--help":
		fs.Usage()
		return 0
	case "help":
		fs.SetOutput(stdout)
		fs.Usage()
		return 0
	}
	if code := run(sub, rest); code >= 0 {
		return code
	}
	return usageError(fs, fmt.Sprintf("unknown subcommand %q: use one of %s", sub, strings.Join(subs, ", ")))
}
