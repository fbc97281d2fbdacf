package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
)

// What the commands over the control API (cellfabric tenants, cellfabric
// cells) share: a subcommand's flag set, its error line and its JSON
// output.

// apiSubFlags is subcommand name of command (tenants, cells) as a flag set
// with the shared flags (apiOptions) bound; usage is its synopsis.
func apiSubFlags(command, name, usage string, o *apiOptions, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(command+" "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	o.bind(fs)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: cellfabric %s %s\n\nflags:\n", command, usage)
		fs.PrintDefaults()
	}
	return fs
}

// commandFail prints err for command ("tenants import", "cells drain")
// and returns exit status 1.
func commandFail(stderr io.Writer, command string, err error) int {
	fmt.Fprintf(stderr, "cellfabric %s: %v\n", command, err)
	return 1
}

// writeJSON writes v to w as indented JSON: the -o json output.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
